import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuditContext } from '../audit/audit-event.js';
import { AuditedBy } from '../audit/origin.decorator.js';
import { ApiError } from '../common/api-error.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { Auth, CurrentPrincipal } from '../common/auth.decorators.js';
import type { Principal } from '../common/principal.js';
import {
  DeliveryPageDto,
  DeliveryQueryDto,
  WebhookEndpointDto,
  WebhookSecretDto,
  WebhookTestDto,
} from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

@ApiTags('customer')
@Controller('v1.0/customer')
export class WebhookEndpointController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get('webhook')
  @Auth('customer:read')
  @ApiOperation({ summary: "The caller's webhook endpoint, and whether it has a secret (never the secret)" })
  @ApiOkResponse({ type: WebhookEndpointDto })
  endpoint(@CurrentPrincipal() principal: Principal): Promise<WebhookEndpointDto> {
    return this.webhooks.endpoint(principal.customerId);
  }

  @Post('webhook-secret')
  @HttpCode(200)
  @Auth('customer:write')
  @ApiOperation({
    summary: 'Make (or roll) the webhook signing secret: shown this once, the old one stops at once',
  })
  @ApiOkResponse({ type: WebhookSecretDto })
  rollSecret(
    @CurrentPrincipal() principal: Principal,
    @AuditedBy() by: AuditContext,
  ): Promise<WebhookSecretDto> {
    return this.webhooks.rollSecret(principal.customerId, by);
  }

  @Post('webhook-test')
  @HttpCode(202)
  @Auth('customer:write')
  @ApiOperation({ summary: 'Queue a webhook.test event to the endpoint' })
  @ApiAcceptedResponse({ type: WebhookTestDto })
  @ApiErrors(
    new ApiError(
      409,
      'NO_WEBHOOK_URI',
      'Set webhook_uri first (PUT /v1.0/customer).',
      [],
      'FAILED_PRECONDITION',
    ),
  )
  test(@CurrentPrincipal() principal: Principal, @AuditedBy() by: AuditContext): Promise<WebhookTestDto> {
    return this.webhooks.test(principal.customerId, by);
  }
}

@ApiTags('webhooks')
@Controller('v1.0/webhook-deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @Auth('audit:read')
  @ApiOperation({ summary: "The caller's webhook deliveries, newest first" })
  @ApiOkResponse({ type: DeliveryPageDto })
  @ApiErrors(
    ApiError.invalidArgument([{ field: 'status', message: 'status must be one of the following values' }]),
  )
  list(@CurrentPrincipal() principal: Principal, @Query() query: DeliveryQueryDto): Promise<DeliveryPageDto> {
    return this.webhooks.deliveries(principal.customerId, query);
  }
}
