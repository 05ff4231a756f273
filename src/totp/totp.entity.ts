import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A customer's TOTP secret: pending until a first code confirms it, then enabled. */
@Entity('totp_credentials')
export class TotpCredential {
  @PrimaryColumn('uuid', { name: 'customer_id' })
  customerId: string;

  /**
   * AES-256-GCM of the base32 secret (common/sealed-secret.ts), bound to its customer: a database dump
   * alone does not reveal it.
   */
  @Column({ type: 'varchar', length: 255 })
  secret: string;

  @Column({ type: 'boolean' })
  enabled: boolean;

  /** The last 30-second step a code was accepted for: a code is usable once. */
  @Column({
    name: 'last_step',
    type: 'bigint',
    default: 0,
    transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) },
  })
  lastStep: number;

  @Column({ name: 'tm_create', type: 'datetime', precision: 3 })
  tmCreate: Date;
}

/** A single-use recovery code, stored as the SHA-256 of its 80 random bits. */
@Entity('recovery_codes')
@Index('IDX_recovery_codes_customer', ['customerId'])
export class RecoveryCode {
  @PrimaryColumn({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  @Column('uuid', { name: 'customer_id' })
  customerId: string;

  @Column({ name: 'tm_used', type: 'datetime', precision: 3, nullable: true })
  tmUsed: Date | null;
}
