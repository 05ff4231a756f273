import { describe, expect, it } from '@jest/globals';
import type { Repository } from 'typeorm';
import type { AccessKey } from '../accesskeys/access-key.entity.js';
import { AccessKeyRepository } from '../accesskeys/access-key.repository.js';
import type { AuditRepository } from '../audit/audit.repository.js';
import { loadConfig } from '../config/app-config.js';
import type { Customer } from '../customers/customer.entity.js';
import { CustomerRepository } from '../customers/customer.repository.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { RedisConnection } from './redis.connection.js';
import { Revocations } from './revocations.js';

const noRedis = { client: null, keyPrefix: '' } as RedisConnection;
const revocationsWith = (ttl: string) =>
  new Revocations(
    loadConfig({ JWT_SECRET: 'z'.repeat(32), AUTH_CACHE_TTL: ttl }),
    noRedis,
    new MetricsService(),
  );

/** Repositories on a fake database that counts what is asked of it. */
function repositories(revocations: Revocations) {
  const asked: string[] = [];
  const keyRow = (hash: string) => ({
    id: `key-of-${hash}`,
    customer_id: hash.startsWith('a') ? 'alice' : 'bob',
    token_hash: hash,
    tm_expire: new Date(Date.now() + 60_000),
    tm_previous_expire: null,
    tm_last_used: null,
    scopes: '["*:write"]',
    allowed_cidrs: '[]',
    username: 'x',
    permission: 32,
    c_tm_create: new Date(0),
    c_tm_update: null,
    c_tm_delete: null,
  });
  const keys = new AccessKeyRepository(
    {
      // A driver that is neither SQLite nor MySQL: the lookup goes through dataSource.query.
      manager: {
        dataSource: {
          options: { type: 'postgres' },
          driver: {},
          query: (_sql: string, params: string[]) => {
            const hash = params.at(-1) ?? '';
            asked.push(hash);
            return Promise.resolve([keyRow(hash)]);
          },
        },
      },
    } as unknown as Repository<AccessKey>,
    revocations,
    {} as AuditRepository,
  );
  const customers = new CustomerRepository(
    {
      manager: { dataSource: { options: { type: 'postgres' }, driver: {} } },
      findOneBy: ({ id }: { id: string }) => {
        asked.push(id);
        return Promise.resolve({ id, tokenGeneration: 0 } as Customer);
      },
    } as unknown as Repository<Customer>,
    revocations,
    {} as AuditRepository,
  );
  const touchAll = async () => {
    for (const hash of ['a1', 'b1']) await keys.findCredential(hash);
    for (const id of ['alice', 'bob']) await customers.findLive(id);
  };
  return { asked, touchAll };
}

describe('Revocations', () => {
  it("drops, on this instance, a revoked key, or a customer with every key of that customer, and nobody else's", async () => {
    const revocations = revocationsWith('10');
    const { asked, touchAll } = repositories(revocations);
    await touchAll();
    await touchAll();
    expect(asked).toEqual(['a1', 'b1', 'alice', 'bob']);

    await revocations.publish({ kind: 'key', id: 'key-of-b1' });
    asked.length = 0;
    await touchAll();
    expect(asked).toEqual(['b1']);

    await revocations.publish({ kind: 'customer', id: 'alice' });
    asked.length = 0;
    await touchAll();
    expect(asked).toEqual(['a1', 'alice']);
  });

  it('lets caches keep nothing with AUTH_CACHE_TTL=0, and AUTH_CACHE_TTL without Redis', () => {
    expect(revocationsWith('0').cacheTtlMs()).toBe(0);
    expect(revocationsWith('10').cacheTtlMs()).toBe(10_000);
  });

  it('with AUTH_CACHE_TTL=0, asks the database every time', async () => {
    const { asked, touchAll } = repositories(revocationsWith('0'));
    await touchAll();
    await touchAll();
    expect(asked).toHaveLength(8);
  });
});
