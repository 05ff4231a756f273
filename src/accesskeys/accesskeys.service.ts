import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { CredentialCache, type CachedAccessKey } from '../auth/credential-cache.js';
import type { Principal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { decodeCursor } from '../common/cursor.js';
import { MAX_PAGE_SIZE } from '../common/page.dto.js';
import { pageFrom } from '../common/pagination.js';
import { Clock } from '../common/clock.js';
import { Permission } from '../customers/customer.entity.js';
import { AccessKey } from './access-key.entity.js';
import {
  generateAccessKeyToken,
  hashAccessKeyToken,
  isWellFormedAccessKeyToken,
  TOKEN_PREFIX_LENGTH,
} from './access-key-token.js';
import type { AccessKeyDto, AccessKeyPageDto } from './dto/access-key.dto.js';
import { DEFAULT_EXPIRE, type CreateAccessKeyDto } from './dto/create-access-key.dto.js';
import type { UpdateAccessKeyDto } from './dto/update-access-key.dto.js';
import { LastUsedRecorder } from './last-used.recorder.js';

/** What a key's answer shows: never its hashes. */
type ShownKey = Omit<AccessKey, 'customer' | 'tokenHash' | 'previousTokenHash' | 'tmPreviousExpire'>;

export function toAccessKeyDto(key: ShownKey, token?: string): AccessKeyDto {
  return {
    id: key.id,
    customer_id: key.customerId,
    name: key.name,
    detail: key.detail,
    ...(token === undefined ? {} : { token }),
    token_prefix: key.tokenPrefix,
    tm_expire: key.tmExpire.toISOString(),
    tm_create: key.tmCreate.toISOString(),
    tm_update: key.tmUpdate?.toISOString() ?? null,
    tm_delete: key.tmDelete?.toISOString() ?? null,
    tm_last_used: key.tmLastUsed?.toISOString() ?? null,
  };
}

/**
 * Plain SQL, the same on SQLite and MySQL/MariaDB, written once: the query builder would rebuild
 * it, and run it twice (a DISTINCT pass for the join), on every request that misses the cache.
 */
const FIND_BY_TOKEN_HASH = `SELECT k.id, k.customer_id, k.token_hash, k.tm_expire, k.tm_previous_expire,
    k.tm_last_used, c.permission
  FROM access_keys k INNER JOIN customers c ON c.id = k.customer_id
  WHERE (k.token_hash = ? OR k.previous_token_hash = ?) AND k.tm_delete IS NULL AND c.tm_delete IS NULL`;

const PAGE_OF_KEYS = `SELECT id, customer_id, name, detail, token_prefix, tm_expire, tm_create, tm_update,
    tm_delete, tm_last_used
  FROM access_keys WHERE customer_id = ? AND tm_delete IS NULL`;
const AFTER_CURSOR = ' AND (tm_create < ? OR (tm_create = ? AND id < ?))';
const NEWEST_FIRST = ' ORDER BY tm_create DESC, id DESC LIMIT ?';

interface ListRow {
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
}

function fromListRow(row: ListRow): ShownKey {
  const optional = (value: Date | string | null) => (value === null ? null : toDate(value));
  return {
    id: row.id,
    customerId: row.customer_id,
    name: row.name,
    detail: row.detail,
    tokenPrefix: row.token_prefix,
    tmExpire: toDate(row.tm_expire),
    tmCreate: toDate(row.tm_create),
    tmUpdate: optional(row.tm_update),
    tmDelete: optional(row.tm_delete),
    tmLastUsed: optional(row.tm_last_used),
  };
}

/** A time as both databases compare it with a DATETIME(3) column: UTC `YYYY-MM-DD HH:MM:SS.mmm`. */
function sqlDatetime(time: Date): string {
  return time.toISOString().replace('T', ' ').replace('Z', '');
}

interface KeyRow {
  id: string;
  customer_id: string;
  token_hash: string;
  tm_expire: Date | string;
  tm_previous_expire: Date | string | null;
  tm_last_used: Date | string | null;
  permission: number | string;
}

/** mysql2 (with `timezone: 'Z'`) reads a DATETIME as a Date; SQLite keeps TypeORM's UTC text. */
function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
}

