import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import {
  RateLimiterCompatibleAbstract,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterLike,
} from 'rate-limiter-flexible';
import { ApiError } from '../common/api-error.js';
import { AppConfig } from '../config/app-config.js';
import { RedisConnection } from '../redis/redis.connection.js';
import { tooManyLoginAttempts } from './auth.errors.js';

const WINDOW_SECONDS = 60;
/**
 * The most counters (and standing refusals) of each kind one instance keeps in memory: a flood of
 * distinct usernames or addresses costs a bounded amount, and makes the least recent ones forgotten.
 */
const MAX_COUNTERS = 10_000;

interface Count {
  consumed: number;
  /** Epoch ms at which the window ends. */
  ends: number;
}

/**
 * rate-limiter-flexible's fixed windows, in this instance's memory, at most `max` of them: an LRU
 * (lru-cache) with no timer per key, where RateLimiterMemory keeps every key it ever saw for its
 * window, with a timer each. Serves both as the limiter without Redis and as the Redis limiter's
 * insurance (rate-limiter-flexible's interface for a limiter of one's own); it implements what
 * LoginThrottle asks of a limiter: `consume` and `reward`.
 */
export class MemoryCounters extends RateLimiterCompatibleAbstract {
  private readonly counts: LRUCache<string, Count>;
  private readonly points: number;
  private readonly windowMs: number;
  // Fields, not the base class's accessors (which throw): keys carry no prefix in this memory, and
  // the Redis limiter it insures sets the other two, which fixed windows do not use.
  override readonly keyPrefix = '';
  override blockDuration = 0;
  override execEvenly = false;

  constructor(opts: { points: number; duration: number; max: number }) {
    super();
    this.points = opts.points;
    this.windowMs = opts.duration * 1000;
    this.counts = new LRUCache({ max: opts.max });
  }

  override consume(key: string | number, points = 1): Promise<RateLimiterRes> {
    const now = Date.now();
    const live = this.counts.get(String(key));
    const count = live !== undefined && live.ends > now ? live : { consumed: 0, ends: now + this.windowMs };
    count.consumed += points;
    this.counts.set(String(key), count);
    const res = new RateLimiterRes(
      Math.max(this.points - count.consumed, 0),
      count.ends - now,
      count.consumed,
      count.consumed === points,
    );
    return count.consumed > this.points ? Promise.reject(res) : Promise.resolve(res);
  }

  /** Gives points back to a live window; a window that ended is not reopened, and one at 0 is dropped. */
  override reward(key: string | number, points = 1): Promise<RateLimiterRes> {
    const now = Date.now();
    const count = this.counts.get(String(key));
    if (count === undefined || count.ends <= now)
      return Promise.resolve(new RateLimiterRes(this.points, 0, 0));
    count.consumed -= points;
    if (count.consumed <= 0) this.counts.delete(String(key));
    return Promise.resolve(
      new RateLimiterRes(Math.max(this.points - count.consumed, 0), count.ends - now, count.consumed),
    );
  }
}

/**
 * Fixed windows of `points` per `duration` seconds: in Redis under `<prefix><name>` when it is
 * configured, with bounded counters in memory as its insurance while Redis is away; in memory only
 * otherwise.
 */
export function windowLimiter(
  redis: RedisConnection,
  name: string,
  points: number,
  duration: number,
): RateLimiterLike {
  const local = new MemoryCounters({ points, duration, max: MAX_COUNTERS });
  if (redis.client === null) return local;
  return new RateLimiterRedis({
    storeClient: redis.client,
    keyPrefix: `${redis.keyPrefix}${name}`,
    points,
    duration,
    rejectIfRedisNotReady: true,
    insuranceLimiter: local,
  });
}

type Counter = 'pair' | 'ip' | 'username';
/** What counts as a failed attempt: a wrong password, or a wrong second factor after a right one. */
const FAILURES = ['INVALID_CREDENTIALS', 'OTP_INVALID'];
const COUNTERS: readonly Counter[] = ['pair', 'ip', 'username'];

