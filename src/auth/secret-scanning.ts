import { verify, type KeyObject } from 'node:crypto';
import {
  Controller,
  Headers,
  HttpCode,
  Injectable,
  Logger,
  Post,
  Req,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { RateLimiterRes, type RateLimiterLike } from 'rate-limiter-flexible';
import { hashAccessKeyToken, isWellFormedAccessKeyToken } from '../accesskeys/access-key-token.js';
import { AccessKeyRepository } from '../accesskeys/access-key.repository.js';
import { KeyPolicyRepository } from '../accesskeys/key-policy.repository.js';
import type { Origin } from '../audit/audit-event.js';
import { RequestOrigin } from '../audit/origin.decorator.js';
import { ApiError } from '../common/api-error.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { Public } from '../common/auth.decorators.js';
import { Clock } from '../common/clock.js';
import { rawBodyOf } from '../common/raw-body.js';
import { AppConfig } from '../config/app-config.js';
import { parseScanningKeys } from '../config/secret-scanning-keys.js';
import { RedisConnection } from '../redis/redis.connection.js';
import { windowLimiter } from './login-throttle.js';

/** Reports per sender address per window: GitHub batches its reports, so this is generous. */
const REPORTS_PER_WINDOW = 60;
const WINDOW_SECONDS = 60;
const MAX_REPORTS = 1000;
const MAX_URL_LENGTH = 2048;
/** An unknown key identifier refreshes the keys at most this often (it may be a new key). */
const REFRESH_AFTER_UNKNOWN_MS = 60_000;
const REFRESH_EVERY_MS = 3600_000;
const FETCH_TIMEOUT_MS = 3000;

interface Report {
  token: string;
  type: string;
  url?: string;
  source?: string;
}

/** GitHub's answer format; `token_hash` (SHA-256, hex) rather than echoing the token back. */
export interface ReportLabel {
  token_hash: string;
  token_type: string;
  label: 'true_positive' | 'false_positive';
}

const badSignature = () =>
  new ApiError(401, 'INVALID_SIGNATURE', 'The report is not signed by a known secret-scanning key.');

const tooManyReports = (seconds: number) =>
  new ApiError(429, 'RATE_LIMIT_EXCEEDED', `Too many reports; retry in ${seconds} seconds.`, [], undefined, {
    'retry-after': String(seconds),
  });

const badReports = () =>
  ApiError.invalidArgument(
    [
      {
        field: 'body',
        message: `body must be a list of 1..${MAX_REPORTS} {"token", "type", "url"?, "source"?}`,
      },
    ],
    'The report is invalid.',
  );

function isReport(value: unknown): value is Report {
  const r = value as Partial<Record<keyof Report, unknown>> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.token === 'string' &&
    typeof r.type === 'string' &&
    (r.url === undefined || r.url === null || typeof r.url === 'string') &&
    (r.source === undefined || r.source === null || typeof r.source === 'string')
  );
}

/**
 * GitHub's secret-scanning partner program: GitHub finds tokens of our format in public pushes and
 * posts them here, signed (ECDSA P-256, SHA-256, over the body's bytes) with a key it publishes.
 * A token that fails its checksum is answered without a lookup; a live key gets what its customer's
 * key policy says (`leak_action`), and every report of one is an `accesskey.leaked` event.
 */
