import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../common/api-error.js';
import { IS_PUBLIC, REQUIRED_PERMISSION } from './auth.decorators.js';
import { credentialOf } from './credentials.js';
import type { Principal } from './principal.js';

/**
 * The one global guard: every route needs a valid credential unless marked `@Public()`.
 * Strategies only fail; this guard alone turns a failure into the 401 envelope.
 */
@Injectable()
export class AuthenticationGuard extends AuthGuard(['jwt', 'accesskey']) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest & { user?: Principal }>();
    if (credentialOf(req) === null) throw ApiError.authenticationRequired();
    await super.canActivate(context);
    void http.getResponse<FastifyReply>().header('cache-control', 'no-store');

    const anyOf = this.reflector.getAllAndOverride<number | undefined>(REQUIRED_PERMISSION, targets);
    if (anyOf !== undefined && (req.user!.permission & anyOf) === 0) {
      throw ApiError.permissionDenied();
    }
    return true;
  }

  override handleRequest<T = Principal>(error: unknown, principal: T | false | null): T {
    if (error) throw error;
    if (!principal) throw ApiError.invalidCredentials();
    return principal;
  }
}
