import { Controller, Get, Headers, Res, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import { Public } from '../common/auth.decorators.js';
import { ApiError } from '../common/api-error.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { Draining } from './draining.js';
import { Revocations } from '../redis/revocations.js';

/** How long /ready waits for the database to answer before calling it down. */
const PING_TIMEOUT_MS = 2000;

const INDEX = {
  service: 'voipbin-auth',
  admin: '/admin/',
  docs: '/docs',
  openapi: '/docs-json',
  login: '/auth/login',
  health: '/health',
  ready: '/ready',
};

const shuttingDown = () => new ApiError(503, 'SHUTTING_DOWN', 'This instance is shutting down.');

@ApiTags('operations')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly draining: Draining,
    private readonly revocations: Revocations,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Where to go: a browser is sent to the admin page, any other client gets this index',
  })
  @ApiOkResponse({ schema: { example: INDEX } })
  index(@Headers('accept') accept = '', @Res({ passthrough: true }) reply: FastifyReply): typeof INDEX {
    if (accept.includes('text/html')) void reply.redirect('/admin/', 302);
    return INDEX;
  }

  @Get('health')
  @ApiOperation({ summary: 'Liveness: 200 while the process runs (never touches the database)' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: 200 when the database answers a ping, 503 otherwise and once shutting down',
    description: '`warnings` lists what this configuration does not promise (absent when nothing).',
  })
  @ApiOkResponse({ schema: { example: { status: 'ok', info: { database: { status: 'up' } } } } })
  @ApiErrors(ApiError.databaseUnavailable(), shuttingDown())
  async ready(): Promise<HealthCheckResult & { warnings?: string[] }> {
    if (this.draining.active) throw shuttingDown();
    try {
      const result = await this.health.check([
        () => this.database.pingCheck('database', { timeout: PING_TIMEOUT_MS }),
      ]);
      const warning = this.revocations.warning;
      return warning === null ? result : { ...result, warnings: [warning] };
    } catch (error) {
      if (error instanceof ServiceUnavailableException) throw ApiError.databaseUnavailable();
      throw error;
    }
  }
}
