import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  NO_ORIGIN,
  type AuditAction,
  type AuditContext,
  type AuditData,
  type AuditRecord,
} from '../audit/audit-event.js';
import { ApiError } from '../common/api-error.js';
import type { Principal } from '../common/principal.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { uriRefusal } from '../webhooks/webhook-address.js';
import { pageRequest } from '../common/pagination.js';
import { Customer, Permission } from './customer.entity.js';
import {
  CustomerRepository,
  type CustomerChanges,
  type CustomerContact,
  type CustomerProfile,
  type WriteResult,
} from './customer.repository.js';
import {
  cannotDeleteSelf,
  cannotDemoteSelf,
  customerNotFound,
  lastSuperAdmin,
  noUsername,
  passwordChanged,
  usernameTaken,
  wrongOldPassword,
} from './customers.errors.js';
import { USERNAME, type CreateCustomerDto } from './dto/create-customer.dto.js';
import type { CustomerDto, CustomerPageDto, OwnCustomerDto } from './dto/customer.dto.js';
import type { ChangePasswordDto, UpdateCustomerDto } from './dto/update-customer.dto.js';
import type { UpdateProfileDto } from './dto/update-profile.dto.js';
import { generatePassword, hashPassword, NO_PASSWORD, verifyPassword } from './password.js';

function toCustomerDto(customer: CustomerProfile): CustomerDto {
  return {
    id: customer.id,
    username: customer.username,
    name: customer.name,
    detail: customer.detail,
    // Left out while empty, as VoIPBIN leaves out empty fields: "" is no address.
    ...(customer.email === '' ? {} : { email: customer.email }),
    phone_number: customer.phoneNumber,
    address: customer.address,
    webhook_method: customer.webhookMethod,
    webhook_uri: customer.webhookUri,
    permission: customer.permission,
    tm_create: customer.tmCreate.toISOString(),
    tm_update: customer.tmUpdate?.toISOString() ?? null,
    tm_delete: customer.tmDelete?.toISOString() ?? null,
  };
}

/** The fields of a customer a change may name in its event (a password is its own event). */
const UPDATABLE = [
  'name',
  'detail',
  'email',
  'phone_number',
  'address',
  'webhook_method',
  'webhook_uri',
  'permission',
] as const;

function customerEvent(id: string, by: AuditContext, action: AuditAction, data: AuditData = {}): AuditRecord {
  return { customerId: id, action, target: `customer:${id}`, ...by, data };
}

/** The events of a change to a customer: one for its fields, one for a new password. */
function updateEvents(id: string, dto: UpdateCustomerDto, by: AuditContext): AuditRecord[] {
  const events: AuditRecord[] = [];
  const fields = UPDATABLE.filter((field) => dto[field] !== undefined);
  if (fields.length > 0) {
    const data: AuditData = { fields };
    if (dto.permission !== undefined) data.permission = dto.permission;
    events.push(customerEvent(id, by, 'customer.updated', data));
  }
  if (dto.password !== undefined) events.push(customerEvent(id, by, 'password.reset'));
  return events;
}

const isSuperAdmin = (permission: number) => (permission & Permission.ProjectSuperAdmin) !== 0;

/** The contact fields a body gives; an absent one is left as it is, `""` clears one. */
function contactChanges(dto: UpdateProfileDto): Partial<CustomerContact> {
  const changes: Partial<CustomerContact> = {};
  if (dto.email !== undefined) changes.email = dto.email;
  if (dto.phone_number !== undefined) changes.phoneNumber = dto.phone_number;
  if (dto.address !== undefined) changes.address = dto.address;
  if (dto.webhook_method !== undefined) changes.webhookMethod = dto.webhook_method;
  if (dto.webhook_uri !== undefined) changes.webhookUri = dto.webhook_uri;
  return changes;
}

/**
 * VoIPBIN names a customer's user by its email: with no username, the email is the username, and
 * then must be one.
 */
function usernameOf(dto: CreateCustomerDto): { username: string; field: 'username' | 'email' } {
  if (dto.username !== undefined) return { username: dto.username, field: 'username' };
  if (!dto.email) throw noUsername();
  const username = dto.email.toLowerCase();
  if (!USERNAME.test(username)) throw noUsername('email');
  return { username, field: 'email' };
}

@Injectable()
export class CustomersService {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * The caller's own customer, with whether its second factor is on: as the credential's lookup
   * read it (Principal.profile), else in one statement.
   */
  async own(principal: Pick<Principal, 'customerId' | 'profile'>): Promise<OwnCustomerDto> {
    const customer = principal.profile ?? (await this.customers.findOwnProfile(principal.customerId));
    if (customer === null) throw customerNotFound();
    return Object.assign(toCustomerDto(customer), { totp_enabled: customer.totpEnabled });
  }

  async get(id: string): Promise<CustomerDto> {
    const customer = await this.customers.findLive(id);
    if (customer === null) throw customerNotFound();
    return toCustomerDto(customer);
  }

  /** Live customers, newest first. */
  async list(pageSize?: number, pageToken?: string): Promise<CustomerPageDto> {
    const page = await this.customers.list(pageRequest(pageSize, pageToken));
    return { result: page.rows.map(toCustomerDto), next_page_token: page.nextPageToken };
  }

