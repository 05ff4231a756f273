import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export { Permission } from '../common/permission.js';

@Entity('customers')
@Index('UQ_customers_username_live', ['username', 'live'], { unique: true })
export class Customer {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 255 })
  username: string;

  /** argon2id, or NO_PASSWORD (password.ts) until one is set; never selected unless asked for by name. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, select: false })
  passwordHash: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'varchar', length: 4096 })
  detail: string;

  // VoIPBIN's contact and webhook fields; '' when unset.
  @Column({ type: 'varchar', length: 254, default: '' })
  email: string;

  /** E.164: `+` and at most 15 digits. */
  @Column({ name: 'phone_number', type: 'varchar', length: 16, default: '' })
  phoneNumber: string;

  @Column({ type: 'varchar', length: 1024, default: '' })
  address: string;

  /** '', POST, GET, PUT or DELETE. */
  @Column({ name: 'webhook_method', type: 'varchar', length: 6, default: '' })
  webhookMethod: string;

  @Column({ name: 'webhook_uri', type: 'varchar', length: 1023, default: '' })
  webhookUri: string;

  @Column({ type: 'integer' })
  permission: number;

  /**
   * `true` while the customer lives, `NULL` once deleted: the unique index on (username, live)
   * then holds for live customers only, on every database (NULLs never collide).
   */
  @Column({ type: 'boolean', nullable: true })
  live: boolean | null;

  /**
   * Counts password changes and resets. Each JWT carries the generation it was issued in
   * (claim `gen`), so a change refuses every earlier JWT at once, with no clock involved.
   */
  @Column({ name: 'token_generation', type: 'integer', default: 0 })
  tokenGeneration: number;

  @Column({ name: 'tm_create', type: 'datetime', precision: 3 })
  tmCreate: Date;

  @Column({ name: 'tm_update', type: 'datetime', precision: 3, nullable: true })
  tmUpdate: Date | null;

  @Column({ name: 'tm_delete', type: 'datetime', precision: 3, nullable: true })
  tmDelete: Date | null;
}

/** VoIPBIN's contact and webhook fields of a customer. */
export type CustomerContact = Pick<
  Customer,
  'email' | 'phoneNumber' | 'address' | 'webhookMethod' | 'webhookUri'
>;

/** What a customer's answer shows. */
export type CustomerProfile = Pick<
  Customer,
  'id' | 'username' | 'name' | 'detail' | 'permission' | 'tmCreate' | 'tmUpdate' | 'tmDelete'
> &
  CustomerContact;

/** A customer's profile, and whether its second factor is on. */
export type OwnProfile = CustomerProfile & { totpEnabled: boolean };
