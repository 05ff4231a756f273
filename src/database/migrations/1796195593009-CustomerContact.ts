import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

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

/**
 * VoIPBIN's contact and webhook fields of a customer. MySQL commits each ALTER TABLE at once, so a
 * run cut short leaves some columns added and the migration unrecorded: each column is added only
 * if missing, and the next run finishes the job. One addColumns call, so that SQLite (which
 * rebuilds the table to add columns) rebuilds it once.
 */
export class CustomerContact1796195593009 implements MigrationInterface {
  name = 'CustomerContact1796195593009';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = await queryRunner.getTable('customers');
    const missing = columns().filter((column) => !table?.findColumnByName(column.name));
    if (missing.length > 0) await queryRunner.addColumns('customers', missing);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = await queryRunner.getTable('customers');
    const present = columns()
      .map((column) => column.name)
      .filter((name) => table?.findColumnByName(name));
    if (present.length > 0) await queryRunner.dropColumns('customers', present);
  }
}