export const accessKeyNotFound = () =>
  ApiError.notFound('ACCESSKEY_NOT_FOUND', 'The access key was not found.');
export const accessKeyChanged = () =>
  new ApiError(409, 'ACCESSKEY_CHANGED', 'The key was rolled or deleted meanwhile; retry.', [], 'ABORTED');

/**
 * Every method takes the caller's customer id and scopes its query by it: there is no way to
 * reach a key by id alone, so one customer can never see or touch another's keys.
 */
@Injectable()
export class AccessKeysService {
  constructor(
    @InjectRepository(AccessKey) private readonly keys: Repository<AccessKey>,
    private readonly clock: Clock,
    private readonly lastUsed: LastUsedRecorder,
    private readonly cache: CredentialCache,
  ) {}

  async create(customerId: string, dto: CreateAccessKeyDto): Promise<AccessKeyDto> {
    const token = generateAccessKeyToken();
    const now = this.clock.now();
    const key = this.keys.create({
      id: randomUUID(),
      customerId,
      name: dto.name ?? '',
      detail: dto.detail ?? '',
      tokenHash: hashAccessKeyToken(token),
      tokenPrefix: token.slice(0, TOKEN_PREFIX_LENGTH),
      tmExpire: new Date(now.getTime() + (dto.expire ?? DEFAULT_EXPIRE) * 1000),
      tmCreate: now,
      tmUpdate: null,
      tmDelete: null,
      tmLastUsed: null,
      previousTokenHash: null,
      tmPreviousExpire: null,
    });
    await this.keys.insert(key);
    return toAccessKeyDto(key, token);
  }

  /**
   * Live keys, newest first, by cursor. Plain SQL through the (customer_id, tm_create, id) index:
   * the query builder and entity hydration cost more than the query itself for a page of 100.
   */
  async list(customerId: string, pageSize = MAX_PAGE_SIZE, pageToken?: string): Promise<AccessKeyPageDto> {
    const size = Math.min(pageSize, MAX_PAGE_SIZE);
    let sql = PAGE_OF_KEYS;
    const parameters: unknown[] = [customerId];
    if (pageToken) {
      const { time, id } = decodeCursor(pageToken);
      sql += AFTER_CURSOR;
      parameters.push(sqlDatetime(time), sqlDatetime(time), id);
    }
    const rows: ListRow[] = await this.keys.query(sql + NEWEST_FIRST, [...parameters, size + 1]);
    const page = pageFrom(rows.map(fromListRow), size, (key) => ({ time: key.tmCreate, id: key.id }));
    return { result: page.rows.map((key) => toAccessKeyDto(key)), next_page_token: page.nextPageToken };
  }

  async get(customerId: string, id: string): Promise<AccessKeyDto> {
    const key = await this.keys.findOneBy({ id, customerId, tmDelete: IsNull() });
    if (key === null) throw accessKeyNotFound();
    return toAccessKeyDto(key);
  }

