import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { AuditRecord } from '../audit/audit-event.js';
import { networkOf } from '../common/networks.js';
import { KeyNetworksRepository } from './key-networks.repository.js';

/** A key's network is written at most once a day per instance (the 30-day window needs no finer)... */
const RESOLUTION_MS = 86400_000;
/** ...behind the requests, in one flush every few seconds. */
const FLUSH_INTERVAL_MS = 5_000;
/** A bound on what waits for the database and on what is remembered. */
const MAX_ENTRIES = 100_000;

interface Use {
  keyId: string;
  network: string;
  at: Date;
  event: AuditRecord;
}

/**
 * Records the networks keys are used from, off the request path as LastUsedRecorder does: a use
 * only marks the key's network in memory; a timer writes the marks, and the database decides
 * whether a network is new for the key (`accesskey.used_from_new_network`, once in 30 days).
 */
@Injectable()
export class NewNetworkRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger('KeyNetworks');
  private pending = new Map<string, Use>();
  private readonly marked = new LRUCache<string, number>({ max: MAX_ENTRIES });
  /** Each address's network, parsed once: a client keeps its address ('' for none). */
  private readonly networks = new LRUCache<string, string>({ max: MAX_ENTRIES });
  private timer = this.schedule();
  private stopped = false;

  constructor(private readonly keyNetworks: KeyNetworksRepository) {}

  /** Marks a use of the key from `ip` at `at`; true when it will be written. */
  record(key: { id: string; customerId: string; prefix: string }, ip: string, at: Date): boolean {
    let network = this.networks.get(ip);
    if (network === undefined) {
      network = networkOf(ip) ?? '';
      this.networks.set(ip, network);
    }
    if (network === '') return false;
    const mark = `${key.id} ${network}`;
    const last = this.marked.get(mark);
    if (last !== undefined && at.getTime() - last < RESOLUTION_MS) return false;
    if (this.pending.has(mark) || this.pending.size >= MAX_ENTRIES) return false;
    this.marked.set(mark, at.getTime());
    this.pending.set(mark, {
      keyId: key.id,
      network,
      at,
      event: {
        customerId: key.customerId,
        action: 'accesskey.used_from_new_network',
        target: `accesskey:${key.id}`,
        actor: { customerId: key.customerId, via: 'accesskey', keyId: key.id, keyPrefix: key.prefix },
        origin: { ip, userAgent: '', requestId: '' },
        data: { network },
      },
    });
    return true;
  }

  /** Writes every waiting mark; those that fail wait for the next flush. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    const batch = this.pending;
    this.pending = new Map();
    for (const [mark, use] of batch) {
      try {
        await this.keyNetworks.seen(use.keyId, use.network, use.at, use.event);
      } catch (error) {
        this.logger.warn(`could not record a key's network yet: ${(error as Error).message}`);
        if (!this.pending.has(mark)) this.pending.set(mark, use);
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
