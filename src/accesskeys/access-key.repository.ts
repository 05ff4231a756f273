import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { newestFirst, pageOf, type Page, type PageRequest } from '../common/pagination.js';
import { ReadThroughCache } from '../common/read-through-cache.js';
import { fromSqlDatetime, fromSqlDatetimeOrNull } from '../common/sql-time.js';
import { Revocations } from '../redis/revocations.js';
import { AccessKey } from './access-key.entity.js';

/** What a key's answer shows: never its hashes. */
export type ShownKey = Omit<AccessKey, 'customer' | 'tokenHash' | 'previousTokenHash' | 'tmPreviousExpire'>;

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
}

/** What a key's owner may change of it. */
export type KeyChanges = Pick<Partial<AccessKey>, 'name' | 'detail'> & { tmUpdate: Date };

/** A new secret for a key, replacing the one that was read. */
export type SecretChange = Pick<
  AccessKey,
  'tokenHash' | 'tokenPrefix' | 'previousTokenHash' | 'tmPreviousExpire' | 'tmUpdate'
>;

/** Enough for every client of a busy instance; an entry is a few hundred bytes. */
const CACHED_KEYS = 10_000;

/**
 * Plain SQL, the same on SQLite and MySQL/MariaDB: the query builder would rebuild it, and run it
 * twice (a DISTINCT pass for the join), on every request that misses the cache.
 */
const FIND_BY_TOKEN_HASH = `SELECT k.id, k.customer_id, k.token_hash, k.tm_expire, k.tm_previous_expire,
    k.tm_last_used, k.scopes, k.allowed_cidrs, c.username, c.permission
  FROM access_keys k INNER JOIN customers c ON c.id = k.customer_id
  WHERE (k.token_hash = ? OR k.previous_token_hash = ?) AND k.tm_delete IS NULL AND c.tm_delete IS NULL`;

const LIVE_KEYS_OF_CUSTOMER = `SELECT id, customer_id, name, detail, token_prefix, tm_expire, tm_create, tm_update,
    tm_delete, tm_last_used, scopes, allowed_cidrs
  FROM access_keys WHERE customer_id = ? AND tm_delete IS NULL`;

interface CredentialRow {
  id: string;
  customer_id: string;
  token_hash: string;
  tm_expire: Date | string;
  tm_previous_expire: Date | string | null;
  tm_last_used: Date | string | null;
  scopes: string;
  allowed_cidrs: string;
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
}

/**
 * Every query of access keys. Each takes the owner's customer id and scopes by it (the lookup by a
 * secret's hash aside, which is how a caller proves to be that owner): no method reaches a key by
 * id alone. The lookup for authentication is kept in a cache (AUTH_CACHE_TTL) that every write
 * here revokes, on this instance and, through Revocations, on the others.
 */
@Injectable()
export class AccessKeyRepository {
  private readonly cache: ReadThroughCache<KeyCredential>;

  constructor(
    @InjectRepository(AccessKey) private readonly keys: Repository<AccessKey>,
    private readonly revocations: Revocations,
  ) {
    this.cache = new ReadThroughCache(CACHED_KEYS, () => revocations.cacheTtlMs());
    revocations.listen((revoked) => {
      if (revoked === 'all') this.cache.clear();
      else if (revoked.kind === 'key') this.cache.deleteWhere((key) => key.id === revoked.id);
      else this.cache.deleteWhere((key) => key.customerId === revoked.id);
    });
  }

  /** The live key (of a live customer) one of whose secrets hashes to `tokenHash`. */
  findCredential(tokenHash: string): KeyCredential | Promise<KeyCredential | null> {
    return this.cache.get(tokenHash, async () => {
      const rows: CredentialRow[] = await this.keys.query(FIND_BY_TOKEN_HASH, [tokenHash, tokenHash]);
      return rows[0] === undefined ? null : fromCredentialRow(rows[0], tokenHash);
    });
  }

  /** Live keys, newest first. */
  async list(customerId: string, page: PageRequest): Promise<Page<ShownKey>> {
    const rows: KeyRow[] = await this.keys.query(...newestFirst(LIVE_KEYS_OF_CUSTOMER, [customerId], page));
    return pageOf(rows.map(fromKeyRow));
  }

  findLive(customerId: string, id: string): Promise<AccessKey | null> {
    return this.keys.findOneBy({ id, customerId, tmDelete: IsNull() });
  }

  /** A key, live or deleted (the answer to a delete or a roll). */
  findAny(customerId: string, id: string): Promise<AccessKey> {
    return this.keys.findOneByOrFail({ id, customerId });
  }

  async insert(key: AccessKey): Promise<void> {
    await this.keys.insert(key);
  }

  /** False when the customer has no live key with this id. */
  async update(customerId: string, id: string, changes: KeyChanges): Promise<boolean> {
    const { affected } = await this.keys.update({ id, customerId, tmDelete: IsNull() }, changes);
    return Boolean(affected);
  }

  /** Soft delete; false when the customer has no live key with this id. */
  async softDelete(customerId: string, id: string, at: Date): Promise<boolean> {
    const { affected } = await this.keys.update(
      { id, customerId, tmDelete: IsNull() },
      { tmDelete: at, tmUpdate: at },
    );
    if (!affected) return false;
    await this.revocations.publish({ kind: 'key', id });
    return true;
  }

  /** The hash of a live key's current secret, or null. */
  async secretHash(customerId: string, id: string): Promise<string | null> {
    const key = await this.keys.findOne({
      where: { id, customerId, tmDelete: IsNull() },
      select: { id: true, tokenHash: true },
    });
    return key?.tokenHash ?? null;
  }

  /**
   * Gives a live key a new secret, only if its current secret is still `expectedHash` (nobody rolled
   * or deleted it meanwhile); false otherwise.
   */
  async replaceSecret(
    customerId: string,
    id: string,
    expectedHash: string,
    change: SecretChange,
  ): Promise<boolean> {
    const { affected } = await this.keys.update(
      { id, customerId, tmDelete: IsNull(), tokenHash: expectedHash },
      change,
    );
    if (!affected) return false;
    await this.revocations.publish({ kind: 'key', id });
    return true;
  }

  /** Records a use; never moves `tm_last_used` backwards. */
  async markUsed(id: string, at: Date): Promise<void> {
    await this.keys
      .createQueryBuilder()
      .update()
      .set({ tmLastUsed: at })
      .where('id = :id', { id })
      .andWhere('(tm_last_used IS NULL OR tm_last_used < :at)', { at })
      .execute();
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
  };
}
