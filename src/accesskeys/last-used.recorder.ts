import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AccessKey } from './access-key.entity.js';

/** `tm_last_used` is written at most once a minute per key... */
export const LAST_USED_RESOLUTION_MS = 60_000;
/** ...and behind the requests, in one flush every few seconds. */
const FLUSH_INTERVAL_MS = 5_000;
/** A bound on what waits for the database, should it be away for long. */
const MAX_PENDING = 100_000;

/**
 * Records when keys authenticate, off the request path: a use only marks the key in memory; a
 * timer writes the marks. A crash loses at most one interval of marks, and a write never moves
 * `tm_last_used` backwards.
 */
@Injectable()
export class LastUsedRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger('LastUsed');
  private pending = new Map<string, Date>();
  private readonly timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS).unref();

  constructor(@InjectRepository(AccessKey) private readonly keys: Repository<AccessKey>) {}

  /** Marks a use; true when `at` will be written (the caller may then take it as the last use). */
  record(key: Pick<AccessKey, 'id' | 'tmLastUsed'>, at: Date): boolean {
    if (key.tmLastUsed && at.getTime() - key.tmLastUsed.getTime() < LAST_USED_RESOLUTION_MS) return false;
    const waiting = this.pending.get(key.id);
    if (waiting && waiting >= at) return false;
    if (!waiting && this.pending.size >= MAX_PENDING) return false;
    this.pending.set(key.id, at);
    return true;
  }

  /** Writes every waiting mark; marks that fail to write wait for the next flush. */
  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    for (const [id, at] of batch) {
      try {
        await this.keys
          .createQueryBuilder()
          .update()
          .set({ tmLastUsed: at })
          .where('id = :id', { id })
          .andWhere('(tm_last_used IS NULL OR tm_last_used < :at)', { at })
          .execute();
      } catch (error) {
        this.logger.warn(`could not record a key's last use yet: ${(error as Error).message}`);
        this.record({ id, tmLastUsed: null }, at);
      }
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
