import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Not, Repository, type QueryDeepPartialEntity } from 'typeorm';
import { newestFirst, pageOf, type Page, type PageRequest } from '../common/pagination.js';
import { replicaRead } from '../common/replica-read.js';
import { ReadThroughCache } from '../common/read-through-cache.js';
import { fromSqlDatetime, fromSqlDatetimeOrNull, sqlDatetime } from '../common/sql-time.js';
import type { AuditRecord } from '../audit/audit-event.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { transaction } from '../common/transaction.js';
import { preparedRead, type PreparedRead } from '../common/prepared.js';
import { Revocations } from '../redis/revocations.js';
import {
  OWN_PROFILE_COLUMNS,
  OWN_PROFILE_PARAMS,
  ownProfileOf,
  type OwnProfile,
  type OwnProfileRow,
} from '../customers/customer.repository.js';
import { AccessKey } from './access-key.entity.js';
import type { LeakAction } from './key-policy.entity.js';

/** What a key's answer shows: never its hashes. */
export type ShownKey = Omit<AccessKey, 'tokenHash' | 'previousTokenHash' | 'tmPreviousExpire'>;

/** What authentication needs of a live key found by a secret's hash, and of its live customer. */
export interface KeyCredential {
  id: string;
  customerId: string;
  username: string;
  permission: number;
  /** Whether the secret was the key's secret of before a roll (good until `tmPreviousExpire`). */
  previous: boolean;
  tmExpire: Date;
  tmPreviousExpire: Date | null;
  tmLastUsed: Date | null;
  scopes: string[];
  allowedCidrs: string[];
  /** Left its read scopes only by a leak report. */
  quarantined: boolean;
  /** Disabled for going unused: refused like an invalid credential until its owner enables it. */
  disabled: boolean;
  /** The customer's profile as GET /v1.0/customer answers it (dropped with the key on a `customer` revocation). */
  profile: OwnProfile;
}

/** What a leak report does to a key: see KeyPolicy.leakAction. */
export interface Leak {
  url: string | null;
  at: Date;
  action: LeakAction;
  /** The secret reported is the one a roll replaced: revoking ends its grace, the key goes on. */
  previous: boolean;
}

/** What a key's owner may change of it. */
export type KeyChanges = Pick<Partial<AccessKey>, 'name' | 'detail'> & { tmUpdate: Date };

/** A new secret for a key; `tmPreviousExpire` null kills the current one at once. */
export type NewSecret = Pick<AccessKey, 'tokenHash' | 'tokenPrefix' | 'tmPreviousExpire' | 'tmUpdate'>;

/** Enough for every client of a busy instance; an entry is a few hundred bytes. */
const CACHED_KEYS = 10_000;

/**
 * The one statement an access key costs a request that misses the cache: key and customer together
 * (the customer's profile too, which GET /v1.0/customer answers), through the token hashes' indexes, prepared on the driver (common/prepared.ts). The same SQL on
 * SQLite and MySQL/MariaDB.
 */
const FIND_BY_TOKEN_HASH = `SELECT k.id, k.customer_id, k.token_hash, k.tm_expire, k.tm_previous_expire,
    k.tm_last_used, k.scopes, k.allowed_cidrs, k.quarantined, k.tm_disabled, c.username, c.permission,
    ${OWN_PROFILE_COLUMNS}
  FROM access_keys k INNER JOIN customers c ON c.id = k.customer_id
  WHERE (k.token_hash = ? OR k.previous_token_hash = ?) AND k.tm_delete IS NULL AND c.tm_delete IS NULL`;

const LIVE_KEYS_OF_CUSTOMER = `SELECT id, customer_id, name, detail, token_prefix, tm_expire, tm_create, tm_update,
    tm_delete, tm_last_used, scopes, allowed_cidrs, quarantined, leak_url, tm_leaked, tm_disabled
  FROM access_keys WHERE customer_id = ? AND tm_delete IS NULL`;

/** A customer's live, enabled, unexpired keys unused since before a time (`tm_create` for a key never used). */
const UNUSED_KEYS_OF_CUSTOMER = `SELECT id, name, token_prefix FROM access_keys
  WHERE customer_id = ? AND tm_delete IS NULL AND tm_disabled IS NULL AND tm_expire > ?
    AND COALESCE(tm_last_used, tm_create) < ?
  ORDER BY tm_create, id LIMIT ?`;

