import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A login: its JWT carries the id as `sid`, and works while the session has not ended. */
@Entity('sessions')
@Index('IDX_sessions_customer_create', ['customerId', 'tmCreate', 'id'])
export class Session {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  /** The client address the login came from. */
  @Column({ name: 'client_ip', type: 'varchar', length: 45 })
  clientIp: string;

  @Column({ name: 'user_agent', type: 'varchar', length: 255 })
  userAgent: string;

  @Column({ name: 'tm_create', type: 'datetime', precision: 3 })
  tmCreate: Date;

  /** When a request last used it, to the minute. */
  @Column({ name: 'tm_last_seen', type: 'datetime', precision: 3 })
  tmLastSeen: Date;

  /** When its JWT expires. */
  @Column({ name: 'tm_expire', type: 'datetime', precision: 3 })
  tmExpire: Date;

  /** When it was ended (logout, ended from another session, a password change); null while live. */
  @Column({ name: 'tm_end', type: 'datetime', precision: 3, nullable: true })
  tmEnd: Date | null;
}
