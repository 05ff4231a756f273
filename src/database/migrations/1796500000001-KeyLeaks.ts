import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dropColumnsIfPresent, ensureColumns } from '../idempotent-steps.js';

/** What a leak report left on a key: where it was found, when, and whether it is kept read-only. */
export class KeyLeaks1796500000001 implements MigrationInterface {
  name = 'KeyLeaks1796500000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await ensureColumns(queryRunner, 'access_keys', [
      new TableColumn({ name: 'quarantined', type: 'boolean', default: 0 }),
      new TableColumn({ name: 'leak_url', type: 'varchar', length: '2048', isNullable: true }),
      new TableColumn({ name: 'tm_leaked', type: 'datetime', precision: 3, isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropColumnsIfPresent(queryRunner, 'access_keys', ['quarantined', 'leak_url', 'tm_leaked']);
  }
}
