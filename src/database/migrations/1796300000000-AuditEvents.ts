import {
  Table,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
} from 'typeorm';
import { uuid } from '../column-types.js';

const text = (name: string, length: number, isNullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});

/**
 * The audit log: `audit_events`, append-only, one hash chain per customer, and `audit_chains`, the
 * head of each chain (its last sequence and hash), the row a writer locks to append. MySQL commits
 * each CREATE TABLE at once, so a run cut short may have made one table already: each is made only
 * if missing.
 */
export class AuditEvents1796300000000 implements MigrationInterface {
  name = 'AuditEvents1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!(await queryRunner.hasTable('audit_events'))) {
      await queryRunner.createTable(
        new Table({
          name: 'audit_events',
          columns: [
            { ...uuid(queryRunner, 'id'), isPrimary: true },
            uuid(queryRunner, 'customer_id'),
            { name: 'sequence', type: 'integer' },
            { name: 'tm_create', type: 'datetime', precision: 3 },
            uuid(queryRunner, 'actor_customer_id', true),
            text('actor_via', 16),
            uuid(queryRunner, 'actor_key_id', true),
            text('actor_key_prefix', 11, true),
            text('action', 64),
            text('target', 128),
            text('client_ip', 45),
            text('user_agent', 512),
            text('request_id', 64),
            { name: 'data', type: 'text' },
            text('hash', 64),
          ],
          indices: [
            new TableIndex({
              name: 'UQ_audit_events_customer_sequence',
              columnNames: ['customer_id', 'sequence'],
              isUnique: true,
            }),
            new TableIndex({
              name: 'IDX_audit_events_customer_create',
              columnNames: ['customer_id', 'tm_create', 'id'],
            }),
          ],
        }),
      );
    }
    if (!(await queryRunner.hasTable('audit_chains'))) {
      await queryRunner.createTable(
        new Table({
          name: 'audit_chains',
          columns: [
            { ...uuid(queryRunner, 'customer_id'), isPrimary: true },
            { name: 'sequence', type: 'integer' },
            text('hash', 64),
          ],
        }),
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_chains', true);
    await queryRunner.dropTable('audit_events', true);
  }
}
