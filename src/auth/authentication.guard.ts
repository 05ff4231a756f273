import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { evaluateCrossOriginRequest } from '@nestjs/core/security/cross-origin-protection.js';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../common/api-error.js';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import {
  CURRENT_SECRET_ONLY,
  IS_PUBLIC,
  JWT_ONLY,
  REQUIRED_SCOPE,
  keyQuarantined,
  supersededSecret,
} from '../common/auth.decorators.js';
import { crossSiteRequest } from './auth.errors.js';
import { authorization, denial } from './authorization.js';
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
 * Whether a request a cookie authenticated may change state: the browser must say it comes from
 * this origin (OWASP's CSRF cheat sheet: Fetch Metadata, else `Origin`), as Go's
 * CrossOriginProtection decides (Nest's implementation of it). A request that says nothing is
 * refused too: a cookie is a browser's credential, and browsers say where their requests come from.
 */
function fromThisOrigin(req: FastifyRequest, trustedOrigins: ReadonlySet<string>): boolean {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const decision = evaluateCrossOriginRequest(
    {
      method: req.method,
      secFetchSite: header('sec-fetch-site'),
      origin: header('origin'),
      host: header('host'),
    },
    { trustedOrigins },
  );
  return decision.allowed && decision.reason !== 'no-browser-headers';
}

/**
 * The one global guard: every route needs a valid credential unless marked `@Public()`, and the
 * scope its `@Auth()` names (a route that names none is refused). The credential's source says what
 * it is (credentials.ts), and only that one Passport strategy runs: a JWT never reaches the
 * access-key lookup, nor a key the JWT verifier. A state-changing request the cookie authenticated
 * must come from this origin, and a key's superseded secret manages no keys.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  private readonly strategies: Record<Credential['kind'], CanActivate>;
  /** Besides the request's own host: where the service says it is (PUBLIC_URL), behind a proxy too. */
  private readonly trustedOrigins: ReadonlySet<string>;

  constructor(
    private readonly reflector: Reflector,
    private readonly metrics: MetricsService,
    config: AppConfig,
    jwt: JwtStrategyGuard,
    accessKey: AccessKeyStrategyGuard,
  ) {
    this.strategies = { jwt, accesskey: accessKey };
    this.trustedOrigins = new Set([new URL(config.publicUrl).origin]);
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
    // `cache-control: no-store` is on every JSON answer already (app.setup.ts, API_HEADERS).
    const reply = http.getResponse<FastifyReply>();

    if (credential.source === 'cookie' && !fromThisOrigin(req, this.trustedOrigins)) throw crossSiteRequest();
    const principal = req.user!;
    // Like GitHub's token expiration header: a client learns of its key's end from any answer.
    if (principal.key) void reply.header('accesskey-expires', principal.key.expiresAt.toISOString());
    const jwtOnly = this.reflector.getAllAndOverride<boolean>(JWT_ONLY, targets) === true;
    const verdict = authorization(principal, scope, jwtOnly);
    if (verdict === 'insufficient-scope' && principal.quarantined) throw keyQuarantined();
    if (verdict === 'insufficient-scope') throw ApiError.insufficientScope([scope]);
    if (verdict !== 'allowed') throw denial(verdict, scope);
    if (
      principal.supersededSecret &&
      this.reflector.getAllAndOverride<boolean>(CURRENT_SECRET_ONLY, targets)
    ) {
      throw supersededSecret();
    }
    return true;
  }
}
