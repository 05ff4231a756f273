import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { uuid } from '../column-types.js';

/**
 * The signed checkpoint of each pruned audit chain: the last pruned event's sequence and hash, from
 * which verification goes on. Made only if missing, as a run cut short may have made it.
 */
export class AuditCheckpoints1796300000001 implements MigrationInterface {
  name = 'AuditCheckpoints1796300000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (await queryRunner.hasTable('audit_checkpoints')) return;
    await queryRunner.createTable(
      new Table({
        name: 'audit_checkpoints',
        columns: [
          { ...uuid(queryRunner, 'customer_id'), isPrimary: true },
          { name: 'sequence', type: 'integer' },
          { name: 'hash', type: 'varchar', length: '64' },
          { name: 'tm_create', type: 'datetime', precision: 3 },
          { name: 'signature', type: 'varchar', length: '256' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_checkpoints', true);
  }
}
