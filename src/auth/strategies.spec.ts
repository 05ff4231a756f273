import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Repository } from 'typeorm';
import type { AccessKey } from '../accesskeys/access-key.entity.js';
import { generateAccessKeyToken, hashAccessKeyToken } from '../accesskeys/access-key-token.js';
import { AccessKeysService } from '../accesskeys/accesskeys.service.js';
import type { LastUsedRecorder } from '../accesskeys/last-used.recorder.js';
import { Clock } from '../common/clock.js';
import { loadConfig } from '../config/app-config.js';
import type { Customer } from '../customers/customer.entity.js';
import type { CustomersService } from '../customers/customers.service.js';
import { AccessKeyStrategy } from './access-key.strategy.js';
import { CredentialCache } from './credential-cache.js';
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
  /** A request that carries `token` as its Bearer JWT. */
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as FastifyRequest;
  const strategyWith = (found: Customer | null) => {
    const { service, asked } = customers(found);
    const cache = new CredentialCache(config);
    return { strategy: new JwtStrategy(config, service, cache), asked, cache };
  };

  it('resolves a live customer to a JWT principal with its current permission, and keeps the verdict', async () => {
    const { strategy, cache } = strategyWith(live);
    await expect(strategy.validate(bearer('t1'), { sub: live.id, exp, gen: 2 })).resolves.toEqual({
      customerId: live.id,
      permission: 64,
      via: 'jwt',
    });
    expect(cache.knownJwt('t1', Date.now())).toEqual({ sub: live.id, exp, gen: 2 });
  });

  it('fails, without a lookup or a kept verdict, for a token without exp or with a sub that is not a UUID', async () => {
    const { strategy, asked, cache } = strategyWith(live);
    await expect(strategy.validate(bearer('t1'), { sub: live.id })).resolves.toBeNull();
    await expect(strategy.validate(bearer('t2'), { sub: 'admin', exp })).resolves.toBeNull();
    await expect(strategy.validate(bearer('t3'), { exp })).resolves.toBeNull();
    expect(asked).toEqual([]);
    for (const token of ['t1', 't2', 't3']) expect(cache.knownJwt(token, Date.now())).toBeUndefined();
  });

  it('fails for a customer that is gone', async () => {
    const { strategy } = strategyWith(null);
    await expect(strategy.validate(bearer('t1'), { sub: live.id, exp, gen: 2 })).resolves.toBeNull();
  });

  it('fails for a token issued before the last password change, even with its verdict kept', async () => {
    const { strategy } = strategyWith(live);
    await expect(strategy.validate(bearer('t1'), { sub: live.id, exp, gen: 1 })).resolves.toBeNull();
    await expect(strategy.validate(bearer('t2'), { sub: live.id, exp })).resolves.toBeNull();
    await expect(strategy.principalFor({ sub: live.id, exp, gen: 1 })).resolves.toBeNull();
  });
});

describe('access keys at authentication', () => {
  /** A repository that answers the lookup by token hash with `found` (a key row joined to `live`). */
  function keysService(found: Row | null) {
    const lookups: unknown[] = [];
    const repository = {
      query: (_sql: string, parameters: unknown[]) => {
        lookups.push(parameters);
        return Promise.resolve(found === null ? [] : [found]);
      },
    } as unknown as Repository<AccessKey>;
    const recorder = { record: () => false } as unknown as LastUsedRecorder;
    const cache = new CredentialCache(config);
    return { service: new AccessKeysService(repository, new Clock(), recorder, cache), lookups };
  }
  interface Row {
    id: string;
    customer_id: string;
    token_hash: string;
    tm_expire: Date;
    tm_previous_expire: Date | null;
    tm_last_used: Date | null;
    permission: number;
  }
  const req = (query: Record<string, string>, authorization?: string) =>
    ({ headers: authorization ? { authorization } : {}, query, cookies: {} }) as unknown as FastifyRequest;
  const row = (overrides: Partial<Row> = {}): Row => ({
    id: randomUUID(),
    customer_id: live.id,
    token_hash: '',
    tm_expire: new Date(Date.now() + 60_000),
    tm_previous_expire: null,
    tm_last_used: null,
    permission: live.permission,
    ...overrides,
  });
  /** A token and the row its current secret matches. */
  const keyFor = (overrides: Partial<Row> = {}) => {
    const token = generateAccessKeyToken();
    return { token, found: row({ token_hash: hashAccessKeyToken(token), ...overrides }) };
  };

  it('refuses a bad checksum before any database lookup', async () => {
    const { service, lookups } = keysService(row());
    const token = generateAccessKeyToken();
    const bad = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
    await expect(service.authenticate(bad)).resolves.toBeNull();
    await expect(service.authenticate('vb_short')).resolves.toBeNull();
    expect(lookups).toEqual([]);
  });

  it("makes a key act as its customer's admin", async () => {
    const { token, found } = keyFor();
    const { service, lookups } = keysService(found);
    await expect(service.authenticate(token)).resolves.toEqual({
      customerId: live.id,
      permission: 64 | 32,
      via: 'accesskey',
      accessKeyId: found.id,
    });
    expect(lookups).toEqual([[found.token_hash, found.token_hash]]);
  });

  it('refuses a key the lookup does not find (unknown, deleted, or its customer deleted)', async () => {
    await expect(keysService(null).service.authenticate(generateAccessKeyToken())).resolves.toBeNull();
  });

  it('refuses an expired key, and a secret from before a roll once its grace is over', async () => {
    const expired = keyFor({ tm_expire: new Date(Date.now() - 1) });
    await expect(keysService(expired.found).service.authenticate(expired.token)).resolves.toBe('expired');
    const token = generateAccessKeyToken();
    const rolled = row({ token_hash: 'f'.repeat(64), tm_previous_expire: new Date(Date.now() - 1) });
    await expect(keysService(rolled).service.authenticate(token)).resolves.toBe('expired');
    const inGrace = row({ token_hash: 'f'.repeat(64), tm_previous_expire: new Date(Date.now() + 60_000) });
    await expect(keysService(inGrace).service.authenticate(token)).resolves.toMatchObject({
      accessKeyId: inGrace.id,
    });
  });

  it('AccessKeyStrategy leaves a JWT to the other strategy without a lookup', async () => {
    const { token, found } = keyFor();
    const { service, lookups } = keysService(found);
    const strategy = new AccessKeyStrategy(service);
    await expect(strategy.validate(req({ token: 'eyJ.a.b' }))).resolves.toBeNull();
    await expect(strategy.validate(req({}, 'Bearer eyJ.a.b'))).resolves.toBeNull();
    expect(lookups).toEqual([]);
    await expect(strategy.validate(req({ accesskey: token }))).resolves.toMatchObject({
      via: 'accesskey',
    });
  });
});
