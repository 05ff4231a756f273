import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../common/api-error.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { IS_PUBLIC, JWT_ONLY, REQUIRED_SCOPE } from '../common/auth.decorators.js';
import { authorization } from './authorization.js';
import { credentialOf, type Credential } from './credentials.js';
import type { AuthFailure, Principal } from '../common/principal.js';

/** A strategy refused the credential, for this reason. */
class CredentialRefused extends Error {
  constructor(readonly reason: AuthFailure) {
    super(reason);
  }
}

/** What a strategy guard makes of Passport's outcome: a fault (the database down) is thrown as it is. */
function principalOf<T>(error: unknown, principal: T | false | null, info: unknown): T {
  if (error) throw error;
  if (!principal)
    throw new CredentialRefused((info as { reason?: AuthFailure } | undefined)?.reason ?? 'invalid');
  return principal;
}

/** @nestjs/passport's guard for the JWT strategy. */
@Injectable()
export class JwtStrategyGuard extends AuthGuard('jwt') {
  override handleRequest<T>(error: unknown, principal: T | false | null, info: unknown): T {
    return principalOf(error, principal, info);
  }
}

/** @nestjs/passport's guard for the access-key strategy. */
@Injectable()
export class AccessKeyStrategyGuard extends AuthGuard('accesskey') {
  override handleRequest<T>(error: unknown, principal: T | false | null, info: unknown): T {
    return principalOf(error, principal, info);
  }
}

/**
 * The one global guard: every route needs a valid credential unless marked `@Public()`, and the
 * scope its `@Auth()` names (a route that names none is refused). The credential's source says what
 * it is (credentials.ts), and only that one Passport strategy runs: a JWT never reaches the
 * access-key lookup, nor a key the JWT verifier.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  private readonly strategies: Record<Credential['kind'], CanActivate>;

  constructor(
    private readonly reflector: Reflector,
    private readonly metrics: MetricsService,
    jwt: JwtStrategyGuard,
    accessKey: AccessKeyStrategyGuard,
  ) {
    this.strategies = { jwt, accesskey: accessKey };
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const scope = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_SCOPE, targets);
    if (scope === undefined) throw ApiError.permissionDenied();

    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest & { user?: Principal }>();
    const credential = credentialOf(req);
    if (credential === null) {
      this.metrics.recordAuthentication('none', 'missing');
      throw ApiError.authenticationRequired();
    }
    try {
      await this.strategies[credential.kind].canActivate(context);
    } catch (error) {
      if (!(error instanceof CredentialRefused)) throw error;
      this.metrics.recordAuthentication(credential.kind, error.reason);
      throw ApiError.invalidCredentials();
    }
    this.metrics.recordAuthentication(credential.kind, 'ok');
    void http.getResponse<FastifyReply>().header('cache-control', 'no-store');

    const jwtOnly = this.reflector.getAllAndOverride<boolean>(JWT_ONLY, targets) === true;
    const verdict = authorization(req.user!, scope, jwtOnly);
    if (verdict === 'insufficient-scope') throw ApiError.insufficientScope([scope]);
    if (verdict !== 'allowed') throw ApiError.permissionDenied();
    return true;
  }
}
