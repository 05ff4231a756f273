import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { ensureIndex, ensureTable } from '../idempotent-steps.js';
import { timestamp, uuid } from '../column-types.js';

/**
 * The expiry notices sent for each key: its primary key is the claim that makes each notice go out
 * once, however many instances sweep. The index on `tm_expire` lets the sweeper read only the keys
 * near a notice's time.
 */
export class KeyNotices1796700000000 implements MigrationInterface {
  name = 'KeyNotices1796700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await ensureTable(
      queryRunner,
      new Table({
        name: 'access_key_notices',
        columns: [
          { ...uuid(queryRunner, 'access_key_id'), isPrimary: true },
          { name: 'notice', type: 'varchar', length: '16', isPrimary: true },
          timestamp('tm_create'),
        ],
      }),
    );
    await ensureIndex(
      queryRunner,
      'access_keys',
      new TableIndex({ name: 'IDX_access_keys_expire', columnNames: ['tm_expire'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const keys = await queryRunner.getTable('access_keys');
    if (keys?.indices.some((index) => index.name === 'IDX_access_keys_expire')) {
      await queryRunner.dropIndex('access_keys', 'IDX_access_keys_expire');
    }
    await queryRunner.dropTable('access_key_notices', true);
  }
}
