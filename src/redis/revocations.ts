import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { RedisConnection } from './redis.connection.js';

/** A credential that changed: a key (deleted, rolled), or a customer and with it all its keys. */
export type Revocation = { kind: 'key'; id: string } | { kind: 'customer'; id: string };

/** What a cache is told: one revocation, or `'all'` when some may have been missed. */
export type RevocationListener = (revocation: Revocation | 'all') => void;

/** While revocations from other instances cannot reach this one (Redis away), caches keep entries this long. */
const UNSHARED_TTL_MS = 1_000;

/**
 * Tells every credential cache, on this instance and on the others, that a credential changed.
 * `publish` tells this instance's caches at once, then the others through Redis (before the write
 * that caused it is answered). With no cache configured (AUTH_CACHE_TTL=0) there is nothing to tell.
 *
 * Outage rules: while this instance's subscription is down it may miss revocations, so caches keep
 * entries UNSHARED_TTL_MS at most (`cacheTtlMs`), and everything is dropped when the subscription
 * returns. Without REDIS_URL another instance's revocations never reach this one, and a cache keeps
 * its entries for AUTH_CACHE_TTL (docs/scaling.md).
 */
@Injectable()
export class Revocations implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Revocations');
  private readonly listeners: RevocationListener[] = [];
  private readonly ttlMs: number;
  private readonly channel: string;
  private subscriber: Redis | null = null;

  /**
   * Said at start and in /ready while this configuration is on: a credential revoked elsewhere
   * (another instance, the admin command) is still accepted here for up to AUTH_CACHE_TTL.
   */
  readonly warning: string | null;

  constructor(
    config: AppConfig,
    private readonly redis: RedisConnection,
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

  /** How long a cache may keep what it looks up now (0: not at all). */
  cacheTtlMs(): number {
    const shared = this.redis.client === null || this.subscriber?.status === 'ready';
    return shared ? this.ttlMs : Math.min(this.ttlMs, UNSHARED_TTL_MS);
  }

  async publish(revocation: Revocation): Promise<void> {
    this.tell(revocation);
    const client = this.redis.client;
    if (client === null || this.ttlMs === 0) return;
    try {
      await client.publish(this.channel, `${revocation.kind}:${revocation.id}`);
    } catch {
      // Redis is away: the other instances keep what they cached for UNSHARED_TTL_MS at most.
    }
  }

  async onModuleInit(): Promise<void> {
    if (this.warning !== null) this.logger.warn(this.warning);
    const client = this.redis.client;
    if (client === null || this.ttlMs === 0) return;
    // A subscribed connection can do nothing else: a second one, reconnecting on its own.
    const subscriber = client.duplicate({ lazyConnect: true, autoResubscribe: false });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined); // reported by the main connection
    subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    let missed = false;
    subscriber.on('close', () => (missed = true));
    subscriber.on('ready', () => {
      void subscriber.subscribe(this.channel).catch(() => undefined);
      if (!missed) return;
      missed = false;
      this.tell('all');
      this.logger.log('revocations from other instances reach this one again; caches cleared');
    });
    await subscriber.connect().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }

  private receive(message: string): void {
    const [kind, id] = message.split(':', 2);
    if ((kind === 'key' || kind === 'customer') && id) this.tell({ kind, id });
  }

  private tell(revocation: Revocation | 'all'): void {
    for (const listener of this.listeners) listener(revocation);
  }
}
