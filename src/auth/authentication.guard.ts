import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../common/api-error.js';
import { IS_PUBLIC, REQUIRED_PERMISSION } from './auth.decorators.js';
import { credentialOf } from './credentials.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { Principal } from './principal.js';

/**
 * The one global guard: every route needs a valid credential unless marked `@Public()`.
 * Strategies only fail; this guard alone turns a failure into the 401 envelope.
 */
@Injectable()
export class AuthenticationGuard extends AuthGuard(['jwt', 'accesskey']) {
  constructor(
    private readonly reflector: Reflector,
    private readonly metrics: MetricsService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest & { user?: Principal }>();
    if (credentialOf(req) === null) {
      this.metrics.recordAuthentication('none', 'missing');
      throw ApiError.authenticationRequired();
    }
    await super.canActivate(context);
    void http.getResponse<FastifyReply>().header('cache-control', 'no-store');

    const anyOf = this.reflector.getAllAndOverride<number | undefined>(REQUIRED_PERMISSION, targets);
    if (anyOf !== undefined && (req.user!.permission & anyOf) === 0) {
      throw ApiError.permissionDenied();
    }
    return true;
  }

  override handleRequest<T = Principal>(
    error: unknown,
    principal: T | false | null,
    info: unknown,
    context: ExecutionContext,
  ): T {
    // A fault (the database down) is not an authentication outcome: the filter answers it.
    if (error) throw error;
    const method = credentialOf(context.switchToHttp().getRequest<FastifyRequest>())!.kind;
    if (!principal) {
      this.metrics.recordAuthentication(method, isExpiry(info) ? 'expired' : 'invalid');
      throw ApiError.invalidCredentials();
    }
    this.metrics.recordAuthentication(method, 'ok');
    return principal;
  }
}

/**
 * Whether a strategy failed because the credential expired: passport-jwt's TokenExpiredError, or
 * an `{ expired: true }` failure. With several strategies Passport hands over one per strategy.
 */
function isExpiry(info: unknown): boolean {
  return (Array.isArray(info) ? info : [info]).some(
    (i: { name?: unknown; expired?: unknown } | null | undefined) =>
      i?.name === 'TokenExpiredError' || i?.expired === true,
  );
}