/** Hashed: the username is any string a client sent, and Redis need not hold usernames. */
const hashed = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * Throttles password checks (POST /auth/login), counting failures only, in 60-second windows, as
 * OWASP's authentication cheat sheet and Keycloak's brute-force detection do:
 *
 * - strictly per (username, client address): one address guessing one account soon waits;
 * - loosely per client address: one address spraying many accounts waits too;
 * - loosely per username, from anywhere: once that many failures, every address that has failed
 *   for it waits out the window. An address that has not (the account's owner, elsewhere) keeps
 *   its attempts: failures by others never lock the right password out, and a brute force spread
 *   over many addresses gets one attempt per address per window.
 *
 * An attempt is counted before the password is checked (so that attempts sent at once cannot all
 * slip under the limit) and given back when it was not a failure. A refused attempt is not counted,
 * and once an address or pair is refused, this instance refuses it at once until the window ends,
 * without asking the counters again: a flood adds nothing to them. With Redis the counters are
 * shared by every instance; while Redis is unreachable each instance counts in its memory
 * (rate-limiter-flexible's insurance limiter) rather than refusing or waiting.
 */
@Injectable()
export class LoginThrottle {
  private readonly limits: Record<Counter, number>;
  private readonly limiters: Record<Counter, RateLimiterLike>;
  /** Refusals this instance answered, by `<counter>:<key>`, until (epoch ms) their windows end. */
  private readonly refusals = new LRUCache<string, number>({ max: MAX_COUNTERS });

  constructor(config: AppConfig, redis: RedisConnection) {
    const { perUsernameIp, perIp, perUsername } = config.loginLimits;
    this.limits = { pair: perUsernameIp, ip: perIp, username: perUsername };
    const limiter = (name: Counter) =>
      windowLimiter(redis, `login:${name}`, this.limits[name], WINDOW_SECONDS);
    this.limiters = { pair: limiter('pair'), ip: limiter('ip'), username: limiter('username') };
  }

  /**
   * Runs `check` (a password check) for `username` from `ip` unless throttled (429 with a wait);
   * the attempt stays counted only when `check` fails with INVALID_CREDENTIALS. `onThrottled` runs
   * before the refusal that starts a wait, not before the standing refusals that follow it (which
   * cost nothing but memory, however many a flood sends).
   */
  async attempt<T>(
    username: string,
    ip: string,
    check: () => Promise<T>,
    onThrottled: () => Promise<void> = () => Promise.resolve(),
  ): Promise<T> {
    const canonical = username.toLowerCase();
    const keys: Record<Counter, string> = {
      pair: hashed(JSON.stringify([canonical, ip])),
      ip,
      username: hashed(canonical),
    };
    const standing = Math.max(this.refusedUntil('ip', keys.ip), this.refusedUntil('pair', keys.pair));
    if (standing > Date.now()) throw refusal(standing - Date.now());

    const counts = await this.consume(keys);
    const refusing = COUNTERS.filter((counter) => this.refuses(counter, counts));
    if (refusing.length > 0) {
      this.giveBack(
        keys,
        COUNTERS.filter((counter) => !refusing.includes(counter)),
      );
      const until = Date.now() + Math.max(...refusing.map((counter) => counts[counter].msBeforeNext));
      // A username over its limit refuses this pair (an address that failed for it), not the username.
      for (const counter of refusing) {
        const refused = counter === 'username' ? 'pair' : counter;
        this.refusals.set(`${refused}:${keys[refused]}`, until);
      }
      await onThrottled();
      throw refusal(until - Date.now());
    }
    try {
      const result = await check();
      this.giveBack(keys, COUNTERS);
      return result;
    } catch (error) {
      if (!(error instanceof ApiError && FAILURES.includes(error.reason))) this.giveBack(keys, COUNTERS);
      throw error;
    }
  }

  private refusedUntil(counter: Counter, key: string): number {
    return this.refusals.get(`${counter}:${key}`) ?? 0;
  }

  /** Whether `counter`, with this attempt counted, refuses it. */
  private refuses(counter: Counter, counts: Record<Counter, RateLimiterRes>): boolean {
    if (counts[counter].consumedPoints <= this.limits[counter]) return false;
    // The loose username limit spares an address that had not failed for the username.
    return counter !== 'username' || counts.pair.consumedPoints > 1;
  }

  /** This attempt, counted on every counter at once; a counter over its limit answers all the same. */
  private async consume(keys: Record<Counter, string>): Promise<Record<Counter, RateLimiterRes>> {
    const verdicts = await Promise.allSettled(
      COUNTERS.map((counter) => this.limiters[counter].consume(keys[counter])),
    );
    const counts = verdicts.map((verdict) => {
      if (verdict.status === 'fulfilled') return verdict.value;
      if (verdict.reason instanceof RateLimiterRes) return verdict.reason;
      throw verdict.reason;
    });
    return { pair: counts[0], ip: counts[1], username: counts[2] };
  }

  /** Uncounts this attempt on `counters`, behind the answer (a failure to do so costs one attempt). */
  private giveBack(keys: Record<Counter, string>, counters: readonly Counter[]): void {
    for (const counter of counters) void this.limiters[counter].reward(keys[counter]).catch(() => undefined);
  }
}

function refusal(ms: number): ApiError {
  return tooManyLoginAttempts(Math.max(1, Math.ceil(ms / 1000)));
}
