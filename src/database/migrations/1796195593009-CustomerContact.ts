import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dropColumnsIfPresent, ensureColumns } from '../idempotent-steps.js';

const text = (name: string, length: number) =>
  new TableColumn({ name, type: 'varchar', length: String(length), default: "''" });

/** Made anew for each run: TypeORM may keep and change the objects it is given. */
const columns = () => [
  text('email', 254),
  text('phone_number', 16),
  text('address', 1024),
  text('webhook_method', 6),
  text('webhook_uri', 1023),
];

/** VoIPBIN's contact and webhook fields of a customer. */
export class CustomerContact1796195593009 implements MigrationInterface {
  name = 'CustomerContact1796195593009';

  async up(queryRunner: QueryRunner): Promise<void> {
    await ensureColumns(queryRunner, 'customers', columns());
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropColumnsIfPresent(
      queryRunner,
      'customers',
      columns().map((column) => column.name),
    );
  }
}
