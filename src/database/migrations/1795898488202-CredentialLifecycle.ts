import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dropColumnsIfPresent, dropIndexIfPresent, ensureColumns, ensureIndex } from '../idempotent-steps.js';

/** Password changes revoke earlier JWTs; a rolled key keeps its previous secret for a grace period. */
export class CredentialLifecycle1795898488202 implements MigrationInterface {
  name = 'CredentialLifecycle1795898488202';

  async up(queryRunner: QueryRunner): Promise<void> {
    await ensureColumns(queryRunner, 'customers', [
      new TableColumn({ name: 'token_generation', type: 'integer', default: 0 }),
    ]);
    await ensureColumns(queryRunner, 'access_keys', [
      new TableColumn({ name: 'previous_token_hash', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'tm_previous_expire', type: 'datetime', precision: 3, isNullable: true }),
    ]);
    await ensureIndex(
      queryRunner,
      'access_keys',
      new TableIndex({
        name: 'UQ_access_keys_previous_token_hash',
        columnNames: ['previous_token_hash'],
        isUnique: true,
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropIndexIfPresent(queryRunner, 'access_keys', 'UQ_access_keys_previous_token_hash');
    await dropColumnsIfPresent(queryRunner, 'access_keys', ['previous_token_hash', 'tm_previous_expire']);
    await dropColumnsIfPresent(queryRunner, 'customers', ['token_generation']);
  }
}