@Injectable()
export class SecretScanning implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SecretScanning');
  private readonly limiter: RateLimiterLike;
  private keys: Map<string, KeyObject>;
  private readonly keysUrl: string | null;
  private lastRefresh = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    config: AppConfig,
    private readonly accessKeys: AccessKeyRepository,
    private readonly policies: KeyPolicyRepository,
    private readonly clock: Clock,
    redis: RedisConnection,
  ) {
    this.keys = config.secretScanning.keys;
    this.keysUrl = config.secretScanning.keysUrl;
    this.limiter = windowLimiter(redis, 'secret-scanning:ip', REPORTS_PER_WINDOW, WINDOW_SECONDS);
  }

  onModuleInit(): void {
    if (this.keysUrl === null) return;
    // Never awaited: the configured keys serve until (and unless) the URL answers.
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_EVERY_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async report(
    raw: Buffer | undefined,
    keyId: string | undefined,
    signature: string | undefined,
    origin: Origin,
  ): Promise<ReportLabel[]> {
    try {
      await this.limiter.consume(origin.ip);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw tooManyReports(Math.ceil(error.msBeforeNext / 1000));
      throw error;
    }
    if (raw === undefined || !keyId || !signature) throw badSignature();
    if (!(await this.verified(raw, keyId, signature))) throw badSignature();
    let reports: unknown;
    try {
      reports = JSON.parse(raw.toString('utf8'));
    } catch {
      throw badReports();
    }
    if (!Array.isArray(reports) || reports.length === 0 || reports.length > MAX_REPORTS) throw badReports();
    if (!reports.every(isReport)) throw badReports();
    const labels: ReportLabel[] = [];
    for (const report of reports) labels.push(await this.label(report, origin));
    return labels;
  }

  private async label(report: Report, origin: Origin): Promise<ReportLabel> {
    const hash = hashAccessKeyToken(report.token);
    const answer = (label: ReportLabel['label']): ReportLabel => ({
      token_hash: hash,
      token_type: report.type,
      label,
    });
    // The checksum first: a string that is not one of our tokens costs no database lookup.
    if (!isWellFormedAccessKeyToken(report.token)) return answer('false_positive');
    const key = await this.accessKeys.findCredential(hash);
    if (key === null) return answer('false_positive');
    const { leakAction } = await this.policies.get(key.customerId);
    const url = report.url ? report.url.slice(0, MAX_URL_LENGTH) : null;
    await this.accessKeys.recordLeak(
      key.customerId,
      key.id,
      { url, at: this.clock.now(), action: leakAction, previous: key.previous },
      {
        customerId: key.customerId,
        action: 'accesskey.leaked',
        target: `accesskey:${key.id}`,
        actor: { customerId: null, via: 'anonymous' },
        origin,
        data: {
          source: 'github',
          url,
          report_source: report.source ?? null,
          secret: key.previous ? 'previous' : 'current',
          leak_action: leakAction,
        },
      },
    );
    return answer('true_positive');
  }

  private async verified(raw: Buffer, keyId: string, signature: string): Promise<boolean> {
    let key = this.keys.get(keyId);
    if (
      key === undefined &&
      this.keysUrl !== null &&
      Date.now() - this.lastRefresh > REFRESH_AFTER_UNKNOWN_MS
    ) {
      await this.refresh();
      key = this.keys.get(keyId);
    }
    if (key === undefined) return false;
    try {
      return verify('sha256', raw, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
    } catch {
      return false;
    }
  }

  /** Replaces the keys with the URL's document when it answers with a valid one; keeps them else. */
  private async refresh(): Promise<void> {
    if (this.keysUrl === null) return;
    this.lastRefresh = Date.now();
    try {
      const res = await fetch(this.keysUrl, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`answered ${res.status}`);
      this.keys = parseScanningKeys(await res.text());
    } catch (error) {
      this.logger.warn(
        `SECRET_SCANNING_KEYS_URL not refreshed (${(error as Error).message}); keeping the keys held`,
      );
    }
  }
}

@ApiTags('auth')
@Controller('v1.0/secret-scanning')
export class SecretScanningController {
  constructor(private readonly scanning: SecretScanning) {}

  @Post('github')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: "GitHub's secret-scanning partner endpoint (public; signed reports only)",
    description:
      'The body is GitHub\'s `[{"token","type","url","source"}]`, signed with the key named in ' +
      '`Github-Public-Key-Identifier` (`Github-Public-Key-Signature`: ECDSA P-256 SHA-256 over the body, base64). ' +
      "Each live key reported gets what its customer's key policy says (leak_action).",
  })
  @ApiOkResponse({ description: '`[{"token_hash","token_type","label":"true_positive"|"false_positive"}]`' })
  @ApiErrors(badSignature(), badReports(), tooManyReports(42))
  report(
    @Req() req: FastifyRequest,
    @Headers('github-public-key-identifier') keyId: string | undefined,
    @Headers('github-public-key-signature') signature: string | undefined,
    @RequestOrigin() origin: Origin,
  ): Promise<ReportLabel[]> {
    return this.scanning.report(rawBodyOf(req), keyId, signature, origin);
  }
}
