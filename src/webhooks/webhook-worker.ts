import { randomUUID } from 'node:crypto';
import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import pLimit from 'p-limit';
import { Clock } from '../common/clock.js';
import { SecretBox } from '../common/sealed-secret.js';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisConnection } from '../redis/redis.connection.js';
import { send } from './webhook-sender.js';
import { WebhookRepository, type Delivery } from './webhook.repository.js';

const POLL_MS = 1000;
/** A lease not renewed for this long is taken over by another instance. */
const LEASE_MS = 30_000;
/** Deliveries in flight at once (each to a different customer). */
const CONCURRENCY = 8;
const BATCH = 32;
/** Retries wait 5 s, doubling, at most an hour; an event not delivered within a day has failed. */
const FIRST_RETRY_MS = 5000;
const LONGEST_RETRY_MS = 3600_000;
const GIVE_UP_AFTER_MS = 86400_000;

/** How long to wait after the `attempts`-th failed attempt. */
const retryDelay = (attempts: number) => Math.min(FIRST_RETRY_MS * 2 ** (attempts - 1), LONGEST_RETRY_MS);

const TAKE_LEASE = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RELEASE_LEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Delivers the outbox, off the request path: one instance of a deployment at a time, the holder of
 * the lease (in Redis when REDIS_URL is set, else in the database), renewed on every pass and before
 * each attempt, and taken over by another instance once it lapses. Each customer's events go in
 * order: its next one waits for the one before to be delivered or given up on.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly holder = randomUUID();
  private readonly limit = pLimit(CONCURRENCY);
  private timer: NodeJS.Timeout | undefined;
  /** Passes run one after another. */
  private readonly passes = pLimit(1);
  private stopped = false;
  private readonly box: SecretBox;

  constructor(
    private readonly outbox: WebhookRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly redis: RedisConnection,
  ) {
    this.box = new SecretBox(config.jwt, 'webhook secret');
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.passes.activeCount + this.passes.pendingCount === 0) void this.tick();
    }, POLL_MS).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.passes(() => Promise.resolve());
    await this.releaseLease().catch(() => undefined);
  }

  /** One pass over what is due, begun after any pass already running. */
  tick(): Promise<void> {
    return this.passes(() =>
      this.pass().catch((error: unknown) => this.logger.warn(`Delivering webhooks failed: ${String(error)}`)),
    );
  }

  private async pass(): Promise<void> {
    for (let round = 0; round < 100 && !this.stopped; round++) {
      if (!(await this.takeLease())) return;
      const due = await this.outbox.due(this.clock.now(), BATCH);
      if (due.length === 0) break;
      await Promise.all(due.map((delivery) => this.limit(() => this.deliver(delivery))));
    }
    const backlog = await this.outbox.backlog();
    this.metrics.setWebhookBacklog(
      backlog.pending,
      backlog.oldest === null ? 0 : (this.clock.now().getTime() - backlog.oldest.getTime()) / 1000,
    );
  }

  private async deliver(delivery: Delivery): Promise<void> {
    // Renewed before each attempt, not only once a round: a round of slow receivers can outlast the
    // lease (4 waves of 10 s timeouts), and another instance would then send what this one has yet to.
    if (!(await this.takeLease())) return;
    const endpoint = await this.outbox.endpoint(delivery.customerId);
    const attempts = delivery.attempts + 1;
    const now = this.clock.now();
    if (endpoint === null || endpoint.uri === '') {
      return this.settle(delivery, 'failed', attempts, null, 'the customer has no webhook_uri any more');
    }
    const secret =
      endpoint.sealedSecret === null ? null : this.box.open(delivery.customerId, endpoint.sealedSecret);
    const result =
      secret === null
        ? { ok: false, status: null, error: 'no usable webhook secret: POST /v1.0/customer/webhook-secret' }
        : await send({
            uri: endpoint.uri,
            method: endpoint.method,
            secret,
            id: delivery.eventId,
            at: now,
            body: delivery.payload,
            allowPrivate: this.config.webhookAllowPrivate,
          });
    if (result.ok) return this.settle(delivery, 'delivered', attempts, result.status, null);
    const next = now.getTime() + retryDelay(attempts);
    if (next - delivery.tmCreate.getTime() > GIVE_UP_AFTER_MS) {
      return this.settle(delivery, 'failed', attempts, result.status, result.error);
    }
    await this.settle(delivery, 'pending', attempts, result.status, result.error, new Date(next));
  }

  private async settle(
    delivery: Delivery,
    status: Delivery['status'],
    attempts: number,
    responseStatus: number | null,
    lastError: string | null,
    tmNextAttempt: Date | null = null,
  ): Promise<void> {
    await this.outbox.settle(delivery.id, {
      status,
      attempts,
      responseStatus,
      lastError,
      tmNextAttempt,
      tmDelivered: status === 'delivered' ? this.clock.now() : null,
    });
    this.metrics.recordWebhookDelivery(status === 'pending' ? 'retried' : status);
  }

  private async takeLease(): Promise<boolean> {
    const client = this.redis.client;
    if (client === null) {
      const now = this.clock.now();
      return this.outbox.takeLease(this.holder, now, new Date(now.getTime() + LEASE_MS));
    }
    const taken = await client
      .eval(TAKE_LEASE, 1, `${this.redis.keyPrefix}webhook-lease`, this.holder, LEASE_MS)
      .catch(() => 0);
    return taken === 1;
  }

  private async releaseLease(): Promise<void> {
    const client = this.redis.client;
    if (client === null) return this.outbox.releaseLease(this.holder);
    await client.eval(RELEASE_LEASE, 1, `${this.redis.keyPrefix}webhook-lease`, this.holder);
  }
}
