import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { AccessKey } from '../src/accesskeys/access-key.entity.js';
import { Customer } from '../src/customers/customer.entity.js';
import { CustomerContact1796195593009 } from '../src/database/migrations/1796195593009-CustomerContact.js';
import { login, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD } from './support/factories.js';

const CONTACT_COLUMNS = ['email', 'phone_number', 'address', 'webhook_method', 'webhook_uri'];
const NAME = new CustomerContact1796195593009().name;

describe.each(DATABASES)('the customer contact migration on $name', (database) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(await database.prepare('contact_migration'));
  });
  afterAll(() => t.close());

  const columns = async () => {
    const runner = t.ds.createQueryRunner();
    try {
      const table = await runner.getTable('customers');
      return { columns: table!.columns.map((c) => c.name), indices: table!.indices.map((i) => i.name) };
    } finally {
      await runner.release();
    }
  };

  /** Runs the migrations the way the service does at start, foreign-key checks and all. */
  const migrate = () => t.ds.runMigrations({ transaction: 'all' });

  it('runs again after a run that added only some columns, keeping every row and index', async () => {
    const customer = await insertCustomer(t.ds, { email: 'ops@acme.example.com', address: 'Main St' });
    const { token } = await insertAccessKey(t.ds, customer.id);

    // MySQL commits each ALTER TABLE at once: a run cut short leaves some columns added and the
    // migration unrecorded. The next start must add the rest, not fail on the first.
    const runner = t.ds.createQueryRunner();
    try {
      if (database.name === 'sqlite') await runner.query('PRAGMA foreign_keys = OFF');
      await runner.dropColumns('customers', ['webhook_method', 'webhook_uri']);
      if (database.name === 'sqlite') await runner.query('PRAGMA foreign_keys = ON');
    } finally {
      await runner.release();
    }
    await t.ds.query(`DELETE FROM migrations WHERE name = ?`, [NAME]);
    expect((await columns()).columns).not.toContain('webhook_uri');

    const ran = await migrate();
    expect(ran.map((m) => m.name)).toEqual([NAME]);
    const after = await columns();
    expect(after.columns).toEqual(expect.arrayContaining(CONTACT_COLUMNS));
    expect(after.indices).toContain('UQ_customers_username_live');
    await expect(t.ds.getRepository(Customer).findOneByOrFail({ id: customer.id })).resolves.toMatchObject({
      email: 'ops@acme.example.com',
      address: 'Main St',
      webhookMethod: '',
      webhookUri: '',
    });
    await expect(t.ds.getRepository(AccessKey).countBy({ customerId: customer.id })).resolves.toBe(1);
    await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`).expect(200);
    await login(t.http, customer.username, PASSWORD);
  });

  it('reverts, and runs again on a database that has rows', async () => {
    await insertCustomer(t.ds);
    // SQLite drops a column by rebuilding the table, which the access keys' foreign key allows only
    // with the checks off; TypeORM turns them off for a revert inside its transaction, where SQLite
    // ignores it. So there a revert runs outside one (`migration:revert -t none`).
    await t.ds.undoLastMigration({ transaction: database.name === 'sqlite' ? 'none' : 'all' });
    expect((await columns()).columns).not.toContain('email');
    await migrate();
    expect((await columns()).columns).toEqual(expect.arrayContaining(CONTACT_COLUMNS));
    await expect(migrate()).resolves.toEqual([]);
  });
});
