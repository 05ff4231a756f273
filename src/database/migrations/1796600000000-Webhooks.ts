import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestamp, uuid } from '../column-types.js';
import { ensureTable } from '../idempotent-steps.js';

/**
 * Webhooks: each customer's signing secret (encrypted), the outbox of events to deliver (written in
 * the transaction of the audit event), and the lease that lets one instance at a time deliver.
 */
export class Webhooks1796600000000 implements MigrationInterface {
  name = 'Webhooks1796600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await ensureTable(
      queryRunner,
      new Table({
        name: 'webhook_secrets',
        columns: [
          { ...uuid(queryRunner, 'customer_id'), isPrimary: true },
          { name: 'sealed', type: 'varchar', length: '255' },
          timestamp('tm_create'),
        ],
      }),
    );
    await ensureTable(
      queryRunner,
      new Table({
        name: 'webhook_outbox',
        columns: [
          { ...uuid(queryRunner, 'id'), isPrimary: true },
          uuid(queryRunner, 'customer_id'),
          { name: 'sequence', type: 'integer' },
          uuid(queryRunner, 'event_id'),
          { name: 'action', type: 'varchar', length: '64' },
          { name: 'payload', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'response_status', type: 'integer', isNullable: true },
          { name: 'last_error', type: 'varchar', length: '255', isNullable: true },
          timestamp('tm_create'),
          timestamp('tm_next_attempt', true),
          timestamp('tm_delivered', true),
        ],
        indices: [
          // The worker's question: each customer's first pending event.
          new TableIndex({
            name: 'IDX_webhook_outbox_pending',
            columnNames: ['status', 'customer_id', 'sequence'],
          }),
          new TableIndex({
            name: 'IDX_webhook_outbox_customer',
            columnNames: ['customer_id', 'tm_create', 'id'],
          }),
        ],
      }),
    );
    await ensureTable(
      queryRunner,
      new Table({
        name: 'webhook_leases',
        columns: [
          { name: 'name', type: 'varchar', length: '32', isPrimary: true },
          { name: 'holder', type: 'varchar', length: '64' },
          timestamp('tm_expire'),
        ],
      }),
    );
    const lease: unknown[] = await queryRunner.query("SELECT name FROM webhook_leases WHERE name = 'outbox'");
    if (lease.length === 0) {
      await queryRunner.query(
        "INSERT INTO webhook_leases (name, holder, tm_expire) VALUES ('outbox', '', '1970-01-01 00:00:00.000')",
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_leases', true);
    await queryRunner.dropTable('webhook_outbox', true);
    await queryRunner.dropTable('webhook_secrets', true);
  }
}
