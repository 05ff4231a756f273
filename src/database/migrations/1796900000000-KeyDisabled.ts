import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dropColumnsIfPresent, ensureColumns } from '../idempotent-steps.js';

/** When the sweep disabled a key left unused longer than its customer's `disable_unused_days`. */
export class KeyDisabled1796900000000 implements MigrationInterface {
  name = 'KeyDisabled1796900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await ensureColumns(queryRunner, 'access_keys', [
      new TableColumn({ name: 'tm_disabled', type: 'datetime', precision: 3, isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropColumnsIfPresent(queryRunner, 'access_keys', ['tm_disabled']);
  }
}