/** A key the sweep may disable. */
export type UnusedKey = Pick<AccessKey, 'id' | 'name' | 'tokenPrefix'>;

interface CredentialRow extends OwnProfileRow {
  id: string;
  customer_id: string;
  token_hash: string;
  tm_expire: Date | string;
  tm_previous_expire: Date | string | null;
  tm_last_used: Date | string | null;
  scopes: string;
  allowed_cidrs: string;
  quarantined: number | boolean;
  tm_disabled: Date | string | null;
  username: string;
  permission: number | string;
}

interface KeyRow {
  id: string;
  customer_id: string;
  name: string;
  detail: string;
  token_prefix: string;
  tm_expire: Date | string;
  tm_create: Date | string;
  tm_update: Date | string | null;
  tm_delete: Date | string | null;
  tm_last_used: Date | string | null;
  scopes: string;
  allowed_cidrs: string;
  quarantined: number | boolean;
  leak_url: string | null;
  tm_leaked: Date | string | null;
  tm_disabled: Date | string | null;
}

/**
 * Every query of access keys. Each takes the owner's customer id and scopes by it (the lookup by a
 * secret's hash aside, which is how a caller proves to be that owner): no method reaches a key by
 * id alone, so each lands on the owner's shard when the table is sharded by customer. The lookup for authentication is kept in a cache (AUTH_CACHE_TTL) that every write
 * here revokes, on this instance and, through Revocations, on the others.
 */
@Injectable()
export class AccessKeyRepository {
  private readonly cache: ReadThroughCache<KeyCredential>;
  private readonly findByTokenHash: PreparedRead<CredentialRow>;

  constructor(
    @InjectRepository(AccessKey) private readonly keys: Repository<AccessKey>,
    private readonly revocations: Revocations,
    private readonly audit: AuditRepository,
  ) {
    this.findByTokenHash = preparedRead(keys.manager.dataSource, FIND_BY_TOKEN_HASH);
    this.cache = revocations.cache(CACHED_KEYS, (revoked, cache) => {
      if (revoked.kind === 'key') cache.deleteWhere((key) => key.id === revoked.id);
      else if (revoked.kind === 'customer') cache.deleteWhere((key) => key.customerId === revoked.id);
    });
  }

  /** The live key (of a live customer) one of whose secrets hashes to `tokenHash`. */
  findCredential(tokenHash: string): KeyCredential | Promise<KeyCredential | null> {
    return this.cache.get(tokenHash, async () => {
      const rows = await this.findByTokenHash([...OWN_PROFILE_PARAMS, tokenHash, tokenHash]);
      return rows[0] === undefined ? null : fromCredentialRow(rows[0], tokenHash);
    });
  }

  /** Live keys, newest first. */
  async list(customerId: string, page: PageRequest): Promise<Page<ShownKey>> {
    const rows: KeyRow[] = await replicaRead(
      this.keys.manager.dataSource,
      ...newestFirst(LIVE_KEYS_OF_CUSTOMER, [customerId], page),
    );
    return pageOf(rows.map(fromKeyRow));
  }

  findLive(customerId: string, id: string): Promise<AccessKey | null> {
    return this.keys.findOneBy({ id, customerId, tmDelete: IsNull() });
  }

  /** Inserts a key and the event that records it. */
  async insert(key: AccessKey, event: AuditRecord): Promise<void> {
    await transaction(
      this.keys.manager.dataSource,
      async (m) => {
        // A copy: on MariaDB TypeORM merges what INSERT ... RETURNING read back into the object it
        // is given, raw, past the JSON columns' transformer, and the caller answers from `key`.
        await m.insert(AccessKey, m.create(AccessKey, key));
        await this.audit.append(m, event);
      },
      'READ COMMITTED',
    );
  }

  /**
   * The key as this change left it; null when the customer has no live key with this id. Each
   * write here appends `event` with its change, and only when it changed a key.
   */
  update(customerId: string, id: string, changes: KeyChanges, event: AuditRecord): Promise<ShownKey | null> {
    return this.change(customerId, id, changes, event);
  }

