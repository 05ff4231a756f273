import type { DataSource } from 'typeorm';
import { chainHash, type AuditEvent } from '../../src/audit/audit-event.js';
import { fromSqlDatetime } from '../../src/common/sql-time.js';

interface EventRow {
  id: string;
  customer_id: string;
  sequence: number | string;
  tm_create: Date | string;
  actor_customer_id: string | null;
  actor_via: string;
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

/** A customer's events as stored, in chain order. */
export async function auditEvents(ds: DataSource, customerId: string): Promise<AuditEvent[]> {
  const rows: EventRow[] = await ds.query(
    'SELECT * FROM audit_events WHERE customer_id = ? ORDER BY sequence',
    [customerId],
  );
  return rows.map((row) => ({
    id: row.id,
    customerId: row.customer_id,
    sequence: Number(row.sequence),
    tmCreate: fromSqlDatetime(row.tm_create),
    actor: {
      customerId: row.actor_customer_id,
      via: row.actor_via as AuditEvent['actor']['via'],
      ...(row.actor_key_id !== null && { keyId: row.actor_key_id }),
      ...(row.actor_key_prefix !== null && { keyPrefix: row.actor_key_prefix }),
    },
    action: row.action,
    target: row.target,
    origin: { ip: row.client_ip, userAgent: row.user_agent, requestId: row.request_id },
    data: row.data,
    hash: row.hash,
  }));
}

/** Every table row of the audit log, as text: for looking for secrets in it. */
export async function auditText(ds: DataSource): Promise<string> {
  return JSON.stringify(await ds.query('SELECT * FROM audit_events'));
}

/** Whether `events` are one unbroken chain: sequences 1, 2, 3... each hash over the one before. */
export function chainHolds(events: AuditEvent[]): boolean {
  let previous = '';
  return events.every((event, i) => {
    const holds = event.sequence === i + 1 && event.hash === chainHash(previous, event);
    previous = event.hash;
    return holds;
  });
}