  /** Without a password, the customer exists but cannot log in until one is set (a reset). */
  async create(dto: CreateCustomerDto, by: AuditContext): Promise<CustomerDto> {
    const { username, field } = usernameOf(dto);
    const customer: Customer = {
      id: randomUUID(),
      username: username.toLowerCase(),
      passwordHash: dto.password === undefined ? NO_PASSWORD : await hashPassword(dto.password),
      name: dto.name ?? '',
      detail: dto.detail ?? '',
      email: '',
      phoneNumber: '',
      address: '',
      webhookMethod: '',
      webhookUri: '',
      ...contactChanges(dto),
      permission: dto.permission ?? Permission.CustomerAdmin,
      live: true,
      tokenGeneration: 0,
      tmCreate: this.clock.now(),
      tmUpdate: null,
      tmDelete: null,
    };
    const event = customerEvent(customer.id, by, 'customer.created', {
      username: customer.username,
      permission: customer.permission,
    });
    if (!(await this.customers.insert(customer, event))) throw usernameTaken(field);
    return toCustomerDto(customer);
  }

  /** A customer changing its own fields. */
  updateProfile(customerId: string, dto: UpdateProfileDto, by: AuditContext): Promise<CustomerDto> {
    return this.update(customerId, dto, by);
  }

  /**
   * A super admin (`actorId`) changing any customer; a new password revokes the customer's JWTs.
   * It can neither demote nor delete itself, and the last live super admin is never removed, even
   * when two remove each other at the same moment (the repository makes the write conditional).
   */
  updateByAdmin(id: string, dto: UpdateCustomerDto, by: AuditContext): Promise<CustomerDto> {
    if (id === by.actor.customerId && dto.permission !== undefined && !isSuperAdmin(dto.permission)) {
      throw cannotDemoteSelf();
    }
    return this.update(id, dto, by);
  }

  /** Soft delete: the customer can no longer log in, and its JWTs and keys stop working at once. */
  async remove(id: string, by: AuditContext): Promise<CustomerDto> {
    if (id === by.actor.customerId) throw cannotDeleteSelf();
    const event = customerEvent(id, by, 'customer.deleted');
    return toCustomerDto(written(await this.customers.softDelete(id, this.clock.now(), event)));
  }

  /**
   * With the current password, by JWT only (see the controller); revokes every earlier JWT. The
   * write applies only over the hash that was verified: of two changes at once, the second finds
   * the password changed.
   */
  async changePassword(
    customerId: string,
    dto: ChangePasswordDto,
    by: AuditContext,
    keepSession: string | null = null,
  ): Promise<CustomerDto> {
    const customer = await this.customers.findWithPasswordHash({ id: customerId });
    if (customer === null) throw customerNotFound();
    if (!(await verifyPassword(customer.passwordHash, dto.old_password))) throw wrongOldPassword();
    const changed = await this.customers.update(
      customerId,
      { passwordHash: await hashPassword(dto.new_password), tmUpdate: this.clock.now() },
      [customerEvent(customerId, by, 'password.changed')],
      customer.passwordHash,
      keepSession,
    );
    return toCustomerDto(written(changed));
  }

  /** Sets a generated password, for the `admin reset-password` command. */
  async resetPassword(username: string): Promise<string> {
    const customer = await this.customers.findWithPasswordHash({ username: username.toLowerCase() });
    if (customer === null) throw customerNotFound();
    const password = generatePassword();
    await this.update(
      customer.id,
      { password },
      { actor: { customerId: null, via: 'cli' }, origin: NO_ORIGIN },
    );
    return password;
  }

  /** Answers the customer as this change left it, whatever other writers do at the same time. */
  private async update(id: string, dto: UpdateCustomerDto, by: AuditContext): Promise<CustomerDto> {
    // SSRF: the service must not be made to send requests into its own network. Checked again at
    // each delivery, on the address it connects to.
    if (dto.webhook_uri && !this.config.webhookAllowPrivate) {
      const refused = await uriRefusal(dto.webhook_uri);
      if (refused !== null) {
        throw ApiError.invalidArgument([
          { field: 'webhook_uri', message: `webhook_uri must reach a public address: ${refused}` },
        ]);
      }
    }
    const events = updateEvents(id, dto, by);
    // A body that names no field changes nothing: no write, no event.
    if (events.length === 0) return this.get(id);
    const changes: CustomerChanges = { tmUpdate: this.clock.now() };
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.detail !== undefined) changes.detail = dto.detail;
    Object.assign(changes, contactChanges(dto));
    if (dto.permission !== undefined) changes.permission = dto.permission;
    if (dto.password !== undefined) changes.passwordHash = await hashPassword(dto.password);
    return toCustomerDto(written(await this.customers.update(id, changes, events)));
  }
}

/** The customer a write left, or the error that says why it wrote nothing. */
function written(result: WriteResult): CustomerProfile {
  if (result === 'not-found') throw customerNotFound();
  if (result === 'password-changed') throw passwordChanged();
  if (result === 'last-super-admin') throw lastSuperAdmin();
  return result;
}
