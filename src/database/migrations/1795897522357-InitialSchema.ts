import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestamp, uuid } from '../column-types.js';
import { ensureTable } from '../idempotent-steps.js';

export class InitialSchema1795897522357 implements MigrationInterface {
  name = 'InitialSchema1795897522357';

  async up(queryRunner: QueryRunner): Promise<void> {
    await ensureTable(
      queryRunner,
      new Table({
        name: 'customers',
        columns: [
          { ...uuid(queryRunner, 'id'), isPrimary: true },
          { name: 'username', type: 'varchar', length: '255' },
          { name: 'password_hash', type: 'varchar', length: '255' },
          { name: 'name', type: 'varchar', length: '255' },
          { name: 'detail', type: 'varchar', length: '4096' },
          { name: 'permission', type: 'integer' },
          { name: 'live', type: 'boolean', isNullable: true },
          timestamp('tm_create'),
          timestamp('tm_update', true),
          timestamp('tm_delete', true),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_customers_username_live',
            columnNames: ['username', 'live'],
            isUnique: true,
          }),
        ],
      }),
    );

    await ensureTable(
      queryRunner,
      new Table({
        name: 'access_keys',
        columns: [
          { ...uuid(queryRunner, 'id'), isPrimary: true },
          uuid(queryRunner, 'customer_id'),
          { name: 'name', type: 'varchar', length: '255' },
          { name: 'detail', type: 'varchar', length: '4096' },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'token_prefix', type: 'varchar', length: '11' },
          timestamp('tm_expire'),
          timestamp('tm_create'),
          timestamp('tm_update', true),
          timestamp('tm_delete', true),
          timestamp('tm_last_used', true),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_access_keys_token_hash',
            columnNames: ['token_hash'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'IDX_access_keys_customer_create',
            columnNames: ['customer_id', 'tm_create', 'id'],
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_access_keys_customer',
            columnNames: ['customer_id'],
            referencedTableName: 'customers',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
            onUpdate: 'RESTRICT',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('access_keys', true);
    await queryRunner.dropTable('customers', true);
  }
}
