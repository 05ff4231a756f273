import { Body, Controller, HttpCode, Injectable, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RateLimiterRes, type RateLimiterLike } from 'rate-limiter-flexible';
import { hashAccessKeyToken, isWellFormedAccessKeyToken } from '../accesskeys/access-key-token.js';
import { AccessKeyRepository } from '../accesskeys/access-key.repository.js';
import type { AuditRecord, Origin } from '../audit/audit-event.js';
import { RequestOrigin } from '../audit/origin.decorator.js';
import { ApiError } from '../common/api-error.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { Public } from '../common/auth.decorators.js';
import { Clock } from '../common/clock.js';
import { RedisConnection } from '../redis/redis.connection.js';
import { RevokeCredentialsDto } from './dto/revoke.dto.js';
import { windowLimiter } from './login-throttle.js';

/** Requests per client address per window: enough for a person or a scanner's batch, not for probing. */
const REQUESTS_PER_WINDOW = 10;
const WINDOW_SECONDS = 60;

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

const tooManyRevocations = (seconds: number) =>
  new ApiError(
    429,
    'RATE_LIMIT_EXCEEDED',
    `Too many revocation requests; retry in ${seconds} seconds.`,
    [],
    undefined,
    {
      'retry-after': String(seconds),
    },
  );

const jwtPresented = (index: number) =>
  ApiError.invalidArgument([
    {
      field: `credentials[${index}]`,
      message: `credentials[${index}] is a JWT: only access keys are revoked here (a JWT ends with its session, POST /auth/logout)`,
    },
  ]);

/**
 * Anyone who finds an access key where it should not be (a public repository, a paste) can revoke
 * it: holding the key is the proof. A key's current secret deletes the key; the secret a roll
 * replaced, still in its grace period, is ended alone. The answer is the same whatever was
 * presented, so it tells nothing about which keys exist.
 */
@Injectable()
export class PublicRevocation {
  private readonly limiter: RateLimiterLike;

  constructor(
    private readonly keys: AccessKeyRepository,
    private readonly clock: Clock,
    redis: RedisConnection,
  ) {
    this.limiter = windowLimiter(redis, 'revoke:ip', REQUESTS_PER_WINDOW, WINDOW_SECONDS);
  }

  async revoke(credentials: string[], origin: Origin): Promise<void> {
    const jwt = credentials.findIndex((credential) => JWT.test(credential));
    if (jwt >= 0) throw jwtPresented(jwt);
    try {
      await this.limiter.consume(origin.ip);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw tooManyRevocations(Math.ceil(error.msBeforeNext / 1000));
      throw error;
    }
    const now = this.clock.now();
    for (const token of new Set(credentials)) {
      if (!isWellFormedAccessKeyToken(token)) continue;
      const key = await this.keys.findCredential(hashAccessKeyToken(token));
      if (key === null) continue;
      const event: AuditRecord = {
        customerId: key.customerId,
        action: 'accesskey.leaked',
        target: `accesskey:${key.id}`,
        actor: { customerId: null, via: 'anonymous' },
        origin,
        data: { source: 'public_revoke', secret: key.previous ? 'previous' : 'current' },
      };
      if (key.previous) await this.keys.endGrace(key.customerId, key.id, now, event);
      else await this.keys.softDelete(key.customerId, key.id, now, event);
    }
  }
}

@ApiTags('auth')
@Controller('v1.0/credentials')
export class PublicRevokeController {
  constructor(private readonly revocation: PublicRevocation) {}

  @Post('revoke')
  @Public()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Revoke leaked access keys: anyone holding one may (public; 10 requests a minute per address)',
    description:
      "A key's current secret deletes the key at once, on every instance; a secret a roll replaced ends its grace " +
      'period. The answer is 202 whatever was presented: it tells nothing about which keys exist.',
  })
  @ApiAcceptedResponse({ description: 'Every live key presented is revoked.' })
  @ApiErrors(jwtPresented(0), tooManyRevocations(42))
  async revoke(@Body() dto: RevokeCredentialsDto, @RequestOrigin() origin: Origin): Promise<void> {
    await this.revocation.revoke(dto.credentials, origin);
  }
}
