import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { NO_ORIGIN, type AuditRecord } from '../audit/audit-event.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { isUniqueViolation } from '../common/database-errors.js';
import { fromSqlDatetime, sqlDatetime } from '../common/sql-time.js';
import { transaction } from '../common/transaction.js';

/** A notice still to send: a live key whose `tm_expire` lies in the notice's window. */
export interface DueKey {
  id: string;
  customerId: string;
  tmExpire: Date;
}

const DUE_KEYS = `
  SELECT k.id, k.customer_id, k.tm_expire FROM access_keys k
  WHERE k.tm_expire > ? AND k.tm_expire <= ? AND k.tm_delete IS NULL
    AND NOT EXISTS (SELECT 1 FROM access_key_notices n WHERE n.access_key_id = k.id AND n.notice = ?)
  ORDER BY k.tm_expire LIMIT ?`;

/** The expiry notices of access keys, each claimed once in the database with its audit event. */
@Injectable()
export class KeyNoticesRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditRepository,
  ) {}

  /** Up to `limit` live keys expiring in (`after`, `until`] that have not had `notice` (by IDX_access_keys_expire). */
  async due(notice: string, after: Date, until: Date, limit: number): Promise<DueKey[]> {
    const rows = (await this.dataSource.query(DUE_KEYS, [
      sqlDatetime(after),
      sqlDatetime(until),
      notice,
      limit,
    ])) as { id: string; customer_id: string; tm_expire: Date | string }[];
    return rows.map((row) => ({
      id: row.id,
      customerId: row.customer_id,
      tmExpire: fromSqlDatetime(row.tm_expire),
    }));
  }

  /**
   * Claims `notice` for the key and appends its event in the same transaction: false when another
   * sweeper (here or on another instance) claimed it first, and then no event is written.
   */
  async claim(
    keyId: string,
    notice: string,
    at: Date,
    event: Omit<AuditRecord, 'actor' | 'origin'>,
  ): Promise<boolean> {
    try {
      await transaction(
        this.dataSource,
        async (m) => {
          await m.query(
            'INSERT INTO access_key_notices (access_key_id, notice, tm_create) VALUES (?, ?, ?)',
            [keyId, notice, sqlDatetime(at)],
          );
          await this.audit.append(m, {
            ...event,
            actor: { customerId: null, via: 'system' },
            origin: NO_ORIGIN,
          });
        },
        'READ COMMITTED',
      );
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}
