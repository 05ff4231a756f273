import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Session } from '../../src/sessions/session.entity.js';
import { AccessKey } from '../../src/accesskeys/access-key.entity.js';
import { generateAccessKeyToken, hashAccessKeyToken } from '../../src/accesskeys/access-key-token.js';
import { Customer, Permission } from '../../src/customers/customer.entity.js';
import { hashPassword } from '../../src/customers/password.js';

export const PASSWORD = 'customer-password-1';
let passwordHash: Promise<string> | undefined;

/** A live customer whose password is PASSWORD (hashed once per run: argon2 is slow on purpose). */
export async function insertCustomer(ds: DataSource, overrides: Partial<Customer> = {}): Promise<Customer> {
  passwordHash ??= hashPassword(PASSWORD);
  const customer = ds.getRepository(Customer).create({
    id: randomUUID(),
    username: `user-${randomUUID().slice(0, 8)}`,
    passwordHash: await passwordHash,
    name: 'Test customer',
    detail: '',
    email: '',
    phoneNumber: '',
    address: '',
    webhookMethod: '',
    webhookUri: '',
    permission: Permission.CustomerAdmin,
    live: true,
    tokenGeneration: 0,
    tmCreate: new Date(),
    tmUpdate: null,
    tmDelete: null,
    ...overrides,
  });
  await ds.getRepository(Customer).insert(customer);
  return customer;
}

/** A key straight into the database; returns the row and its token. */
export async function insertAccessKey(
  ds: DataSource,
  customerId: string,
  overrides: Partial<AccessKey> = {},
): Promise<{ key: AccessKey; token: string }> {
  const token = generateAccessKeyToken();
  const now = new Date();
  const key = ds.getRepository(AccessKey).create({
    id: randomUUID(),
    customerId,
    name: 'test key',
    detail: '',
    tokenHash: hashAccessKeyToken(token),
    tokenPrefix: token.slice(0, 11),
    tmExpire: new Date(now.getTime() + 86400_000),
    tmCreate: now,
    tmUpdate: null,
    tmDelete: null,
    tmLastUsed: null,
    previousTokenHash: null,
    tmPreviousExpire: null,
    ...overrides,
  });
  await ds.getRepository(AccessKey).insert(key);
  return { key, token };
}

/** Empties every table except the migrations' own, through the DataSource. */
export async function truncate(ds: DataSource): Promise<void> {
  await ds.query('DELETE FROM audit_events');
  await ds.query('DELETE FROM audit_chains');
  await ds.query('DELETE FROM audit_checkpoints');
  await ds.query('DELETE FROM webhook_outbox');
  await ds.query('DELETE FROM webhook_secrets');
  await ds.query('DELETE FROM access_key_notices');
  await ds.query('DELETE FROM access_key_networks');
  await ds.query('DELETE FROM recovery_codes');
  await ds.query('DELETE FROM totp_credentials');
  await ds.getRepository(Session).createQueryBuilder().delete().execute();
  await ds.getRepository(AccessKey).createQueryBuilder().delete().execute();
  await ds.query('DELETE FROM key_policies');
  await ds.getRepository(Customer).createQueryBuilder().delete().execute();
}