  /** Soft delete: the key as deleted; null when the customer has no live key with this id. */
  async softDelete(customerId: string, id: string, at: Date, event: AuditRecord): Promise<ShownKey | null> {
    const deleted = await this.change(customerId, id, { tmDelete: at, tmUpdate: at }, event);
    if (deleted !== null) await this.revocations.publish({ kind: 'key', id });
    return deleted;
  }

  /** Ends the grace period of the secret a roll replaced, at once; false when no live key has this id. */
  async endGrace(customerId: string, id: string, at: Date, event: AuditRecord): Promise<boolean> {
    const changes = { previousTokenHash: null, tmPreviousExpire: null, tmUpdate: at };
    const ended = await this.change(customerId, id, changes, event);
    if (ended !== null) await this.revocations.publish({ kind: 'key', id });
    return ended !== null;
  }

  /**
   * Gives a live key a new secret; the current one becomes the previous secret, good until
   * `tmPreviousExpire` (or dies now when that is null). The key as rolled; null when the customer
   * has no live key with this id.
   */
  async roll(
    customerId: string,
    id: string,
    secret: NewSecret,
    event: AuditRecord,
  ): Promise<ShownKey | null> {
    const rolled = await this.change(
      customerId,
      id,
      {
        // First: MySQL assigns left to right, so a later `token_hash` would already be the new one.
        previousTokenHash: secret.tmPreviousExpire === null ? null : () => 'token_hash',
        tmPreviousExpire: secret.tmPreviousExpire,
        tokenHash: secret.tokenHash,
        tokenPrefix: secret.tokenPrefix,
        tmUpdate: secret.tmUpdate,
      },
      event,
    );
    if (rolled !== null) await this.revocations.publish({ kind: 'key', id });
    return rolled;
  }

  /**
   * Records a leak report on a live key and does what the customer's policy says: `revoke`
   * deletes it (or ends the grace of a replaced secret), `quarantine` leaves it its read scopes,
   * `notify` changes nothing else. Every instance drops the key at once. False when no live key
   * has this id.
   */
  async recordLeak(customerId: string, id: string, leak: Leak, event: AuditRecord): Promise<boolean> {
    const changes: QueryDeepPartialEntity<AccessKey> = {
      leakUrl: leak.url,
      tmLeaked: leak.at,
      tmUpdate: leak.at,
    };
    if (leak.action === 'quarantine') changes.quarantined = true;
    if (leak.action === 'revoke' && leak.previous) {
      changes.previousTokenHash = null;
      changes.tmPreviousExpire = null;
    } else if (leak.action === 'revoke') changes.tmDelete = leak.at;
    const changed = await this.change(customerId, id, changes, event);
    if (changed !== null) await this.revocations.publish({ kind: 'key', id });
    return changed !== null;
  }

  /** Up to `limit` of the customer's live, enabled, unexpired keys unused since before `unusedSince`. */
  async unused(customerId: string, unusedSince: Date, now: Date, limit: number): Promise<UnusedKey[]> {
    const rows = (await this.keys.query(UNUSED_KEYS_OF_CUSTOMER, [
      customerId,
      sqlDatetime(now),
      sqlDatetime(unusedSince),
      limit,
    ])) as { id: string; name: string; token_prefix: string }[];
    return rows.map((row) => ({ id: row.id, name: row.name, tokenPrefix: row.token_prefix }));
  }

  /**
   * Disables the key when it is still live, enabled, and unused (by `tm_last_used`, else
   * `tm_create`) since before `unusedSince`, with its event; every instance drops it at once. The
   * conditions are in the UPDATE itself, so of sweepers racing, or a use or an enable in between,
   * only one outcome is recorded. False when it changed nothing.
   */
  async disableUnused(
    customerId: string,
    id: string,
    unusedSince: Date,
    at: Date,
    event: AuditRecord,
  ): Promise<boolean> {
    const disabled = await transaction(
      this.keys.manager.dataSource,
      async (m) => {
        const { affected } = await m
          .createQueryBuilder()
          .update(AccessKey)
          .set({ tmDisabled: at, tmUpdate: at })
          .where('customer_id = :customerId AND id = :id', { customerId, id })
          .andWhere('tm_delete IS NULL AND tm_disabled IS NULL')
          .andWhere('COALESCE(tm_last_used, tm_create) < :since', { since: sqlDatetime(unusedSince) })
          .execute();
        if (!affected) return false;
        await this.audit.append(m, event);
        return true;
      },
      'READ COMMITTED',
    );
    if (disabled) await this.revocations.publish({ kind: 'key', id });
    return disabled;
  }

