import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError } from '../common/api-error.js';
import { AppConfig } from '../config/app-config.js';

const WINDOW_SECONDS = 60;

/**
 * Throttles POST /auth/login per client IP and per username: a brute force against one account
 * from many addresses, and a spray over many accounts from one, both run out. Only the login route
 * has it, so a storm of logins never slows authenticated calls; a lockout lasts one window at most.
 */
export const tooManyLoginAttempts = (seconds: number) =>
  new ApiError(429, 'RATE_LIMIT_EXCEEDED', `Too many login attempts; retry in ${seconds} seconds.`);

@Injectable()
export class LoginThrottlerGuard implements CanActivate {
  private readonly perIp: RateLimiterMemory;
  private readonly perUsername: RateLimiterMemory;

  constructor(config: AppConfig) {
    this.perIp = new RateLimiterMemory({ points: config.loginLimits.perIp, duration: WINDOW_SECONDS });
    this.perUsername = new RateLimiterMemory({
      points: config.loginLimits.perUsername,
      duration: WINDOW_SECONDS,
    });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest<{ Body?: { username?: unknown } }>>();
    const username = typeof req.body?.username === 'string' ? req.body.username.toLowerCase() : '';
    const verdicts = await Promise.allSettled([
      this.perIp.consume(req.ip),
      this.perUsername.consume(username),
    ]);
    const waits = verdicts.map((verdict) => {
      if (verdict.status === 'fulfilled') return 0;
      if (verdict.reason instanceof RateLimiterRes) return verdict.reason.msBeforeNext;
      throw verdict.reason;
    });
    const wait = Math.max(...waits);
    if (wait === 0) return true;
    const seconds = Math.max(1, Math.ceil(wait / 1000));
    void http.getResponse<FastifyReply>().header('retry-after', String(seconds));
    throw tooManyLoginAttempts(seconds);
  }
}
