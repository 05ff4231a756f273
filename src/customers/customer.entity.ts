import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export { Permission } from '../common/permission.js';

@Entity('customers')
@Index('UQ_customers_username_live', ['username', 'live'], { unique: true })
export class Customer {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 255 })
  username: string;

  /** argon2id; never selected unless asked for by name. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, select: false })
  passwordHash: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'varchar', length: 4096 })
  detail: string;

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
