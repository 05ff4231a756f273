import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, type IAuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../common/api-error.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { IS_PUBLIC, REQUIRED_PERMISSION } from './auth.decorators.js';
import { credentialOf, type Credential } from './credentials.js';
import type { Principal } from './principal.js';

/**
 * The one global guard: every route needs a valid credential unless marked `@Public()`. The
 * credential's source says what it is (credentials.ts), and only that one Passport strategy runs:
 * a JWT never reaches the access-key lookup, nor a key the JWT verifier.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  private readonly passport: Record<Credential['kind'], IAuthGuard>;
  /** Each route's rule, read from its metadata once: by handler, then by controller class. */
  private readonly rules = new WeakMap<object, WeakMap<object, Rule>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly metrics: MetricsService,
  ) {
    this.passport = { jwt: this.strategyGuard('jwt'), accesskey: this.strategyGuard('accesskey') };
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.ruleOf(context);
    if (rule.public) return true;

    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest & { user?: Principal }>();
    const credential = credentialOf(req);
    if (credential === null) {
      this.metrics.recordAuthentication('none', 'missing');
      throw ApiError.authenticationRequired();
    }
    await this.passport[credential.kind].canActivate(context);
    void http.getResponse<FastifyReply>().header('cache-control', 'no-store');

    if (rule.anyOf !== undefined && (req.user!.permission & rule.anyOf) === 0) {
      throw ApiError.permissionDenied();
    }
    return true;
  }

  private ruleOf(context: ExecutionContext): Rule {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byClass = this.rules.get(handler);
    if (byClass === undefined) this.rules.set(handler, (byClass = new WeakMap()));
    let rule = byClass.get(controller);
    if (rule === undefined) {
      const targets = [handler, controller];
      rule = {
        public: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true,
        anyOf: this.reflector.getAllAndOverride<number | undefined>(REQUIRED_PERMISSION, targets),
      };
      byClass.set(controller, rule);
    }
    return rule;
  }

  /** @nestjs/passport's guard for one strategy; its failures become the 401 envelope, counted. */
  private strategyGuard(kind: Credential['kind']): IAuthGuard {
    const metrics = this.metrics;
    return new (class extends AuthGuard(kind) {
      override handleRequest<T = Principal>(error: unknown, principal: T | false | null, info: unknown): T {
        // A fault (the database down) is not an authentication outcome: the filter answers it.
        if (error) throw error;
        if (!principal) {
          const expired = (info as { name?: unknown; expired?: unknown } | undefined) ?? {};
          metrics.recordAuthentication(
            kind,
            expired.name === 'TokenExpiredError' || expired.expired === true ? 'expired' : 'invalid',
          );
          throw ApiError.invalidCredentials();
        }
        metrics.recordAuthentication(kind, 'ok');
        return principal;
      }
    })();
  }
}

interface Rule {
  public: boolean;
  /** One of these permission bits is required. */
  anyOf?: number;
}
