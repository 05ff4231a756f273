import { Column, Entity, Index, PrimaryColumn, type ValueTransformer } from 'typeorm';

/** A list of strings kept as JSON text: the same column type on every database. */
const JSON_LIST: ValueTransformer = {
  to: (list: string[] | undefined) => (list === undefined ? undefined : JSON.stringify(list)),
  from: (text: string) => JSON.parse(text) as string[],
};

@Entity('access_keys')
@Index('IDX_access_keys_customer_create', ['customerId', 'tmCreate', 'id'])
@Index('IDX_access_keys_expire', ['tmExpire'])
export class AccessKey {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'varchar', length: 4096 })
  detail: string;

  /** SHA-256 (hex) of the token; the token itself is never stored. */
  @Index('UQ_access_keys_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64, select: false })
  tokenHash: string;

  /** After a roll, the previous secret's hash, accepted until `tm_previous_expire`. */
  @Index('UQ_access_keys_previous_token_hash', { unique: true })
  @Column({ name: 'previous_token_hash', type: 'varchar', length: 64, nullable: true, select: false })
  previousTokenHash: string | null;

  @Column({ name: 'tm_previous_expire', type: 'datetime', precision: 3, nullable: true })
  tmPreviousExpire: Date | null;

  @Column({ name: 'token_prefix', type: 'varchar', length: 11 })
  tokenPrefix: string;

  @Column({ name: 'tm_expire', type: 'datetime', precision: 3 })
  tmExpire: Date;

  @Column({ name: 'tm_create', type: 'datetime', precision: 3 })
  tmCreate: Date;

  @Column({ name: 'tm_update', type: 'datetime', precision: 3, nullable: true })
  tmUpdate: Date | null;

  @Column({ name: 'tm_delete', type: 'datetime', precision: 3, nullable: true })
  tmDelete: Date | null;

  @Column({ name: 'tm_last_used', type: 'datetime', precision: 3, nullable: true })
  tmLastUsed: Date | null;

  /** What the key may do (normalised scopes), within what its customer may do at each use. */
  @Column({ type: 'varchar', length: 4096, default: '["*:write"]', transformer: JSON_LIST })
  scopes: string[];

  /** The networks (CIDRs) the key may be used from; empty: anywhere. */
  @Column({ name: 'allowed_cidrs', type: 'varchar', length: 1024, default: '[]', transformer: JSON_LIST })
  allowedCidrs: string[];

  /** A leak report under the `quarantine` policy left the key its read scopes only. */
  @Column({ type: 'boolean', default: false })
  quarantined: boolean;

  /** Where a leak report said the key was found (its last report). */
  @Column({ name: 'leak_url', type: 'varchar', length: 2048, nullable: true })
  leakUrl: string | null;

  @Column({ name: 'tm_leaked', type: 'datetime', precision: 3, nullable: true })
  tmLeaked: Date | null;

  /** Disabled by the sweep for going unused longer than the policy's `disable_unused_days`; null: enabled. */
  @Column({ name: 'tm_disabled', type: 'datetime', precision: 3, nullable: true })
  tmDisabled: Date | null;
}
