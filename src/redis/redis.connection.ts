import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { heartbeat } from './heartbeat.js';

/** How long start-up waits for Redis before serving without it (it keeps reconnecting behind). */
const STARTUP_WAIT_MS = 2000;

/**
 * The one Redis connection of this instance, or `client === null` without REDIS_URL. Redis is a
 * helper, never a dependency: a dead Redis must not stop or slow a request. So commands fail at once
 * while it is disconnected (no offline queue) or after `commandTimeout` when it stops answering, and
 * their callers fall back to what this instance knows alone. Reconnection goes on in the background.
 * A heartbeat finds a link that went silent, so that it counts as down (`redis_up`) within 0.5 s.
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  readonly client: Redis | null;
  /** Prepended to every key (and channel) this service uses, so that deployments can share a Redis. */
  readonly keyPrefix: string;
  private readonly logger = new Logger('Redis');
  private warned = false;
  private closing = false;
  private stopHeartbeat = () => {};

  constructor(
    config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.keyPrefix = config.redis?.keyPrefix ?? '';
    if (config.redis === null) {
      this.client = null;
      return;
    }
    const { url, sentinels, sentinelName, tlsCa } = config.redis;
    this.client = new Redis(url, {
      ...(sentinels && { sentinels, name: sentinelName, failoverDetector: true }),
      // rediss:// turns TLS on; its own authorities replace the system's.
      ...(tlsCa !== undefined && url.startsWith('rediss:') && { tls: { ca: tlsCa } }),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 500,
      // Keep trying for as long as it is gone, at most every 2 s.
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      lazyConnect: true,
      // Closing a connection that already dropped would otherwise hold shutdown for 2 s.
      disconnectTimeout: 100,
    });
    metrics.setRedisUp(false);
    this.client.on('ready', () => {
      metrics.setRedisUp(true);
      if (this.warned) this.logger.log('Redis is back: login counters and revocations are shared again');
      this.warned = false;
    });
    // Without an 'error' listener ioredis's errors would crash the process. One warning per outage,
    // not one per reconnection attempt; the message names no address (a URL may carry a password).
    this.client.on('error', (error: NodeJS.ErrnoException) => {
      metrics.recordRedisError();
      this.markDown(`${error.code ?? error.name}`);
    });
    this.client.on('close', () => this.markDown('connection closed'));
    this.stopHeartbeat = heartbeat(this.client, () => this.markDown('no answer'));
  }

  async onModuleInit(): Promise<void> {
    if (this.client === null) return;
    // An instance that starts while Redis is reachable shares counters from its first request.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.client.connect().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, STARTUP_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client === null) return;
    this.closing = true;
    this.stopHeartbeat();
    // quit() on a connection that is down would wait for the next reconnection attempt.
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private markDown(why: string): void {
    this.metrics.setRedisUp(false);
    if (this.warned || this.closing) return;
    this.warned = true;
    this.logger.warn(
      `Redis is unavailable (${why}): login counters are this instance's own, and cached credentials short-lived, until it returns`,
    );
  }
}
