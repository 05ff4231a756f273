import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { WebhookWorker } from './webhook-worker.js';
import { WebhookRepository } from './webhook.repository.js';
import { WebhookDeliveriesController, WebhookEndpointController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/** Standard Webhooks delivery of every audit event, from the outbox the audit log writes into. */
@Module({
  imports: [AuditModule, MetricsModule, RedisModule],
  controllers: [WebhookEndpointController, WebhookDeliveriesController],
  providers: [WebhookRepository, WebhooksService, WebhookWorker],
})
export class WebhooksModule {}
