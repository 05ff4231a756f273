import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { NO_ORIGIN } from '../audit/audit-event.js';
import { AccessKeyRepository } from './access-key.repository.js';
import { KeyNoticesRepository } from './key-notices.repository.js';
import { KeyPolicyRepository } from './key-policy.repository.js';

const DAY_MS = 86400_000;
/** Keys read per query, so that a sweep never holds many rows at once. */
const BATCH = 500;

/**
 * Each notice covers the keys whose `tm_expire` lies in its window (after, until], relative to now.
 * A key that enters a window late (made with 5 days left, or missed while nothing swept) gets that
 * window's notice only, not the earlier ones it skipped. `expired` looks back 30 days, so that the
 * scan stays bounded however many keys expired long ago.
 */
const NOTICES = [
  { notice: 'expiring_30', days: 30, after: 7 * DAY_MS, until: 30 * DAY_MS },
  { notice: 'expiring_7', days: 7, after: DAY_MS, until: 7 * DAY_MS },
  { notice: 'expiring_1', days: 1, after: 0, until: DAY_MS },
  { notice: 'expired', days: 0, after: -30 * DAY_MS, until: 0 },
] as const;

/**
 * Writes `accesskey.expiring` 30, 7 and 1 days before a key's `tm_expire` and `accesskey.expired`
 * after it, once each: every instance may sweep, and the notice's row in `access_key_notices`,
 * inserted with the event, lets only one of them write it. The same timer disables the keys left
 * unused longer than their customer's `disable_unused_days` (`disableUnused`).
 */
@Injectable()
export class ExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Expiry');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly notices: KeyNoticesRepository,
    private readonly keys: AccessKeyRepository,
    private readonly policies: KeyPolicyRepository,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.expirySweepMs === 0) return;
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) =>
        this.logger.warn(`Sweeping for key expiry failed: ${String(error)}`),
      );
      this.disableUnused().catch((error: unknown) =>
        this.logger.warn(`Sweeping for unused keys failed: ${String(error)}`),
      );
    }, this.config.expirySweepMs).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Sends every notice now due; the number this call sent. */
  async sweep(): Promise<number> {
    const now = this.clock.now().getTime();
    let sent = 0;
    for (const { notice, days, after, until } of NOTICES) {
      for (;;) {
        const due = await this.notices.due(notice, new Date(now + after), new Date(now + until), BATCH);
        let claimed = 0;
        for (const key of due) {
          const event = {
            customerId: key.customerId,
            action: days === 0 ? ('accesskey.expired' as const) : ('accesskey.expiring' as const),
            target: `accesskey:${key.id}`,
            data: { tm_expire: key.tmExpire.toISOString(), ...(days > 0 && { days }) },
          };
          if (await this.notices.claim(key.id, notice, new Date(now), event)) claimed += 1;
        }
        sent += claimed;
        // A short batch was the last; a full one that another sweeper claimed entirely leaves it the rest.
        if (due.length < BATCH || claimed === 0) break;
      }
    }
    return sent;
  }

  /**
   * Disables, with an `accesskey.disabled` event each, the live keys unused for more than their
   * customer's `disable_unused_days` (never used: since made); the number this call disabled. Each
   * disable is one conditional UPDATE, so a key that several sweepers find is disabled (and recorded)
   * once. Expired keys are left alone: they no longer authenticate anyway.
   */
  async disableUnused(): Promise<number> {
    const now = this.clock.now();
    let disabled = 0;
    for (const { customerId, days } of await this.policies.disablingUnused()) {
      const unusedSince = new Date(now.getTime() - days * DAY_MS);
      for (;;) {
        const due = await this.keys.unused(customerId, unusedSince, now, BATCH);
        let done = 0;
        for (const key of due) {
          const event = {
            customerId,
            action: 'accesskey.disabled' as const,
            target: `accesskey:${key.id}`,
            actor: { customerId: null, via: 'system' as const },
            origin: NO_ORIGIN,
            data: { name: key.name, token_prefix: key.tokenPrefix, days },
          };
          if (await this.keys.disableUnused(customerId, key.id, unusedSince, now, event)) done += 1;
        }
        disabled += done;
        // As for the notices: a short batch was the last, one another sweeper took entirely leaves it the rest.
        if (due.length < BATCH || done === 0) break;
      }
    }
    return disabled;
  }
}
