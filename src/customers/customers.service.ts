import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { ApiError } from '../common/api-error.js';
import { AppConfig } from '../config/app-config.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { Customer, Permission } from './customer.entity.js';
import { USERNAME, type CreateCustomerDto } from './dto/create-customer.dto.js';
import type { CustomerDto } from './dto/customer.dto.js';
import { generatePassword, hashPassword } from './password.js';

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

@Injectable()
export class CustomersService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Customers');

  constructor(
    @InjectRepository(Customer) private readonly customers: Repository<Customer>,
    private readonly config: AppConfig,
  ) {}

  /** The live customer with this id, without its password hash. */
  findLive(id: string): Promise<Customer | null> {
    return this.customers.findOneBy({ id, tmDelete: IsNull() });
  }

  async get(id: string): Promise<CustomerDto> {
    const customer = await this.findLive(id);
    if (customer === null) throw ApiError.notFound('CUSTOMER_NOT_FOUND', 'The customer was not found.');
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

  async create(dto: CreateCustomerDto): Promise<CustomerDto> {
    const customer = this.customers.create({
      id: randomUUID(),
      username: dto.username.toLowerCase(),
      passwordHash: await hashPassword(dto.password),
      name: dto.name ?? '',
      detail: dto.detail ?? '',
      permission: dto.permission ?? Permission.CustomerAdmin,
      live: true,
      tmCreate: new Date(),
      tmUpdate: null,
      tmDelete: null,
    });
    try {
      await this.customers.insert(customer);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new ApiError(409, 'USERNAME_TAKEN', 'This username is taken.', [
        { field: 'username', message: 'username is taken' },
      ]);
    }
    return toCustomerDto(customer);
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
