import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Password changes revoke earlier JWTs; a rolled key keeps its previous secret for a grace period. */
export class CredentialLifecycle1795898488202 implements MigrationInterface {
  name = 'CredentialLifecycle1795898488202';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'customers',
      new TableColumn({ name: 'token_generation', type: 'integer', default: 0 }),
    );
    await queryRunner.addColumns('access_keys', [
      new TableColumn({ name: 'previous_token_hash', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'tm_previous_expire', type: 'datetime', precision: 3, isNullable: true }),
    ]);
    await queryRunner.createIndex(
      'access_keys',
      new TableIndex({
        name: 'UQ_access_keys_previous_token_hash',
        columnNames: ['previous_token_hash'],
        isUnique: true,
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('access_keys', 'UQ_access_keys_previous_token_hash');
    await queryRunner.dropColumns('access_keys', ['previous_token_hash', 'tm_previous_expire']);
    await queryRunner.dropColumn('customers', 'token_generation');
  }
}
