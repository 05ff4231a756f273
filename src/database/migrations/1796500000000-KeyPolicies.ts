import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { ensureTable } from '../idempotent-steps.js';
import { timestamp, uuid } from '../column-types.js';

/** Each customer's rules for its access keys; no row: the defaults. No foreign key, as for TOTP. */
export class KeyPolicies1796500000000 implements MigrationInterface {
  name = 'KeyPolicies1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await ensureTable(
      queryRunner,
      new Table({
        name: 'key_policies',
        columns: [
          { ...uuid(queryRunner, 'customer_id'), isPrimary: true },
          { name: 'max_lifetime', type: 'integer', isNullable: true },
          { name: 'disable_unused_days', type: 'integer', isNullable: true },
          { name: 'leak_action', type: 'varchar', length: '16', default: "'revoke'" },
          timestamp('tm_update'),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('key_policies', true, true, true);
  }
}
