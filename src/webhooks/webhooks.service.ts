import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AuditContext } from '../audit/audit-event.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { ApiError } from '../common/api-error.js';
import { Clock } from '../common/clock.js';
import { pageRequest } from '../common/pagination.js';
import { transaction } from '../common/transaction.js';
import { SecretBox } from '../common/sealed-secret.js';
import { AppConfig } from '../config/app-config.js';
import type { DeliveryPageDto, DeliveryQueryDto, WebhookEndpointDto } from './dto/webhook.dto.js';
import { newWebhookSecret } from './webhook-secret.js';
import { WebhookRepository, type Delivery } from './webhook.repository.js';

const iso = (at: Date | null) => (at === null ? null : at.toISOString());

function toDeliveryDto(d: Delivery) {
  return {
    id: d.id,
    event_id: d.eventId,
    action: d.action,
    status: d.status,
    attempts: d.attempts,
    response_status: d.responseStatus,
    last_error: d.lastError,
    tm_create: d.tmCreate.toISOString(),
    tm_next_attempt: d.status === 'pending' ? iso(d.tmNextAttempt) : null,
    tm_delivered: iso(d.tmDelivered),
  };
}

/** A customer's webhook endpoint, its secret, and its deliveries. */
@Injectable()
export class WebhooksService {
  private readonly box: SecretBox;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly webhooks: WebhookRepository,
    private readonly audit: AuditRepository,
    config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.box = new SecretBox(config.jwt, 'webhook secret');
  }

  async endpoint(customerId: string): Promise<WebhookEndpointDto> {
    const endpoint = await this.webhooks.endpoint(customerId);
    if (endpoint === null) throw ApiError.notFound('CUSTOMER_NOT_FOUND', 'The customer was not found.');
    return {
      webhook_uri: endpoint.uri,
      webhook_method: endpoint.method,
      secret_set: endpoint.sealedSecret !== null,
    };
  }

  /** A new secret, replacing the old one at once; the answer is the only place it ever shows. */
  async rollSecret(customerId: string, by: AuditContext): Promise<{ secret: string }> {
    const secret = newWebhookSecret();
    const sealed = this.box.seal(customerId, secret);
    await transaction(
      this.dataSource,
      async (m) => {
        await this.webhooks.setSecret(m, customerId, sealed, this.clock.now());
        await this.audit.append(m, {
          customerId,
          action: 'webhook.secret_rolled',
          target: `customer:${customerId}`,
          ...by,
        });
      },
      'READ COMMITTED',
    );
    return { secret };
  }

  /** Queues a `webhook.test` event; 409 when there is no endpoint to send it to. */
  async test(customerId: string, by: AuditContext): Promise<{ event_id: string }> {
    const endpoint = await this.webhooks.endpoint(customerId);
    if (endpoint === null || endpoint.uri === '') {
      throw new ApiError(
        409,
        'NO_WEBHOOK_URI',
        'Set webhook_uri first (PUT /v1.0/customer).',
        [],
        'FAILED_PRECONDITION',
      );
    }
    const [eventId] = await this.audit.record({
      customerId,
      action: 'webhook.test',
      target: `customer:${customerId}`,
      ...by,
    });
    return { event_id: eventId };
  }

  async deliveries(customerId: string, query: DeliveryQueryDto): Promise<DeliveryPageDto> {
    const page = await this.webhooks.list(
      customerId,
      query.status,
      pageRequest(query.page_size, query.page_token),
    );
    return { result: page.rows.map(toDeliveryDto), next_page_token: page.nextPageToken };
  }
}
