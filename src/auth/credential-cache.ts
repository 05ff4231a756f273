import { Global, Injectable, Module } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../config/app-config.js';
import type { Customer } from '../customers/customer.entity.js';

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

/**
 * Authentication without a database round trip or a signature check per request. Bounded LRUs of
 * what authentication looked up, reused for a short while (AUTH_CACHE_TTL). Revocation never
 * waits for that: every write that can revoke or change a credential calls `forgetAccessKey` or
 * `forgetCustomer` once the database has it, so on this instance the next request asks the
 * database again (another instance may answer from its cache for up to AUTH_CACHE_TTL).
 *
 * Only found rows are kept. A miss is not: it costs one indexed lookup, and caching misses would
 * let anyone flush the cache by sending made-up keys. A database error is thrown, never cached.
 */
@Injectable()
export class CredentialCache {
  private readonly ttl: number;
  private readonly jwts = new LRUCache<string, VerifiedJwt>({ max: CACHE_ENTRIES, ttl: JWT_VERDICT_TTL_MS });
  /** By the SHA-256 of the token (the raw token is never kept). */
  private readonly keys: LRUCache<string, CachedAccessKey>;
  private readonly customers: LRUCache<string, Customer>;
  /**
   * Moves on with every `forget*`. A lookup that was under way when a credential was revoked may
   * have read the row as it was before: it is not stored when the epoch moved meanwhile.
   */
  private epoch = 0;

  constructor(config: AppConfig) {
    this.ttl = config.authCacheTtlMs;
    // lru-cache reads a ttl of 0 as "forever"; with caching off nothing is stored anyway.
    const ttl = Math.max(this.ttl, 1);
    this.keys = new LRUCache({ max: CACHE_ENTRIES, ttl });
    this.customers = new LRUCache({ max: CUSTOMER_ENTRIES, ttl });
  }

  /** The verified claims of `token`, from the cache or from `verify` (null: invalid, not cached). */
  jwt(token: string, nowMs: number, verify: () => VerifiedJwt | null): VerifiedJwt | null {
    const hit = this.jwts.get(token);
    if (hit !== undefined) return hit;
    const claims = verify();
    const ttl = claims === null ? 0 : Math.min(JWT_VERDICT_TTL_MS, claims.exp * 1000 - nowMs);
    if (claims !== null && ttl > 0) this.jwts.set(token, claims, { ttl });
    return claims;
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

  /** After a key is deleted or rolled: its secrets are looked up again. */
  forgetAccessKey(id: string): void {
    this.epoch++;
    for (const [hash, key] of this.keys.entries()) if (key.id === id) this.keys.delete(hash);
  }

  /** After any write to a customer (deletion, password, permission, profile), and to all its keys. */
  forgetCustomer(customerId: string): void {
    this.epoch++;
    this.customers.delete(customerId);
    for (const [hash, key] of this.keys.entries()) {
      if (key.customerId === customerId) this.keys.delete(hash);
    }
  }

  private async through<V extends object>(
    cache: LRUCache<string, V>,
    id: string,
    load: () => Promise<V | null>,
  ): Promise<V | null> {
    const epoch = this.epoch;
    const found = await load();
    if (found !== null && this.ttl > 0 && epoch === this.epoch) cache.set(id, found);
    return found;
  }
}

@Global()
@Module({ providers: [CredentialCache], exports: [CredentialCache] })
export class CredentialCacheModule {}
