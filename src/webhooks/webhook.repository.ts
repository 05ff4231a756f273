import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditEvent } from '../audit/audit-event.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { toAuditEventDto } from '../audit/audit.service.js';
import { newestFirst, pageOf, type Page, type PageRequest } from '../common/pagination.js';
import { replicaRead } from '../common/replica-read.js';
import { fromSqlDatetime, fromSqlDatetimeOrNull, sqlDatetime } from '../common/sql-time.js';
import { transaction } from '../common/transaction.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event queued for a customer's endpoint, and how its delivery went. */
export interface Delivery {
  id: string;
  customerId: string;
  sequence: number;
  eventId: string;
  action: string;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  tmCreate: Date;
  tmNextAttempt: Date | null;
  tmDelivered: Date | null;
}

/** Where and how a customer's events go. */
export interface Endpoint {
  uri: string;
  method: string;
  sealedSecret: string | null;
}

interface DeliveryRow {
  id: string;
  customer_id: string;
  sequence: number | string;
  event_id: string;
  action: string;
  payload: string;
  status: DeliveryStatus;
  attempts: number | string;
  response_status: number | string | null;
  last_error: string | null;
  tm_create: Date | string;
  tm_next_attempt: Date | string | null;
  tm_delivered: Date | string | null;
}

const COLUMNS = `id, customer_id, sequence, event_id, action, payload, status, attempts, response_status,
  last_error, tm_create, tm_next_attempt, tm_delivered`;

/**
 * Queues an event for the customer's endpoint when it has one: one statement, in the transaction of
 * the event, so that an event is queued exactly when it is written.
 */
const ENQUEUE = `INSERT INTO webhook_outbox (id, customer_id, sequence, event_id, action, payload, status,
    attempts, tm_create, tm_next_attempt)
  SELECT ?, id, ?, ?, ?, ?, 'pending', 0, ?, ? FROM customers WHERE id = ? AND webhook_uri <> ''`;

/**
 * Each customer's first pending event, when due: a customer's next event waits until the one before
 * it is delivered or given up on.
 */
const DUE = `SELECT ${COLUMNS} FROM webhook_outbox o WHERE o.status = 'pending' AND o.tm_next_attempt <= ?
  AND o.sequence = (SELECT MIN(p.sequence) FROM webhook_outbox p
    WHERE p.customer_id = o.customer_id AND p.status = 'pending')
  ORDER BY o.tm_next_attempt LIMIT ?`;

