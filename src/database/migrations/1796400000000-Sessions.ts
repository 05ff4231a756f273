import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { ensureTable } from '../idempotent-steps.js';
import { timestamp, uuid } from '../column-types.js';

/** Login sessions. */
export class Sessions1796400000000 implements MigrationInterface {
  name = 'Sessions1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await ensureTable(
      queryRunner,
      new Table({
        name: 'sessions',
        columns: [
          { ...uuid(queryRunner, 'id'), isPrimary: true },
          uuid(queryRunner, 'customer_id'),
          { name: 'client_ip', type: 'varchar', length: '45' },
          { name: 'user_agent', type: 'varchar', length: '255' },
          timestamp('tm_create'),
          timestamp('tm_last_seen'),
          timestamp('tm_expire'),
          timestamp('tm_end', true),
        ],
        indices: [{ name: 'IDX_sessions_customer_create', columnNames: ['customer_id', 'tm_create', 'id'] }],
        foreignKeys: [
          {
            name: 'FK_sessions_customer',
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
    await queryRunner.dropTable('sessions', true, true, true);
  }
}
