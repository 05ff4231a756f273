import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dropColumnsIfPresent, ensureColumns } from '../idempotent-steps.js';

/** Access keys get scopes (every existing key keeps its customer-admin rights) and allowed networks. */
export class KeyScopes1796200000000 implements MigrationInterface {
  name = 'KeyScopes1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await ensureColumns(queryRunner, 'access_keys', [
      new TableColumn({ name: 'scopes', type: 'varchar', length: '4096', default: `'["*:write"]'` }),
      new TableColumn({ name: 'allowed_cidrs', type: 'varchar', length: '1024', default: `'[]'` }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropColumnsIfPresent(queryRunner, 'access_keys', ['scopes', 'allowed_cidrs']);
  }
}
