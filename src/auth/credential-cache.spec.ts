import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../config/app-config.js';
import type { Customer } from '../customers/customer.entity.js';
import { CredentialCache, type CachedAccessKey } from './credential-cache.js';

const config = (ttl = '10') => loadConfig({ JWT_SECRET: 'z'.repeat(32), AUTH_CACHE_TTL: ttl });

const key = (id: string, customerId: string): CachedAccessKey => ({
  id,
  customerId,
  permission: 32,
  previous: false,
  tmExpire: new Date(Date.now() + 60_000),
  tmPreviousExpire: null,
  tmLastUsed: null,
});

/** A loader that counts its calls and answers what `answer` holds at the time. */
function loader<T>(answer: () => T | null | Error) {
  const counter = {
    calls: 0,
    load: () => {
      counter.calls++;
      const value = answer();
      return value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
    },
  };
  return counter;
}

describe('CredentialCache', () => {
  it('reuses a found key until the key is forgotten, then asks again', async () => {
    const cache = new CredentialCache(config());
    const k1 = loader(() => key('k1', 'c1'));
    await cache.accessKey('hash1', k1.load);
    await cache.accessKey('hash1', k1.load);
    expect(k1.calls).toBe(1);

    await cache.forgetAccessKey('other');
    await cache.accessKey('hash1', k1.load);
    expect(k1.calls).toBe(1);

    await cache.forgetAccessKey('k1');
    await cache.accessKey('hash1', k1.load);
    expect(k1.calls).toBe(2);
  });

  it("forgets a customer and every key of that customer, and nobody else's", async () => {
    const cache = new CredentialCache(config());
    const alice = loader(() => ({ id: 'c1', permission: 32, tokenGeneration: 0 }) as Customer);
    const bob = loader(() => ({ id: 'c2', permission: 32, tokenGeneration: 0 }) as Customer);
    const aliceKey = loader(() => key('k1', 'c1'));
    const bobKey = loader(() => key('k2', 'c2'));
    const touchAll = async () => {
      await cache.customer('c1', alice.load);
      await cache.customer('c2', bob.load);
      await cache.accessKey('h1', aliceKey.load);
      await cache.accessKey('h2', bobKey.load);
    };
    await touchAll();
    await cache.forgetCustomer('c1');
    await touchAll();
    expect([alice.calls, aliceKey.calls, bob.calls, bobKey.calls]).toEqual([2, 2, 1, 1]);
  });

  it('never keeps a miss or a database error', async () => {
    const cache = new CredentialCache(config());
    let answer: CachedAccessKey | null | Error = null;
    const k = loader(() => answer);
    await expect(Promise.resolve(cache.accessKey('h', k.load))).resolves.toBeNull();
    answer = new Error('connection lost');
    await expect(Promise.resolve(cache.accessKey('h', k.load))).rejects.toThrow('connection lost');
    answer = key('k1', 'c1');
    await expect(Promise.resolve(cache.accessKey('h', k.load))).resolves.toEqual(answer);
    expect(k.calls).toBe(3);
  });

  it('does not store what a lookup read before a revocation that happened while it ran', async () => {
    const cache = new CredentialCache(config());
    let release: (value: CachedAccessKey) => void = () => undefined;
    const stale = new Promise<CachedAccessKey>((resolve) => (release = resolve));
    const pending = cache.accessKey('h', () => stale);
    await cache.forgetAccessKey('k1'); // the key is deleted while the lookup is on its way
    release(key('k1', 'c1'));
    await pending;
    const fresh = loader(() => null);
    await expect(Promise.resolve(cache.accessKey('h', fresh.load))).resolves.toBeNull();
    expect(fresh.calls).toBe(1);
  });

  it('asks every time with AUTH_CACHE_TTL=0', async () => {
    const cache = new CredentialCache(config('0'));
    const k = loader(() => key('k1', 'c1'));
    await cache.accessKey('h', k.load);
    await cache.accessKey('h', k.load);
    expect(k.calls).toBe(2);
  });

  it('keeps a verified JWT until it expires, never one already expired', () => {
    const cache = new CredentialCache(config());
    const now = Date.now();
    const old = { sub: 'c1', exp: Math.floor(now / 1000) - 1, gen: 0 };
    const good = { sub: 'c1', exp: Math.floor(now / 1000) + 3600, gen: 0 };
    const soon = { sub: 'c1', exp: Math.floor(now / 1000) + 2, gen: 0 };
    expect(cache.knownJwt('good', now)).toBeUndefined();
    cache.rememberJwt('old', old, now);
    cache.rememberJwt('good', good, now);
    cache.rememberJwt('soon', soon, now);
    expect(cache.knownJwt('old', now)).toBeUndefined();
    expect(cache.knownJwt('good', now)).toEqual(good);
    expect(cache.knownJwt('soon', now)).toEqual(soon);
    // Past its exp, whatever the cache's own clock says.
    expect(cache.knownJwt('soon', now + 3_000)).toBeUndefined();
    expect(cache.knownJwt('good', now + 3_000)).toEqual(good);
  });
});
