import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Repository } from 'typeorm';
import type { AccessKey } from '../accesskeys/access-key.entity.js';
import { generateAccessKeyToken } from '../accesskeys/access-key-token.js';
import { AccessKeysService } from '../accesskeys/accesskeys.service.js';
import type { LastUsedRecorder } from '../accesskeys/last-used.recorder.js';
import { Clock } from '../common/clock.js';
import { loadConfig } from '../config/app-config.js';
import type { Customer } from '../customers/customer.entity.js';
import type { CustomersService } from '../customers/customers.service.js';
import { AccessKeyStrategy } from './access-key.strategy.js';
import { JwtStrategy } from './jwt.strategy.js';

const config = loadConfig({ JWT_SECRET: 'y'.repeat(32) });
const live: Customer = { id: randomUUID(), permission: 64, tmDelete: null, tokenGeneration: 2 } as Customer;

function customers(found: Customer | null) {
  const asked: string[] = [];
  const service = {
    findLive: (id: string) => {
      asked.push(id);
      return Promise.resolve(found?.id === id ? found : null);
    },
  } as unknown as CustomersService;
  return { service, asked };
}

describe('JwtStrategy.validate', () => {
  const exp = Math.floor(Date.now() / 1000) + 60;

  it('resolves a live customer to a JWT principal with its current permission', async () => {
    const strategy = new JwtStrategy(config, customers(live).service);
    await expect(strategy.validate({ sub: live.id, exp, gen: 2 })).resolves.toEqual({
      customerId: live.id,
      permission: 64,
      via: 'jwt',
    });
  });

  it('fails, without a lookup, for a token without exp or with a sub that is not a UUID', async () => {
    const { service, asked } = customers(live);
    const strategy = new JwtStrategy(config, service);
    await expect(strategy.validate({ sub: live.id })).resolves.toBeNull();
    await expect(strategy.validate({ sub: 'admin', exp })).resolves.toBeNull();
    await expect(strategy.validate({ exp })).resolves.toBeNull();
    expect(asked).toEqual([]);
  });

  it('fails for a customer that is gone', async () => {
    const strategy = new JwtStrategy(config, customers(null).service);
    await expect(strategy.validate({ sub: live.id, exp, gen: 2 })).resolves.toBeNull();
  });

  it('fails for a token issued before the last password change', async () => {
    const strategy = new JwtStrategy(config, customers(live).service);
    await expect(strategy.validate({ sub: live.id, exp, gen: 1 })).resolves.toBeNull();
    await expect(strategy.validate({ sub: live.id, exp })).resolves.toBeNull();
  });
});

describe('access keys at authentication', () => {
  function keysService(row: Partial<AccessKey> | null) {
    const lookups: unknown[] = [];
    const repository = {
      findOne: (options: unknown) => {
        lookups.push(options);
        return Promise.resolve(row);
      },
    } as unknown as Repository<AccessKey>;
    const recorder = { record: () => undefined } as unknown as LastUsedRecorder;
    return { service: new AccessKeysService(repository, new Clock(), recorder), lookups };
  }
  const req = (query: Record<string, string>, authorization?: string) =>
    ({ headers: authorization ? { authorization } : {}, query, cookies: {} }) as unknown as FastifyRequest;
  const row = (overrides: Partial<AccessKey> = {}): Partial<AccessKey> => ({
    id: randomUUID(),
    customerId: live.id,
    tmExpire: new Date(Date.now() + 60_000),
    tmDelete: null,
    customer: live,
    ...overrides,
  });

  it('refuses a bad checksum before any database lookup', async () => {
    const { service, lookups } = keysService(row());
    const token = generateAccessKeyToken();
    const bad = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
    await expect(service.authenticate(bad)).resolves.toBeNull();
    await expect(service.authenticate('vb_short')).resolves.toBeNull();
    expect(lookups).toEqual([]);
  });

  it("makes a key act as its customer's admin", async () => {
    const found = row();
    const { service, lookups } = keysService(found);
    await expect(service.authenticate(generateAccessKeyToken())).resolves.toEqual({
      customerId: live.id,
      permission: 64 | 32,
      via: 'accesskey',
      accessKeyId: found.id,
    });
    expect(lookups).toHaveLength(1);
  });

  it('refuses an expired key and a key whose customer is deleted', async () => {
    const expired = keysService(row({ tmExpire: new Date(Date.now() - 1) })).service;
    await expect(expired.authenticate(generateAccessKeyToken())).resolves.toBeNull();
    const orphan = keysService(
      row({ customer: { id: live.id, permission: 64, tmDelete: new Date() } as Customer }),
    ).service;
    await expect(orphan.authenticate(generateAccessKeyToken())).resolves.toBeNull();
  });

  it('AccessKeyStrategy leaves a JWT to the other strategy without a lookup', async () => {
    const { service, lookups } = keysService(row());
    const strategy = new AccessKeyStrategy(service);
    await expect(strategy.validate(req({ token: 'eyJ.a.b' }))).resolves.toBeNull();
    await expect(strategy.validate(req({}, 'Bearer eyJ.a.b'))).resolves.toBeNull();
    expect(lookups).toEqual([]);
    await expect(strategy.validate(req({ accesskey: generateAccessKeyToken() }))).resolves.toMatchObject({
      via: 'accesskey',
    });
  });
});
