import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Header, Headers } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError } from '../common/api-error.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { Public } from '../common/auth.decorators.js';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from './metrics.service.js';

const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;

const metricsOff = () =>
  new ApiError(
    403,
    'METRICS_DISABLED',
    'Metrics are off: set METRICS_TOKEN, and scrape with it as a Bearer token.',
  );

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Prometheus metrics, for the scraper that holds METRICS_TOKEN only: they tell how the service is
 * used and how it fares, which is nobody else's business. Outside the global guard (`@Public()`):
 * the token is the scraper's, not a customer's credential.
 */
@ApiTags('operations')
@Controller()
export class MetricsController {
  /** The token's SHA-256, compared in constant time; null when METRICS_TOKEN is unset. */
  private readonly token: Buffer | null;

  constructor(
    private readonly metrics: MetricsService,
    config: AppConfig,
  ) {
    this.token = config.metricsToken === null ? null : digest(config.metricsToken);
  }

  @Get('metrics')
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({
    summary: 'Prometheus metrics: request latency by route and status, authentication outcomes',
    description: 'Send `Authorization: Bearer <METRICS_TOKEN>`; without METRICS_TOKEN set, metrics are off.',
  })
  // The answer is Prometheus text; its errors are the JSON envelope like any other.
  @ApiOkResponse({ content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiErrors(ApiError.authenticationRequired(), ApiError.invalidCredentials(), metricsOff())
  scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    if (this.token === null) throw metricsOff();
    if (authorization === undefined) throw ApiError.authenticationRequired();
    const offered = BEARER.exec(authorization)?.[1];
    if (offered === undefined || !timingSafeEqual(digest(offered), this.token))
      throw ApiError.invalidCredentials();
    return this.metrics.registry.metrics();
  }
}
