import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { AuditRecord } from '../audit/audit-event.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { ReadThroughCache } from '../common/read-through-cache.js';
import { transaction } from '../common/transaction.js';
import { Revocations } from '../redis/revocations.js';
import { KeyPolicy } from './key-policy.entity.js';

/** A customer's policy as the rules read it. */
export type Policy = Pick<KeyPolicy, 'customerId' | 'maxLifetime' | 'disableUnusedDays' | 'leakAction'>;

export type PolicyChanges = Partial<Pick<KeyPolicy, 'maxLifetime' | 'disableUnusedDays' | 'leakAction'>>;

const CACHED_POLICIES = 10_000;

const defaults = (customerId: string): Policy => ({
  customerId,
  maxLifetime: null,
  disableUnusedDays: null,
  leakAction: 'revoke',
});

/**
 * Key policies, one row per customer (none: the defaults). Reads go through a cache that a
 * change drops on every instance (a `customer` revocation, which every credential cache also
 * obeys), as does anything else that revokes the customer.
 */
@Injectable()
export class KeyPolicyRepository {
  private readonly cache: ReadThroughCache<Policy>;

  constructor(
    @InjectRepository(KeyPolicy) private readonly policies: Repository<KeyPolicy>,
    private readonly revocations: Revocations,
    private readonly audit: AuditRepository,
  ) {
    this.cache = revocations.cache(CACHED_POLICIES, (revoked, cache) => {
      if (revoked.kind === 'customer') cache.delete(revoked.id);
    });
  }

  /** The customer's policy, the defaults when it set none. */
  async get(customerId: string): Promise<Policy> {
    const found = await this.cache.get(customerId, async () => {
      const row = await this.policies.findOneBy({ customerId });
      return row === null ? defaults(customerId) : toPolicy(row);
    });
    return found ?? defaults(customerId);
  }

  /** The live customers whose policy disables unused keys, with its days (read fresh, not cached). */
  async disablingUnused(): Promise<{ customerId: string; days: number }[]> {
    const rows = (await this.policies.query(
      `SELECT p.customer_id, p.disable_unused_days FROM key_policies p
        INNER JOIN customers c ON c.id = p.customer_id
        WHERE p.disable_unused_days IS NOT NULL AND c.tm_delete IS NULL`,
    )) as { customer_id: string; disable_unused_days: number | string }[];
    return rows.map((row) => ({ customerId: row.customer_id, days: Number(row.disable_unused_days) }));
  }

  /** Writes the fields given over the current policy, with its event; the policy as left. */
  async update(customerId: string, changes: PolicyChanges, at: Date, event: AuditRecord): Promise<Policy> {
    const policy = await transaction(this.policies.manager.dataSource, async (m) => {
      const current = await m.findOneBy(KeyPolicy, { customerId });
      const base = current === null ? defaults(customerId) : toPolicy(current);
      const next: KeyPolicy = { ...base, ...changes, customerId, tmUpdate: at };
      await m.upsert(KeyPolicy, next, ['customerId']);
      await this.audit.append(m, event);
      return toPolicy(next);
    });
    await this.revocations.publish({ kind: 'customer', id: customerId });
    return policy;
  }
}

function toPolicy(row: KeyPolicy): Policy {
  return {
    customerId: row.customerId,
    maxLifetime: row.maxLifetime === null ? null : Number(row.maxLifetime),
    disableUnusedDays: row.disableUnusedDays === null ? null : Number(row.disableUnusedDays),
    leakAction: row.leakAction,
  };
}
