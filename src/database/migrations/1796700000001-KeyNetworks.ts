import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { ensureTable } from '../idempotent-steps.js';
import { timestamp, uuid } from '../column-types.js';

/** The networks (/24, /48) each key was used from, and when last: for `accesskey.used_from_new_network`. */
export class KeyNetworks1796700000001 implements MigrationInterface {
  name = 'KeyNetworks1796700000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await ensureTable(
      queryRunner,
      new Table({
        name: 'access_key_networks',
        columns: [
          { ...uuid(queryRunner, 'access_key_id'), isPrimary: true },
          { name: 'network', type: 'varchar', length: '49', isPrimary: true },
          timestamp('tm_last_seen'),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('access_key_networks', true);
  }
}