  async update(customerId: string, id: string, dto: UpdateAccessKeyDto): Promise<AccessKeyDto> {
    const changes: Partial<AccessKey> = { tmUpdate: this.clock.now() };
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.detail !== undefined) changes.detail = dto.detail;
    const { affected } = await this.keys.update({ id, customerId, tmDelete: IsNull() }, changes);
    if (!affected) throw accessKeyNotFound();
    return this.get(customerId, id);
  }

  /** Soft delete: the row stays, with `tm_delete` set; the key stops working at once. */
  async remove(customerId: string, id: string): Promise<AccessKeyDto> {
    const now = this.clock.now();
    const { affected } = await this.keys.update(
      { id, customerId, tmDelete: IsNull() },
      { tmDelete: now, tmUpdate: now },
    );
    if (!affected) throw accessKeyNotFound();
    await this.cache.forgetAccessKey(id);
    const key = await this.keys.findOneByOrFail({ id, customerId });
    return toAccessKeyDto(key);
  }

  /**
   * A new secret for the same key (same id, name and expiry). The old secret keeps working for
   * `grace` seconds, then dies; a secret from an earlier roll dies at once.
   */
  async roll(customerId: string, id: string, grace: number): Promise<AccessKeyDto> {
    const current = await this.keys.findOne({
      where: { id, customerId, tmDelete: IsNull() },
      select: { id: true, tokenHash: true },
    });
    if (current === null) throw accessKeyNotFound();
    const token = generateAccessKeyToken();
    const now = this.clock.now();
    const { affected } = await this.keys.update(
      // Only if nobody rolled or deleted it meanwhile: the previous secret must be the one read.
      { id, customerId, tmDelete: IsNull(), tokenHash: current.tokenHash },
      {
        tokenHash: hashAccessKeyToken(token),
        tokenPrefix: token.slice(0, TOKEN_PREFIX_LENGTH),
        previousTokenHash: grace > 0 ? current.tokenHash : null,
        tmPreviousExpire: grace > 0 ? new Date(now.getTime() + grace * 1000) : null,
        tmUpdate: now,
      },
    );
    if (!affected) throw accessKeyChanged();
    await this.cache.forgetAccessKey(id);
    return toAccessKeyDto(await this.keys.findOneByOrFail({ id, customerId }), token);
  }

  /**
   * The principal a token stands for, or null. A malformed token or a bad checksum is refused
   * before any lookup; the lookup is by the token's hash, through a unique index, and is reused
   * from the credential cache; the expiries are checked against the clock at every use.
   * A key acts as its customer's admin, as in VoIPBIN.
   */
  /** The key's principal; `'expired'` for a key past its expiry (or an old secret past its grace). */
  async authenticate(token: string): Promise<Principal | 'expired' | null> {
    const verdict = await this.check(token);
    return verdict === null || verdict === 'expired' ? verdict : verdict.principal;
  }

  /** `authenticate`, with when the token stops working (the end of a roll's grace comes first). */
  async check(token: string): Promise<{ principal: Principal; expiresAt: Date } | 'expired' | null> {
    if (!isWellFormedAccessKeyToken(token)) return null;
    const hash = hashAccessKeyToken(token);
    const key = await this.cache.accessKey(hash, () => this.findByTokenHash(hash));
    if (key === null) return null;
    const now = this.clock.now();
    if (key.tmExpire <= now) return 'expired';
    // Matched the secret of before a roll: good only within the grace period.
    if (key.previous && (key.tmPreviousExpire === null || key.tmPreviousExpire <= now)) return 'expired';
    if (this.lastUsed.record(key, now)) key.tmLastUsed = now;
    const principal: Principal = {
      customerId: key.customerId,
      permission: key.permission | Permission.CustomerAdmin,
      via: 'accesskey',
      accessKeyId: key.id,
    };
    const previous = key.previous && key.tmPreviousExpire! < key.tmExpire;
    return { principal, expiresAt: previous ? key.tmPreviousExpire! : key.tmExpire };
  }

  /** The live key one of whose secrets hashes to `hash`, with its live customer's permission. */
  private async findByTokenHash(hash: string): Promise<CachedAccessKey | null> {
    const rows: KeyRow[] = await this.keys.query(FIND_BY_TOKEN_HASH, [hash, hash]);
    const row = rows[0];
    if (row === undefined) return null;
    return {
      id: row.id,
      customerId: row.customer_id,
      permission: Number(row.permission),
      previous: row.token_hash !== hash,
      tmExpire: toDate(row.tm_expire),
      tmPreviousExpire: row.tm_previous_expire === null ? null : toDate(row.tm_previous_expire),
      tmLastUsed: row.tm_last_used === null ? null : toDate(row.tm_last_used),
    };
  }
}
