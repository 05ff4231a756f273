import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { ReadThroughCache } from '../common/read-through-cache.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { heartbeat } from './heartbeat.js';
import { RedisConnection } from './redis.connection.js';

/**
 * A credential that changed: a key (deleted, rolled), a login session (ended), or a customer and
 * with it all its keys and sessions.
 */
export type Revocation = { kind: 'key' | 'session' | 'customer'; id: string };

/** What a cache is told: one revocation, or `'all'` when some may have been missed. */
export type RevocationListener = (revocation: Revocation | 'all') => void;

/** While revocations from other instances cannot reach this one (Redis away), caches keep entries this long. */
const UNSHARED_TTL_MS = 1_000;
/** How long a write waits for Redis to take its revocation before it is answered anyway. */
const PUBLISH_WAIT_MS = 100;
/** The message that tells every instance to drop its whole caches. */
const ALL = 'all';

/**
 * Tells every credential cache, on this instance and on the others, that a credential changed.
 * `publish` tells this instance's caches at once, then the others through Redis (before the write
 * that caused it is answered, unless Redis takes longer than PUBLISH_WAIT_MS to take it). With no
 * cache configured (AUTH_CACHE_TTL=0) there is nothing to tell.
 *
 * Outage rules (docs/scaling.md): the moment this instance's subscription is lost (its connection
 * closes, or a heartbeat finds it silent) it may miss revocations, so its caches are dropped, keep
 * entries UNSHARED_TTL_MS at most (`cacheTtlMs`) until it is subscribed again, and are dropped once
 * more then. A revocation that could not be published is made good when this instance reaches
 * Redis again: it tells every instance to drop everything. Without REDIS_URL another instance's
 * revocations never reach this one, and a cache keeps its entries for AUTH_CACHE_TTL.
 */
@Injectable()
export class Revocations implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Revocations');
  private readonly listeners: RevocationListener[] = [];
  private readonly ttlMs: number;
  private readonly channel: string;
  private subscriber: Redis | null = null;
  /** What other instances publish reaches this one. */
  private subscribed = false;
  /** The subscription was lost since it was made: revocations may have been missed. */
  private missed = false;
  /** A revocation did not reach Redis: the next message tells every instance to drop everything. */
  private unpublished = false;
  private stopHeartbeat = () => {};

  /**
   * Said at start and in /ready while this configuration is on: a credential revoked elsewhere
   * (another instance, the admin command) is still accepted here for up to AUTH_CACHE_TTL.
   */
  readonly warning: string | null;

  constructor(
    config: AppConfig,
    private readonly redis: RedisConnection,
    private readonly metrics: MetricsService,
  ) {
    this.ttlMs = config.authCacheTtlMs;
    this.channel = `${redis.keyPrefix}revocations`;
    this.warning =
      this.ttlMs > 0 && redis.client === null
        ? `AUTH_CACHE_TTL=${this.ttlMs / 1000} without REDIS_URL: a key or customer revoked through another ` +
          `instance or the admin command is still accepted here for up to ${this.ttlMs / 1000} s. ` +
          'Set REDIS_URL, or AUTH_CACHE_TTL=0, unless this is the only instance.'
        : null;
  }

  /** Registers a cache's listener. */
  listen(listener: RevocationListener): void {
    this.listeners.push(listener);
  }

  /**
   * A cache of up to `max` credentials that keeps them as long as `cacheTtlMs` says and that every
   * revocation reaches: `'all'` clears it, and `drop` removes what one revocation names.
   */
  cache<V extends object>(
    max: number,
    drop: (revoked: Revocation, cache: ReadThroughCache<V>) => void,
  ): ReadThroughCache<V> {
    const cache = new ReadThroughCache<V>(max, () => this.cacheTtlMs());
    this.listen((revoked) => (revoked === 'all' ? cache.clear() : drop(revoked, cache)));
    return cache;
  }

  /** How long a cache may keep what it looks up now (0: not at all). */
  cacheTtlMs(): number {
    const shared = this.redis.client === null || this.subscribed;
    return shared ? this.ttlMs : Math.min(this.ttlMs, UNSHARED_TTL_MS);
  }

  async publish(revocation: Revocation): Promise<void> {
    this.tell(revocation);
    const client = this.redis.client;
    if (client === null || this.ttlMs === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.send(client, `${revocation.kind}:${revocation.id}`),
      new Promise((resolve) => (timer = setTimeout(resolve, PUBLISH_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  async onModuleInit(): Promise<void> {
    if (this.warning !== null) this.logger.warn(this.warning);
    const client = this.redis.client;
    if (client === null || this.ttlMs === 0) return;
    client.on('ready', () => {
      if (this.unpublished) void this.send(client, ALL);
    });
    // A subscribed connection can do nothing else: a second one, reconnecting on its own.
    const subscriber = client.duplicate({ lazyConnect: true, autoResubscribe: false });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined); // reported by the main connection
    subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    subscriber.on('close', () => this.lost());
    subscriber.on('ready', () => void this.subscribe(subscriber));
    this.stopHeartbeat = heartbeat(subscriber, () => this.lost());
    await subscriber.connect().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    this.stopHeartbeat();
    this.subscriber?.disconnect();
  }

  /** Publishes, or remembers that a revocation went unpublished (ALL covers it later). */
  private async send(client: Redis, message: string): Promise<void> {
    const sent = this.unpublished ? ALL : message;
    this.unpublished = false;
    try {
      await client.publish(this.channel, sent);
    } catch {
      this.unpublished = true;
    }
  }

  private async subscribe(subscriber: Redis): Promise<void> {
    try {
      await subscriber.subscribe(this.channel);
    } catch {
      return; // the connection went again; its next 'ready' tries anew
    }
    this.subscribed = true;
    this.metrics.setRevocationsShared(true);
    if (!this.missed) return;
    this.missed = false;
    this.tell('all');
    this.logger.log('revocations from other instances reach this one again; caches cleared');
  }

  /** The subscription closed, or went silent: what is published meanwhile may never arrive. */
  private lost(): void {
    if (!this.subscribed) return;
    this.subscribed = false;
    this.missed = true;
    this.metrics.setRevocationsShared(false);
    this.tell('all');
  }

  private receive(message: string): void {
    if (message === ALL) return this.tell('all');
    const [kind, id] = message.split(':', 2);
    if ((kind === 'key' || kind === 'session' || kind === 'customer') && id) this.tell({ kind, id });
  }

  private tell(revocation: Revocation | 'all'): void {
    for (const listener of this.listeners) listener(revocation);
  }
}
