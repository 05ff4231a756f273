import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AccessKeyRepository } from './access-key.repository.js';

/** `tm_last_used` is written at most once a minute per key... */
const LAST_USED_RESOLUTION_MS = 60_000;
/** ...and behind the requests, in one flush every few seconds. */
const FLUSH_INTERVAL_MS = 5_000;
/** A bound on what waits for the database, should it be away for long, and on what is remembered. */
const MAX_KEYS = 100_000;

/**
 * Records when keys authenticate, off the request path: a use only marks the key in memory; a
 * timer writes the marks. A crash loses at most one interval of marks, and a write never moves
 * `tm_last_used` backwards.
 */
@Injectable()
export class LastUsedRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger('LastUsed');
  /** Each waiting mark by key id, with the key's customer: the write is scoped by it. */
  private pending = new Map<string, { customerId: string; at: Date }>();
  /** The last use this instance marked of each key, so that a use within the minute marks nothing. */
  private readonly marked = new LRUCache<string, Date>({ max: MAX_KEYS });
  private timer = this.schedule();
  private stopped = false;

  constructor(private readonly keys: AccessKeyRepository) {}

  /** Marks a use at `at` of the key, whose stored last use is `stored`; true when `at` will be written. */
  record(key: { id: string; customerId: string }, stored: Date | null, at: Date): boolean {
    const id = key.id;
    const last = this.marked.get(id) ?? stored;
    if (last && at.getTime() - last.getTime() < LAST_USED_RESOLUTION_MS) return false;
    const waiting = this.pending.get(id);
    if (waiting && waiting.at >= at) return false;
    if (!waiting && this.pending.size >= MAX_KEYS) return false;
    this.pending.set(id, { customerId: key.customerId, at });
    this.marked.set(id, at);
    return true;
  }

  /** Writes every waiting mark; marks that fail to write wait for the next flush, an interval later. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    const batch = this.pending;
    this.pending = new Map();
    for (const [id, mark] of batch) {
      try {
        await this.keys.markUsed(mark.customerId, id, mark.at);
      } catch (error) {
        this.logger.warn(`could not record a key's last use yet: ${(error as Error).message}`);
        if (!this.pending.has(id)) this.pending.set(id, mark);
      }
    }
    if (!this.stopped) this.timer = this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.flush();
  }

  private schedule(): NodeJS.Timeout {
    return setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS).unref();
  }
}
