import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { ensureTable } from '../idempotent-steps.js';
import { timestamp, uuid } from '../column-types.js';

/**
 * A customer's TOTP second factor, and its recovery codes. No foreign keys: the service removes them
 * with the customer, and a sharded engine (Vitess, TiDB) need not enforce any (docs/scaling.md).
 */
export class Totp1796800000000 implements MigrationInterface {
  name = 'Totp1796800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await ensureTable(
      queryRunner,
      new Table({
        name: 'totp_credentials',
        columns: [
          { ...uuid(queryRunner, 'customer_id'), isPrimary: true },
          { name: 'secret', type: 'varchar', length: '255' },
          { name: 'enabled', type: 'boolean' },
          { name: 'last_step', type: 'bigint', default: 0 },
          timestamp('tm_create'),
        ],
      }),
    );
    await ensureTable(
      queryRunner,
      new Table({
        name: 'recovery_codes',
        columns: [
          { name: 'code_hash', type: 'varchar', length: '64', isPrimary: true },
          uuid(queryRunner, 'customer_id'),
          timestamp('tm_used', true),
        ],
        indices: [{ name: 'IDX_recovery_codes_customer', columnNames: ['customer_id'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('recovery_codes', true, true, true);
    await queryRunner.dropTable('totp_credentials', true, true, true);
  }
}
