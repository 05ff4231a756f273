import {
  Global,
  Injectable,
  Logger,
  Module,
  Optional,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../config/app-config.js';
import type { Customer } from '../customers/customer.entity.js';
import { RedisConnection } from '../redis/redis.connection.js';

/** What authentication needs of an access key and its customer; the expiries are checked at each use. */
export interface CachedAccessKey {
  id: string;
  customerId: string;
  permission: number;
  /** Whether the token matched the key's secret of before a roll (good until `tmPreviousExpire`). */
  previous: boolean;
  tmExpire: Date;
  tmPreviousExpire: Date | null;
  tmLastUsed: Date | null;
}

/** The claims of a JWT whose signature, algorithm and issuer were verified; `exp` is checked at each use. */
export interface VerifiedJwt {
  sub: string;
  exp: number;
  gen: number;
}

/** Enough for every client of a busy instance; a key or JWT entry is a few hundred bytes. */
export const CACHE_ENTRIES = 10_000;
/** Customers are fewer, and larger (a `detail` may hold 4 KiB). */
export const CUSTOMER_ENTRIES = 5_000;
/** A verdict on a JWT's signature never changes; the bound is for memory, not for revocation. */
export const JWT_VERDICT_TTL_MS = 60_000;
/** While revocations from other instances cannot reach this one (Redis away), entries live this long. */
export const UNSHARED_TTL_MS = 1_000;

/**
 * Authentication without a database round trip or a signature check per request. Bounded LRUs of
 * what authentication looked up, reused for a short while (AUTH_CACHE_TTL). Revocation never
 * waits for that: every write that can revoke or change a credential calls `forgetAccessKey` or
 * `forgetCustomer` once the database has it, so on this instance the next request asks the
 * database again. With REDIS_URL the same is published to every instance (before the write is
 * answered); while that channel is down, entries live UNSHARED_TTL_MS only, and everything is
 * dropped when it returns, since revocations may have been missed. Without REDIS_URL another
 * instance may answer from its cache for up to AUTH_CACHE_TTL.
 *
 * Only found rows are kept. A miss is not: it costs one indexed lookup, and caching misses would
 * let anyone flush the cache by sending made-up keys. A database error is thrown, never cached.
 */
@Injectable()
export class CredentialCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('CredentialCache');
  private readonly ttl: number;
  private readonly channel: string;
  private subscriber: Redis | null = null;
  private readonly jwts = new LRUCache<string, VerifiedJwt>({ max: CACHE_ENTRIES, ttl: JWT_VERDICT_TTL_MS });
  /** By the SHA-256 of the token (the raw token is never kept). */
  private readonly keys: LRUCache<string, CachedAccessKey>;
  private readonly customers: LRUCache<string, Customer>;
  /**
   * Moves on with every `forget*`. A lookup that was under way when a credential was revoked may
   * have read the row as it was before: it is not stored when the epoch moved meanwhile.
   */
  private epoch = 0;

  constructor(
    config: AppConfig,
    @Optional() private readonly redis?: RedisConnection,
  ) {
    this.channel = `${redis?.keyPrefix ?? ''}revocations`;
    this.ttl = config.authCacheTtlMs;
    // lru-cache reads a ttl of 0 as "forever"; with caching off nothing is stored anyway.
    const ttl = Math.max(this.ttl, 1);
    this.keys = new LRUCache({ max: CACHE_ENTRIES, ttl });
    this.customers = new LRUCache({ max: CUSTOMER_ENTRIES, ttl });
  }

  /** The claims of `token` if its signature was verified before and it has not expired since. */
  knownJwt(token: string, nowMs: number): VerifiedJwt | undefined {
    const hit = this.jwts.get(token);
    return hit !== undefined && hit.exp * 1000 > nowMs ? hit : undefined;
  }

  /** After `token`'s signature was verified: kept until min(exp, JWT_VERDICT_TTL_MS). */
  rememberJwt(token: string, claims: VerifiedJwt, nowMs: number): void {
    const ttl = Math.min(JWT_VERDICT_TTL_MS, claims.exp * 1000 - nowMs);
    if (ttl > 0) this.jwts.set(token, claims, { ttl });
  }

  accessKey(
    tokenHash: string,
    load: () => Promise<CachedAccessKey | null>,
  ): CachedAccessKey | Promise<CachedAccessKey | null> {
    return this.keys.get(tokenHash) ?? this.through(this.keys, tokenHash, load);
  }

  customer(id: string, load: () => Promise<Customer | null>): Customer | Promise<Customer | null> {
    return this.customers.get(id) ?? this.through(this.customers, id, load);
  }

  /** After a key is deleted or rolled: its secrets are looked up again, on every instance. */
  async forgetAccessKey(id: string): Promise<void> {
    this.dropAccessKey(id);
    await this.publish(`key:${id}`);
  }

  /** After any write to a customer (deletion, password, permission, profile), and to all its keys. */
  async forgetCustomer(customerId: string): Promise<void> {
    this.dropCustomer(customerId);
    await this.publish(`customer:${customerId}`);
  }

  async onModuleInit(): Promise<void> {
    const client = this.redis?.client;
    if (!client || this.ttl === 0) return;
    // A subscribed connection can do nothing else: a second one, reconnecting on its own.
    this.subscriber = client.duplicate({ lazyConnect: true, autoResubscribe: false });
    this.subscriber.on('error', () => undefined); // reported by the main connection
    this.subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    let missed = false;
    this.subscriber.on('close', () => (missed = true));
    this.subscriber.on('ready', () => {
      void this.subscriber?.subscribe(this.channel).catch(() => undefined);
      if (!missed) return;
      missed = false;
      // Revocations published while this instance was not listening are lost: start afresh.
      this.clear();
      this.logger.log('revocations from other instances reach this one again; cache cleared');
    });
    await this.subscriber.connect().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }

  private receive(message: string): void {
    const [kind, id] = message.split(':', 2);
    if (kind === 'key') this.dropAccessKey(id);
    else if (kind === 'customer') this.dropCustomer(id);
  }

  private async publish(message: string): Promise<void> {
    const client = this.redis?.client;
    if (!client || this.ttl === 0) return;
    try {
      await client.publish(this.channel, message);
    } catch {
      // Redis is away: the others keep what they cached for UNSHARED_TTL_MS at most.
    }
  }

  /** Whether other instances' revocations reach this one now. */
  private shared(): boolean {
    return this.redis?.client == null || this.subscriber?.status === 'ready';
  }

  private dropAccessKey(id: string): void {
    this.epoch++;
    for (const [hash, key] of this.keys.entries()) if (key.id === id) this.keys.delete(hash);
  }

  private dropCustomer(customerId: string): void {
    this.epoch++;
    this.customers.delete(customerId);
    for (const [hash, key] of this.keys.entries()) {
      if (key.customerId === customerId) this.keys.delete(hash);
    }
  }

  private clear(): void {
    this.epoch++;
    this.keys.clear();
    this.customers.clear();
  }

  private async through<V extends object>(
    cache: LRUCache<string, V>,
    id: string,
    load: () => Promise<V | null>,
  ): Promise<V | null> {
    const epoch = this.epoch;
    const found = await load();
    if (found !== null && this.ttl > 0 && epoch === this.epoch) {
      cache.set(id, found, this.shared() ? undefined : { ttl: Math.min(this.ttl, UNSHARED_TTL_MS) });
    }
    return found;
  }
}

@Global()
@Module({ providers: [CredentialCache], exports: [CredentialCache] })
export class CredentialCacheModule {}
