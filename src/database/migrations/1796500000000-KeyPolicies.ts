import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { ensureTable } from '../idempotent-steps.js';
import { timestamp, uuid } from '../column-types.js';

/** Each customer's rules for its access keys; no row: the defaults. */
export class KeyPolicies1796500000000 implements MigrationInterface {
  name = 'KeyPolicies1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await ensureTable(
      queryRunner,
      new Table({
        name: 'key_policies',
        columns: [
          { ...uuid(queryRunner, 'customer_id'), isPrimary: true },
          { name: 'max_lifetime', type: 'int', isNullable: true },
          { name: 'disable_unused_days', type: 'int', isNullable: true },
          { name: 'leak_action', type: 'varchar', length: '16', default: "'revoke'" },
          timestamp('tm_update'),
        ],
        foreignKeys: [
          {
            name: 'FK_key_policies_customer',
            columnNames: ['customer_id'],
            referencedTableName: 'customers',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
            onUpdate: 'RESTRICT',
          },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('key_policies', true, true, true);
  }
}