/** The webhook tables' SQL: the outbox, the customers' secrets, and the worker's lease. */
@Injectable()
export class WebhookRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    audit: AuditRepository,
  ) {
    audit.onAppend((m, event) => this.enqueue(m, event));
  }

  private async enqueue(m: EntityManager, event: AuditEvent): Promise<void> {
    const payload = JSON.stringify({
      type: event.action,
      timestamp: event.tmCreate.toISOString(),
      data: toAuditEventDto(event),
    });
    const at = sqlDatetime(event.tmCreate);
    await m.query(ENQUEUE, [
      randomUUID(),
      event.sequence,
      event.id,
      event.action,
      payload,
      at,
      at,
      event.customerId,
    ]);
  }

  async endpoint(customerId: string): Promise<Endpoint | null> {
    const rows: { webhook_uri: string; webhook_method: string; sealed: string | null }[] =
      await this.dataSource.query(
        `SELECT c.webhook_uri, c.webhook_method, s.sealed FROM customers c
          LEFT JOIN webhook_secrets s ON s.customer_id = c.id WHERE c.id = ?`,
        [customerId],
      );
    const row = rows[0];
    if (row === undefined) return null;
    return { uri: row.webhook_uri, method: row.webhook_method, sealedSecret: row.sealed };
  }

  /** Replaces the customer's sealed secret, in the caller's transaction. */
  async setSecret(m: EntityManager, customerId: string, sealed: string, at: Date): Promise<void> {
    await m.query('DELETE FROM webhook_secrets WHERE customer_id = ?', [customerId]);
    await m.query('INSERT INTO webhook_secrets (customer_id, sealed, tm_create) VALUES (?, ?, ?)', [
      customerId,
      sealed,
      sqlDatetime(at),
    ]);
  }

  async due(now: Date, limit: number): Promise<Delivery[]> {
    const rows: DeliveryRow[] = await this.dataSource.query(DUE, [sqlDatetime(now), limit]);
    return rows.map(fromRow);
  }

  /** Records an attempt's outcome. */
  async settle(
    id: string,
    outcome: Pick<
      Delivery,
      'status' | 'attempts' | 'responseStatus' | 'lastError' | 'tmNextAttempt' | 'tmDelivered'
    >,
  ): Promise<void> {
    const time = (at: Date | null) => (at === null ? null : sqlDatetime(at));
    await transaction(this.dataSource, (m) =>
      m.query(
        `UPDATE webhook_outbox SET status = ?, attempts = ?, response_status = ?, last_error = ?,
          tm_next_attempt = ?, tm_delivered = ? WHERE id = ?`,
        [
          outcome.status,
          outcome.attempts,
          outcome.responseStatus,
          outcome.lastError,
          time(outcome.tmNextAttempt),
          time(outcome.tmDelivered),
          id,
        ],
      ),
    );
  }

  /** A customer's deliveries, newest first. */
  async list(
    customerId: string,
    status: DeliveryStatus | undefined,
    page: PageRequest,
  ): Promise<Page<Delivery>> {
    let select = `SELECT ${COLUMNS} FROM webhook_outbox WHERE customer_id = ?`;
    const parameters: unknown[] = [customerId];
    if (status !== undefined) {
      select += ' AND status = ?';
      parameters.push(status);
    }
    const rows: DeliveryRow[] = await replicaRead(this.dataSource, ...newestFirst(select, parameters, page));
    return pageOf(rows.map(fromRow));
  }

  /** How many events wait, and since when the oldest of them. */
  async backlog(): Promise<{ pending: number; oldest: Date | null }> {
    const rows: { n: number | string; oldest: Date | string | null }[] = await this.dataSource.query(
      "SELECT COUNT(*) AS n, MIN(tm_create) AS oldest FROM webhook_outbox WHERE status = 'pending'",
    );
    return { pending: Number(rows[0].n), oldest: fromSqlDatetimeOrNull(rows[0].oldest) };
  }

  /**
   * Takes or keeps the delivery lease until `until`: when this holder has it, or its holder let it
   * lapse. Whether this holder has it now.
   */
  takeLease(holder: string, now: Date, until: Date): Promise<boolean> {
    const sqlite = this.dataSource.options.type === 'better-sqlite3';
    return transaction(
      this.dataSource,
      async (m) => {
        const rows: { holder: string; tm_expire: Date | string }[] = await m.query(
          `SELECT holder, tm_expire FROM webhook_leases WHERE name = 'outbox'${sqlite ? '' : ' FOR UPDATE'}`,
        );
        const lease = rows[0];
        if (lease === undefined) return false;
        if (lease.holder !== holder && fromSqlDatetime(lease.tm_expire) > now) return false;
        await m.query("UPDATE webhook_leases SET holder = ?, tm_expire = ? WHERE name = 'outbox'", [
          holder,
          sqlDatetime(until),
        ]);
        return true;
      },
      'READ COMMITTED',
    );
  }

  /** Lets the lease go at once, if this holder has it. */
  async releaseLease(holder: string): Promise<void> {
    await transaction(this.dataSource, (m) =>
      m.query(
        "UPDATE webhook_leases SET holder = '', tm_expire = '1970-01-01 00:00:00.000' WHERE name = 'outbox' AND holder = ?",
        [holder],
      ),
    );
  }
}

function fromRow(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    customerId: row.customer_id,
    sequence: Number(row.sequence),
    eventId: row.event_id,
    action: row.action,
    payload: row.payload,
    status: row.status,
    attempts: Number(row.attempts),
    responseStatus: row.response_status === null ? null : Number(row.response_status),
    lastError: row.last_error,
    tmCreate: fromSqlDatetime(row.tm_create),
    tmNextAttempt: fromSqlDatetimeOrNull(row.tm_next_attempt),
    tmDelivered: fromSqlDatetimeOrNull(row.tm_delivered),
  };
}
