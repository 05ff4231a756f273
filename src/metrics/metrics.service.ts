import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type AuthMethod = 'jwt' | 'accesskey' | 'none';
export type AuthResult = 'ok' | 'invalid' | 'expired' | 'disabled' | 'missing';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Prometheus metrics, in a registry of this application's own (not prom-client's global one), so
 * that two instances in one process never collide. Labels are bounded: route templates, never raw
 * paths; no credential or username ever becomes a label value.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly authAttempts = new Counter({
    name: 'auth_attempts_total',
    help: 'Authentication attempts on protected routes, by credential kind and result',
    labelNames: ['method', 'result'] as const,
    registers: [this.registry],
  });

  private readonly redisUp = new Gauge({
    name: 'redis_up',
    help: 'Whether the shared Redis (REDIS_URL) is connected: 1 yes, 0 no (login throttling then counts per instance)',
    registers: [this.registry],
  });

  private readonly revocationsShared = new Gauge({
    name: 'redis_revocations_subscribed',
    help: 'Whether revocations published by other instances reach this one: 1 yes, 0 no (its credential cache then keeps entries 1 s)',
    registers: [this.registry],
  });

  private readonly redisErrors = new Counter({
    name: 'redis_errors_total',
    help: 'Errors on the connection to the shared Redis (failed connection attempts included)',
    registers: [this.registry],
  });

  private readonly auditEvents = new Counter({
    name: 'audit_events_total',
    help: 'Audit events written (committed), by action',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  private readonly webhookDeliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts, by outcome: delivered, retried (failed, tried again later), failed (given up)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly webhookBacklog = new Gauge({
    name: 'webhook_outbox_backlog',
    help: 'Webhook events waiting for delivery (as the delivering instance last counted them)',
    registers: [this.registry],
  });

  private readonly webhookOldest = new Gauge({
    name: 'webhook_outbox_oldest_seconds',
    help: 'Age of the oldest webhook event waiting for delivery, seconds (0: none waits)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // The runtime's exact version tells an attacker which of its flaws to try.
    this.registry.removeSingleMetric('nodejs_version_info');
  }

  /** A request answered: its duration by method, route template and status. */
  observeRequest(req: FastifyRequest, reply: FastifyReply): void {
    this.requestDuration.observe(
      {
        method: METHODS.has(req.method) ? req.method : 'OTHER',
        route: req.routeOptions.url ?? '(unmatched)',
        status_code: reply.statusCode,
      },
      reply.elapsedTime / 1000,
    );
  }

  recordWebhookDelivery(outcome: 'delivered' | 'retried' | 'failed'): void {
    this.webhookDeliveries.inc({ outcome });
  }

  setWebhookBacklog(pending: number, oldestSeconds: number): void {
    this.webhookBacklog.set(pending);
    this.webhookOldest.set(oldestSeconds);
  }

  recordAuthentication(method: AuthMethod, result: AuthResult): void {
    this.authAttempts.inc({ method, result });
  }

  /** Audit events committed. */
  recordAuditEvents(actions: readonly string[]): void {
    for (const action of actions) this.auditEvents.inc({ action });
  }

  setRedisUp(up: boolean): void {
    this.redisUp.set(up ? 1 : 0);
  }

  setRevocationsShared(shared: boolean): void {
    this.revocationsShared.set(shared ? 1 : 0);
  }

  recordRedisError(): void {
    this.redisErrors.inc();
  }
}
