import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { CredentialCache } from '../auth/credential-cache.js';
import type { Principal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { Clock } from '../common/clock.js';
import { newestFirst } from '../common/pagination.js';
import { AppConfig } from '../config/app-config.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { Customer, Permission } from './customer.entity.js';
import { USERNAME, type CreateCustomerDto } from './dto/create-customer.dto.js';
import type { CustomerDto, CustomerPageDto } from './dto/customer.dto.js';
import type { ChangePasswordDto, UpdateCustomerDto, UpdateProfileDto } from './dto/update-customer.dto.js';
import { generatePassword, hashPassword, verifyPassword } from './password.js';

export function toCustomerDto(customer: Customer): CustomerDto {
  return {
    id: customer.id,
    username: customer.username,
    name: customer.name,
    detail: customer.detail,
    permission: customer.permission,
    tm_create: customer.tmCreate.toISOString(),
    tm_update: customer.tmUpdate?.toISOString() ?? null,
    tm_delete: customer.tmDelete?.toISOString() ?? null,
  };
}

export const customerNotFound = () => ApiError.notFound('CUSTOMER_NOT_FOUND', 'The customer was not found.');
const isSuperAdmin = (permission: number) => (permission & Permission.ProjectSuperAdmin) !== 0;
const refused = (reason: string, message: string) =>
  new ApiError(409, reason, message, [], 'FAILED_PRECONDITION');
export const cannotDemoteSelf = () =>
  refused('CANNOT_DEMOTE_SELF', 'A super admin cannot remove its own super-admin bit.');
export const cannotDeleteSelf = () => refused('CANNOT_DELETE_SELF', 'A super admin cannot delete itself.');
export const usernameTaken = () =>
  new ApiError(409, 'USERNAME_TAKEN', 'This username is taken.', [
    { field: 'username', message: 'username is taken' },
  ]);

@Injectable()
export class CustomersService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Customers');

  constructor(
    @InjectRepository(Customer) private readonly customers: Repository<Customer>,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly cache: CredentialCache,
  ) {}

  /**
   * The live customer with this id, without its password hash. Every authenticated request asks
   * for one, so it comes from the credential cache, which every write below clears.
   */
  async findLive(id: string): Promise<Customer | null> {
    return this.cache.customer(id, () => this.customers.findOneBy({ id, tmDelete: IsNull() }));
  }

  async get(id: string): Promise<CustomerDto> {
    const customer = await this.findLive(id);
    if (customer === null) throw customerNotFound();
    return toCustomerDto(customer);
  }

  /** For login only: the live customer with this username, with its password hash. */
  async findForLogin(username: string): Promise<Customer | null> {
    const canonical = username.toLowerCase();
    if (!USERNAME.test(canonical)) return null;
    return this.customers
      .createQueryBuilder('customer')
      .addSelect('customer.passwordHash')
      .where('customer.username = :username', { username: canonical })
      .andWhere('customer.tm_delete IS NULL')
      .getOne();
  }

  /** Live customers, newest first. */
  async list(pageSize?: number, pageToken?: string): Promise<CustomerPageDto> {
    const query = this.customers.createQueryBuilder('c').where('c.tmDelete IS NULL');
    const { rows, nextPageToken } = await newestFirst(query, pageSize, pageToken);
    return { result: rows.map(toCustomerDto), next_page_token: nextPageToken };
  }

  async create(dto: CreateCustomerDto): Promise<CustomerDto> {
    const customer = this.customers.create({
      id: randomUUID(),
      username: dto.username.toLowerCase(),
      passwordHash: await hashPassword(dto.password),
      name: dto.name ?? '',
      detail: dto.detail ?? '',
      permission: dto.permission ?? Permission.CustomerAdmin,
      live: true,
      tokenGeneration: 0,
      tmCreate: this.clock.now(),
      tmUpdate: null,
      tmDelete: null,
    });
    try {
      await this.customers.insert(customer);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw usernameTaken();
    }
    return toCustomerDto(customer);
  }

  /** A customer changing its own name or detail. */
  async updateProfile(customerId: string, dto: UpdateProfileDto): Promise<CustomerDto> {
    return this.update(customerId, dto);
  }

  /**
   * A super admin changing any customer; a new password revokes the customer's JWTs.
   * Only a super admin gets here, and it can neither demote nor delete itself: so whoever it
   * removes, one super admin (itself) is left.
   */
  async updateByAdmin(actor: Principal, id: string, dto: UpdateCustomerDto): Promise<CustomerDto> {
    if (id === actor.customerId && dto.permission !== undefined && !isSuperAdmin(dto.permission)) {
      throw cannotDemoteSelf();
    }
    return this.update(id, dto);
  }

  /** Soft delete: the customer can no longer log in, and its JWTs and keys stop working at once. */
  async remove(actor: Principal, id: string): Promise<CustomerDto> {
    if (id === actor.customerId) throw cannotDeleteSelf();
    const now = this.clock.now();
    const { affected } = await this.customers.update(
      { id, tmDelete: IsNull() },
      // `live: null` frees the username for a new customer (see the unique index).
      { tmDelete: now, tmUpdate: now, live: null },
    );
    if (!affected) throw customerNotFound();
    await this.cache.forgetCustomer(id);
    return toCustomerDto(await this.customers.findOneByOrFail({ id }));
  }

  /** With the current password, by JWT only (see the controller); revokes every earlier JWT. */
  async changePassword(customerId: string, dto: ChangePasswordDto): Promise<CustomerDto> {
    const customer = await this.customers
      .createQueryBuilder('c')
      .addSelect('c.passwordHash')
      .where('c.id = :id AND c.tm_delete IS NULL', { id: customerId })
      .getOne();
    if (customer === null) throw customerNotFound();
    if (!(await verifyPassword(customer.passwordHash, dto.old_password))) {
      throw ApiError.invalidArgument([
        { field: 'old_password', message: 'old_password is not the current password' },
      ]);
    }
    return this.update(customerId, { password: dto.new_password });
  }

  /** Sets a generated password, for the `admin reset-password` command. */
  async resetPassword(username: string): Promise<string> {
    const customer = await this.findForLogin(username);
    if (customer === null) throw customerNotFound();
    const password = generatePassword();
    await this.update(customer.id, { password });
    return password;
  }

  private async update(id: string, dto: UpdateCustomerDto): Promise<CustomerDto> {
    const changes: Partial<Customer> = { tmUpdate: this.clock.now() };
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.detail !== undefined) changes.detail = dto.detail;
    if (dto.permission !== undefined) changes.permission = dto.permission;
    if (dto.password !== undefined) changes.passwordHash = await hashPassword(dto.password);
    const { affected } = await this.customers
      .createQueryBuilder()
      .update()
      // A new password starts a new token generation: every earlier JWT is refused from now on.
      .set(
        dto.password === undefined ? changes : { ...changes, tokenGeneration: () => 'token_generation + 1' },
      )
      .where('id = :id AND tm_delete IS NULL', { id })
      .execute();
    if (!affected) throw customerNotFound();
    // Its permission, token generation or profile changed: authentication reads it afresh.
    await this.cache.forgetCustomer(id);
    return this.get(id);
  }

  /** On the first start of an empty database, create the super admin. */
  async onApplicationBootstrap(): Promise<void> {
    if (await this.customers.exists()) return;
    const { username } = this.config.admin;
    const password = this.config.admin.password ?? generatePassword();
    try {
      await this.create({
        username,
        password,
        name: 'Administrator',
        detail: 'created at first start',
        permission: Permission.ProjectSuperAdmin | Permission.CustomerAdmin,
      });
    } catch (error) {
      // Another instance starting on the same database created it first.
      if (error instanceof ApiError && error.reason === 'USERNAME_TAKEN') return;
      throw error;
    }
    if (this.config.admin.password !== undefined) {
      this.logger.log(`Created the super admin "${username}" with the password in ADMIN_PASSWORD`);
    } else {
      // Printed this once only: it is in no file and cannot be shown again.
      this.logger.warn(
        `Created the super admin. Username: ${username}  Password: ${password}  (shown once; keep it now)`,
      );
    }
  }
}
