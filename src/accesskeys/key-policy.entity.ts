import { Column, Entity, PrimaryColumn } from 'typeorm';

export const LEAK_ACTIONS = ['revoke', 'quarantine', 'notify'] as const;
export type LeakAction = (typeof LEAK_ACTIONS)[number];

/** A customer's rules for its access keys; a customer without a row has the defaults. */
@Entity('key_policies')
export class KeyPolicy {
  @PrimaryColumn({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  /** The longest a new key may live, in seconds; null: no limit but the API's own. */
  @Column({ name: 'max_lifetime', type: 'integer', nullable: true })
  maxLifetime: number | null;

  /** A key unused for this many days is disabled; null: never. */
  @Column({ name: 'disable_unused_days', type: 'integer', nullable: true })
  disableUnusedDays: number | null;

  /** What a leak report of one of the customer's live keys does to it. */
  @Column({ name: 'leak_action', type: 'varchar', length: 16, default: 'revoke' })
  leakAction: LeakAction;

  @Column({ name: 'tm_update', type: 'datetime', precision: 3 })
  tmUpdate: Date;
}
