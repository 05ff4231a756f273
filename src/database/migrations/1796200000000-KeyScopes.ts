import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Access keys get scopes (every existing key keeps its customer-admin rights) and allowed networks. */
export class KeyScopes1796200000000 implements MigrationInterface {
  name = 'KeyScopes1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Each column is checked first: MySQL commits each DDL statement by itself, so a run cut short
    // may have added one already.
    if (!(await queryRunner.hasColumn('access_keys', 'scopes'))) {
      await queryRunner.addColumn(
        'access_keys',
        new TableColumn({ name: 'scopes', type: 'varchar', length: '4096', default: `'["*:write"]'` }),
      );
    }
    if (!(await queryRunner.hasColumn('access_keys', 'allowed_cidrs'))) {
      await queryRunner.addColumn(
        'access_keys',
        new TableColumn({ name: 'allowed_cidrs', type: 'varchar', length: '1024', default: `'[]'` }),
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('access_keys', ['scopes', 'allowed_cidrs']);
  }
}
