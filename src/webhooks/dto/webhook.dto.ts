import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { IsOptionalNotNull } from '../../common/optional.decorator.js';
import { NEXT_PAGE_TOKEN, PageQueryDto } from '../../common/page.dto.js';

const STATUSES = ['pending', 'delivered', 'failed'];

export class WebhookSecretDto {
  /** Shown this once: the service keeps it sealed and never shows it again. */
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret: string;
}

export class WebhookEndpointDto {
  @ApiProperty({ example: 'https://api.acme.com/webhooks/voipbin' })
  webhook_uri: string;

  @ApiProperty({ example: 'POST' })
  webhook_method: string;

  @ApiProperty({ description: 'Whether a secret was made (POST /v1.0/customer/webhook-secret)' })
  secret_set: boolean;
}

export class WebhookTestDto {
  /** The id of the `webhook.test` event queued (its `webhook-id`). */
  @ApiProperty({ format: 'uuid' })
  event_id: string;
}

export class DeliveryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptionalNotNull()
  @IsIn(STATUSES)
  status?: 'pending' | 'delivered' | 'failed';
}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** The audit event delivered: its id is the `webhook-id` header. */
  @ApiProperty({ format: 'uuid' })
  event_id: string;

  @ApiProperty({ example: 'accesskey.created' })
  action: string;

  @ApiProperty({ enum: STATUSES })
  status: string;

  @ApiProperty()
  attempts: number;

  @ApiProperty({ type: Number, nullable: true, description: "The last attempt's HTTP status" })
  response_status: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the last attempt failed (a short excerpt)' })
  last_error: string | null;

  @ApiProperty({ format: 'date-time' })
  tm_create: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  tm_next_attempt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  tm_delivered: string | null;
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryDto] })
  result: DeliveryDto[];

  @ApiProperty(NEXT_PAGE_TOKEN)
  next_page_token: string;
}
