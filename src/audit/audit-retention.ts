import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { AuditRepository } from './audit.repository.js';
import { signCheckpoint } from './checkpoint-signature.js';

/** How often events past AUDIT_RETENTION_DAYS are pruned (and first, this long after start). */
const PRUNE_EVERY_MS = 3600_000;
const DAY_MS = 86400_000;

/**
 * Prunes audit events older than AUDIT_RETENTION_DAYS, chain by chain, each behind a signed
 * checkpoint (see AuditRepository.prune). Every instance prunes: two pruning one chain take turns on
 * its head, and the second finds nothing left to prune.
 */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly audit: AuditRepository,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.prune().catch((error: unknown) =>
        this.logger.warn(`Pruning the audit log failed: ${String(error)}`),
      );
    }, PRUNE_EVERY_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Prunes every chain now; the number of events deleted. */
  async prune(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.config.auditRetentionDays * DAY_MS);
    let pruned = 0;
    for (const chain of await this.audit.chainsWithEventsBefore(before)) {
      pruned += await this.audit.prune(chain, before, (checkpoint) =>
        signCheckpoint(this.config.jwt, checkpoint),
      );
    }
    return pruned;
  }
}
