import { createHash } from 'node:crypto';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { RedisConnection } from '../redis/redis.connection.js';
import { tooManyLoginAttempts } from './auth.errors.js';

const WINDOW_SECONDS = 60;

/**
 * Throttles POST /auth/login per client IP and per username: a brute force against one account
 * from many addresses, and a spray over many accounts from one, both run out. Only the login route
 * has it, so a storm of logins never slows authenticated calls; a lockout lasts one window at most.
 * With Redis the counters are shared by every instance, so a brute force spread over them still runs
 * out; while Redis is unreachable each instance counts on its own (rate-limiter-flexible's
 * insurance limiter) rather than refusing or waiting.
 */
@Injectable()
export class LoginThrottlerGuard implements CanActivate {
  private readonly perIp: RateLimiterAbstract;
  private readonly perUsername: RateLimiterAbstract;

  constructor(config: AppConfig, redis: RedisConnection) {
    const limiter = (name: string, points: number): RateLimiterAbstract => {
      const local = new RateLimiterMemory({ points, duration: WINDOW_SECONDS });
      if (redis.client === null) return local;
      return new RateLimiterRedis({
        storeClient: redis.client,
        keyPrefix: `${redis.keyPrefix}login:${name}`,
        points,
        duration: WINDOW_SECONDS,
        rejectIfRedisNotReady: true,
        insuranceLimiter: local,
      });
    };
    this.perIp = limiter('ip', config.loginLimits.perIp);
    this.perUsername = limiter('username', config.loginLimits.perUsername);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest<{ Body?: { username?: unknown } }>>();
    const username = typeof req.body?.username === 'string' ? req.body.username.toLowerCase() : '';
    // Hashed: the body is not validated yet (any length), and Redis need not hold usernames.
    const usernameKey = createHash('sha256').update(username).digest('base64url');
    const verdicts = await Promise.allSettled([
      this.perIp.consume(req.ip),
      this.perUsername.consume(usernameKey),
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
