import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AuditRecord } from '../audit/audit-event.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { isUniqueViolation } from '../common/database-errors.js';
import { fromSqlDatetime, sqlDatetime } from '../common/sql-time.js';
import { transaction } from '../common/transaction.js';

/** A network unseen this long for a key is new again. */
const NEW_NETWORK_AFTER_MS = 30 * 86400_000;

/** Where each key was used from, by network: one row per key and /24 or /48. */
@Injectable()
export class KeyNetworksRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditRepository,
  ) {}

  /**
   * Records that the key was used from `network` at `at`, and appends `event` with it when the
   * network is new for the key (no row, or one last seen over 30 days before). The row is the claim:
   * of instances recording one network at once, one inserts it (or, locking it, renews it) and
   * writes the event; true when this call did.
   */
  async seen(keyId: string, network: string, at: Date, event: AuditRecord): Promise<boolean> {
    try {
      await transaction(
        this.dataSource,
        async (m) => {
          await m.query(
            'INSERT INTO access_key_networks (access_key_id, network, tm_last_seen) VALUES (?, ?, ?)',
            [keyId, network, sqlDatetime(at)],
          );
          await this.audit.append(m, event);
        },
        'READ COMMITTED',
      );
      return true;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    // SQLite's writes already take turns (transaction.ts); it has no FOR UPDATE.
    const lock = this.dataSource.options.type === 'better-sqlite3' ? '' : ' FOR UPDATE';
    return transaction(
      this.dataSource,
      async (m) => {
        const [row] = (await m.query(
          `SELECT tm_last_seen FROM access_key_networks WHERE access_key_id = ? AND network = ?${lock}`,
          [keyId, network],
        )) as { tm_last_seen: Date | string }[];
        const last = fromSqlDatetime(row!.tm_last_seen);
        if (last >= at) return false;
        await m.query(
          'UPDATE access_key_networks SET tm_last_seen = ? WHERE access_key_id = ? AND network = ?',
          [sqlDatetime(at), keyId, network],
        );
        if (at.getTime() - last.getTime() <= NEW_NETWORK_AFTER_MS) return false;
        await this.audit.append(m, event);
        return true;
      },
      'READ COMMITTED',
    );
  }
}
