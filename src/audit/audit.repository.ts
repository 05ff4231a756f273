import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';
import { Clock } from '../common/clock.js';
import { newestFirst, pageOf, type Page, type PageRequest } from '../common/pagination.js';
import { replicaRead } from '../common/replica-read.js';
import { fromSqlDatetime, sqlDatetime } from '../common/sql-time.js';
import { transaction } from '../common/transaction.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { Checkpoint } from './checkpoint-signature.js';
import {
  canonicalJson,
  chainHash,
  USER_AGENT_LENGTH,
  type Actor,
  type AuditEvent,
  type AuditRecord,
} from './audit-event.js';

const INSERT_EVENT = `INSERT INTO audit_events (id, customer_id, sequence, tm_create, actor_customer_id,
    actor_via, actor_key_id, actor_key_prefix, action, target, client_ip, user_agent, request_id, data, hash)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const EVENTS = `SELECT id, customer_id, sequence, tm_create, actor_customer_id, actor_via, actor_key_id,
    actor_key_prefix, action, target, client_ip, user_agent, request_id, data, hash
  FROM audit_events WHERE customer_id = ?`;

interface CheckpointRow {
  sequence: number | string;
  hash: string;
  tm_create: Date | string;
  signature: string;
}

interface HeadRow {
  sequence: number | string;
  hash: string;
}

interface EventRow {
  id: string;
  customer_id: string;
  sequence: number | string;
  tm_create: Date | string;
  actor_customer_id: string | null;
  actor_via: Actor['via'];
  actor_key_id: string | null;
  actor_key_prefix: string | null;
  action: string;
  target: string;
  client_ip: string;
  user_agent: string;
  request_id: string;
  data: string;
  hash: string;
}

/** What a list of events may be narrowed to. */
export interface AuditFilter {
  action?: string;
  /** A customer id or an access key id. */
  actor?: string;
  target?: string;
  since?: Date;
  until?: Date;
}

/** Told of each event appended, inside the transaction that appends it (the webhook outbox). */
export type AppendHook = (m: EntityManager, event: AuditEvent) => Promise<void>;

/** A chain's last sequence and hash. */
export interface ChainHead {
  sequence: number;
  hash: string;
}

/**
 * The audit log's SQL. Events are only ever appended, each to its customer's hash chain, inside the
 * transaction of the change it records (`append`), so that an event exists exactly when its change
 * does.
 */
@Injectable()
export class AuditRepository implements EntitySubscriberInterface {
  private readonly hooks: AppendHook[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {
    // Told of every transaction's end, to count the events it appended once they are committed.
    dataSource.subscribers.push(this);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const actions = pendingActions(event.queryRunner);
    if (actions.length > 0) this.metrics.recordAuditEvents(actions.splice(0));
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    pendingActions(event.queryRunner).length = 0;
  }

  /** Runs `hook` for every event appended from now on, in the transaction that appends it. */
  onAppend(hook: AppendHook): void {
    this.hooks.push(hook);
  }

  /**
   * Appends events, in order, within the caller's transaction; their ids, in order. Appending
   * locks the chain's head row (`audit_chains`) until that transaction ends: two writers on one
   * chain take turns, so it never forks, and writers on different customers' chains never wait for
   * each other. On MySQL/MariaDB
   * the transaction must be READ COMMITTED: under REPEATABLE READ, two first writers of a chain
   * would each take a gap lock where its head goes, and each wait for the other's to insert it.
   */
  async append(m: EntityManager, ...records: AuditRecord[]): Promise<string[]> {
    const ids: string[] = [];
    for (const record of records) {
      const head = await this.lockHead(m, record.customerId);
      const partial: Omit<AuditEvent, 'hash'> = {
        id: randomUUID(),
        customerId: record.customerId,
        sequence: head.sequence + 1,
        tmCreate: this.clock.now(),
        actor: record.actor,
        action: record.action,
        target: record.target,
        origin: { ...record.origin, userAgent: record.origin.userAgent.slice(0, USER_AGENT_LENGTH) },
        data: canonicalJson(record.data ?? {}),
      };
      const hash = chainHash(head.hash, partial);
      await m.query(INSERT_EVENT, [
        partial.id,
        partial.customerId,
        partial.sequence,
        sqlDatetime(partial.tmCreate),
        partial.actor.customerId,
        partial.actor.via,
        partial.actor.keyId ?? null,
        partial.actor.keyPrefix ?? null,
        partial.action,
        partial.target,
        partial.origin.ip,
        partial.origin.userAgent,
        partial.origin.requestId,
        partial.data,
        hash,
      ]);
      if (m.queryRunner) pendingActions(m.queryRunner).push(partial.action);
      await m.query('UPDATE audit_chains SET sequence = ?, hash = ? WHERE customer_id = ?', [
        partial.sequence,
        hash,
        partial.customerId,
      ]);
      for (const hook of this.hooks) await hook(m, { ...partial, hash });
      ids.push(partial.id);
    }
    return ids;
  }

  /** Appends events in a transaction of their own: for events that record no other change (logins). */
  record(...records: AuditRecord[]): Promise<string[]> {
    return transaction(this.dataSource, (m) => this.append(m, ...records), 'READ COMMITTED');
  }

  /** A customer's events, newest first, as `filter` narrows them. */
  async list(customerId: string, filter: AuditFilter, page: PageRequest): Promise<Page<AuditEvent>> {
    let select = EVENTS;
    const parameters: unknown[] = [customerId];
    const where = (clause: string, ...values: unknown[]) => {
      select += ` AND ${clause}`;
      parameters.push(...values);
    };
    if (filter.action !== undefined) where('action = ?', filter.action);
    if (filter.actor !== undefined)
      where('(actor_customer_id = ? OR actor_key_id = ?)', filter.actor, filter.actor);
    if (filter.target !== undefined) where('target = ?', filter.target);
    if (filter.since !== undefined) where('tm_create >= ?', sqlDatetime(filter.since));
    if (filter.until !== undefined) where('tm_create < ?', sqlDatetime(filter.until));
    const rows: EventRow[] = await replicaRead(this.dataSource, ...newestFirst(select, parameters, page));
    return pageOf(rows.map(fromEventRow));
  }

  /** The chain's head as recorded, null for a customer with no events. */
  async head(customerId: string): Promise<ChainHead | null> {
    const rows: HeadRow[] = await this.dataSource.query(
      'SELECT sequence, hash FROM audit_chains WHERE customer_id = ?',
      [customerId],
    );
    return rows[0] === undefined ? null : { sequence: Number(rows[0].sequence), hash: rows[0].hash };
  }

  /** Up to `limit` events of a chain after `sequence`, up to `last`, in chain order. */
  async chain(customerId: string, sequence: number, last: number, limit: number): Promise<AuditEvent[]> {
    const rows: EventRow[] = await this.dataSource.query(
      `${EVENTS} AND sequence > ? AND sequence <= ? ORDER BY sequence LIMIT ?`,
      [customerId, sequence, last, limit],
    );
    return rows.map(fromEventRow);
  }

  /** The chain's signed checkpoint, null for a chain never pruned. */
  async checkpoint(customerId: string): Promise<{ checkpoint: Checkpoint; signature: string } | null> {
    const rows: CheckpointRow[] = await this.dataSource.query(
      'SELECT sequence, hash, tm_create, signature FROM audit_checkpoints WHERE customer_id = ?',
      [customerId],
    );
    const row = rows[0];
    if (row === undefined) return null;
    const checkpoint = {
      customerId,
      sequence: Number(row.sequence),
      hash: row.hash,
      tmCreate: fromSqlDatetime(row.tm_create),
    };
    return { checkpoint, signature: row.signature };
  }

  /** The chains that have events from before `before`. */
  async chainsWithEventsBefore(before: Date): Promise<string[]> {
    const rows: { customer_id: string }[] = await this.dataSource.query(
      'SELECT DISTINCT customer_id FROM audit_events WHERE tm_create < ?',
      [sqlDatetime(before)],
    );
    return rows.map((row) => row.customer_id);
  }

  /**
   * Deletes a chain's events from before `before`, and in the same transaction records the last of
   * them as the chain's checkpoint, with `sign`'s signature; the chain's head is locked meanwhile,
   * so that pruning and appending take turns. The number of events deleted.
   */
  prune(customerId: string, before: Date, sign: (checkpoint: Checkpoint) => string): Promise<number> {
    return transaction(
      this.dataSource,
      async (m) => {
        await this.lockHead(m, customerId);
        const last: { sequence: number | string; hash: string }[] = await m.query(
          'SELECT sequence, hash FROM audit_events WHERE customer_id = ? AND tm_create < ? ORDER BY sequence DESC LIMIT 1',
          [customerId, sqlDatetime(before)],
        );
        if (last[0] === undefined) return 0;
        const checkpoint: Checkpoint = {
          customerId,
          sequence: Number(last[0].sequence),
          hash: last[0].hash,
          tmCreate: this.clock.now(),
        };
        const counted: { n: number | string }[] = await m.query(
          'SELECT COUNT(*) AS n FROM audit_events WHERE customer_id = ? AND sequence <= ?',
          [customerId, checkpoint.sequence],
        );
        await m.query('DELETE FROM audit_events WHERE customer_id = ? AND sequence <= ?', [
          customerId,
          checkpoint.sequence,
        ]);
        await m.query('DELETE FROM audit_checkpoints WHERE customer_id = ?', [customerId]);
        await m.query(
          'INSERT INTO audit_checkpoints (customer_id, sequence, hash, tm_create, signature) VALUES (?, ?, ?, ?, ?)',
          [
            customerId,
            checkpoint.sequence,
            checkpoint.hash,
            sqlDatetime(checkpoint.tmCreate),
            sign(checkpoint),
          ],
        );
        return Number(counted[0].n);
      },
      'READ COMMITTED',
    );
  }

  /**
   * The chain's last sequence and hash (0 and '' for a new chain), its head row locked. A chain's
   * first writer makes the head; on MySQL/MariaDB with an upsert, which takes the row's exclusive
   * lock whether it inserts it or finds it: a plain insert that finds the row takes a shared lock,
   * and two writers holding one each and then asking for the exclusive lock would deadlock.
   */
  private async lockHead(m: EntityManager, customerId: string): Promise<ChainHead> {
    // SQLite runs one write at a time (common/transaction.ts), and has no FOR UPDATE.
    const sqlite = this.dataSource.options.type === 'better-sqlite3';
    const select = `SELECT sequence, hash FROM audit_chains WHERE customer_id = ?${sqlite ? '' : ' FOR UPDATE'}`;
    let rows: HeadRow[] = await m.query(select, [customerId]);
    if (rows[0] === undefined) {
      const make = "INSERT INTO audit_chains (customer_id, sequence, hash) VALUES (?, 0, '')";
      await m.query(sqlite ? make : `${make} ON DUPLICATE KEY UPDATE sequence = sequence`, [customerId]);
      rows = await m.query(select, [customerId]);
    }
    return { sequence: Number(rows[0].sequence), hash: rows[0].hash };
  }
}

/** The actions of the events appended in the query runner's open transaction. */
function pendingActions(queryRunner: QueryRunner): string[] {
  return ((queryRunner.data as { auditActions?: string[] }).auditActions ??= []);
}

function fromEventRow(row: EventRow): AuditEvent {
  return {
    id: row.id,
    customerId: row.customer_id,
    sequence: Number(row.sequence),
    tmCreate: fromSqlDatetime(row.tm_create),
    actor: {
      customerId: row.actor_customer_id,
      via: row.actor_via,
      ...(row.actor_key_id !== null && { keyId: row.actor_key_id }),
      ...(row.actor_key_prefix !== null && { keyPrefix: row.actor_key_prefix }),
    },
    action: row.action,
    target: row.target,
    origin: { ip: row.client_ip, userAgent: row.user_agent, requestId: row.request_id },
    data: row.data,
    hash: row.hash,
  };
}