  /**
   * Enables a disabled live key; its enabling counts as a use (`tm_last_used`), so the next sweep
   * does not disable it again at once. The key as enabled; null when no live disabled key has this id.
   */
  async enable(customerId: string, id: string, at: Date, event: AuditRecord): Promise<ShownKey | null> {
    const enabled = await transaction(
      this.keys.manager.dataSource,
      async (m) => {
        const { affected } = await m.update(
          AccessKey,
          { id, customerId, tmDelete: IsNull(), tmDisabled: Not(IsNull()) },
          { tmDisabled: null, tmLastUsed: at, tmUpdate: at },
        );
        if (!affected) return null;
        await this.audit.append(m, event);
        return m.findOneByOrFail(AccessKey, { id, customerId });
      },
      'READ COMMITTED',
    );
    // Caches hold it as disabled until told.
    if (enabled !== null) await this.revocations.publish({ kind: 'key', id });
    return enabled;
  }

  /** Records a use; never moves `tm_last_used` backwards. */
  async markUsed(customerId: string, id: string, at: Date): Promise<void> {
    await transaction(this.keys.manager.dataSource, (m) =>
      m
        .createQueryBuilder()
        .update(AccessKey)
        .set({ tmLastUsed: at })
        .where('id = :id AND customer_id = :customerId', { id, customerId })
        .andWhere('(tm_last_used IS NULL OR tm_last_used < :at)', { at })
        .execute(),
    );
  }

  /** Changes a live key and reads it back in the same transaction, so the answer is this change's. */
  private change(
    customerId: string,
    id: string,
    changes: QueryDeepPartialEntity<AccessKey>,
    event: AuditRecord,
  ): Promise<ShownKey | null> {
    return transaction(
      this.keys.manager.dataSource,
      async (m) => {
        const { affected } = await m.update(AccessKey, { id, customerId, tmDelete: IsNull() }, changes);
        if (!affected) return null;
        await this.audit.append(m, event);
        return m.findOneByOrFail(AccessKey, { id, customerId });
      },
      'READ COMMITTED',
    );
  }
}

function fromCredentialRow(row: CredentialRow, tokenHash: string): KeyCredential {
  return {
    id: row.id,
    customerId: row.customer_id,
    username: row.username,
    permission: Number(row.permission),
    previous: row.token_hash !== tokenHash,
    tmExpire: fromSqlDatetime(row.tm_expire),
    tmPreviousExpire: fromSqlDatetimeOrNull(row.tm_previous_expire),
    tmLastUsed: fromSqlDatetimeOrNull(row.tm_last_used),
    scopes: JSON.parse(row.scopes) as string[],
    allowedCidrs: JSON.parse(row.allowed_cidrs) as string[],
    quarantined: Boolean(Number(row.quarantined)),
    disabled: row.tm_disabled !== null,
    profile: ownProfileOf(row),
  };
}

function fromKeyRow(row: KeyRow): ShownKey {
  return {
    id: row.id,
    customerId: row.customer_id,
    name: row.name,
    detail: row.detail,
    tokenPrefix: row.token_prefix,
    tmExpire: fromSqlDatetime(row.tm_expire),
    tmCreate: fromSqlDatetime(row.tm_create),
    tmUpdate: fromSqlDatetimeOrNull(row.tm_update),
    tmDelete: fromSqlDatetimeOrNull(row.tm_delete),
    tmLastUsed: fromSqlDatetimeOrNull(row.tm_last_used),
    scopes: JSON.parse(row.scopes) as string[],
    allowedCidrs: JSON.parse(row.allowed_cidrs) as string[],
    quarantined: Boolean(Number(row.quarantined)),
    leakUrl: row.leak_url,
    tmLeaked: fromSqlDatetimeOrNull(row.tm_leaked),
    tmDisabled: fromSqlDatetimeOrNull(row.tm_disabled),
  };
}
