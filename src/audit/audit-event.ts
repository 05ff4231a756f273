import { createHash } from 'node:crypto';
import type { Principal } from '../common/principal.js';

/** Every action the audit log records. */
export const AUDIT_ACTIONS = [
  'login.succeeded',
  'login.failed',
  'login.throttled',
  'accesskey.created',
  'accesskey.updated',
  'accesskey.rolled',
  'accesskey.deleted',
  'accesskey.leaked',
  'accesskey.expiring',
  'accesskey.expired',
  'accesskey.disabled',
  'accesskey.enabled',
  'accesskey.used_from_new_network',
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'password.changed',
  'password.reset',
  'session.ended',
  'webhook.secret_rolled',
  'webhook.test',
  'key_policy.updated',
  'totp.enabled',
  'totp.disabled',
  'recovery_code.used',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * Who did it: a customer by a login JWT or an access key (its id and the prefix of the secret it
 * presented), someone giving a password at login (`customerId` null unless it succeeds), the
 * `admin` command, the service itself (the first super admin, made at first start), or anyone
 * holding a leaked key (`anonymous`, POST /v1.0/credentials/revoke).
 */
export interface Actor {
  customerId: string | null;
  via: 'jwt' | 'accesskey' | 'password' | 'cli' | 'system' | 'anonymous';
  keyId?: string;
  keyPrefix?: string;
}

/** Where a request came from, as the audit log records it ('' when there was no request). */
export interface Origin {
  ip: string;
  userAgent: string;
  requestId: string;
}

export const NO_ORIGIN: Origin = { ip: '', userAgent: '', requestId: '' };

/** Who acts and from where: what a write records of its caller. */
export interface AuditContext {
  actor: Actor;
  origin: Origin;
}

/**
 * The chain of the failed and throttled logins for usernames no live customer has: there is no
 * customer's chain to append them to. Only super admins read it (`customer_id` of the nil UUID).
 */
export const UNKNOWN_CUSTOMER = '00000000-0000-0000-0000-000000000000';

/** The most of a User-Agent header kept (the column's length). */
export const USER_AGENT_LENGTH = 512;

/** Small values only: never a secret, a hash or a password. */
export type AuditData = Record<string, string | number | boolean | null | string[]>;

/** An event to append to `customerId`'s chain, with the change it records. */
export interface AuditRecord {
  customerId: string;
  action: AuditAction;
  /** What it acted on: `accesskey:<id>` or `customer:<id>`. */
  target: string;
  actor: Actor;
  origin: Origin;
  data?: AuditData;
}

/** A stored event: the record as appended, with its place in the chain. */
export interface AuditEvent {
  id: string;
  customerId: string;
  sequence: number;
  tmCreate: Date;
  actor: Actor;
  action: string;
  target: string;
  origin: Origin;
  /** Canonical JSON text (keys sorted), as hashed. */
  data: string;
  hash: string;
}

export function actorOf(principal: Principal): Actor {
  if (principal.via === 'jwt') return { customerId: principal.customerId, via: 'jwt' };
  return {
    customerId: principal.customerId,
    via: 'accesskey',
    keyId: principal.accessKeyId,
    keyPrefix: principal.accessKeyPrefix,
  };
}

/** JSON with object keys sorted, so that the same data always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * `SHA-256(previous hash ‖ canonical event)`, hex; the first event of a chain follows ''. The
 * canonical event is a JSON array of every stored field but the hash, in a fixed order.
 */
export function chainHash(previousHash: string, event: Omit<AuditEvent, 'hash'>): string {
  const canonical = JSON.stringify([
    event.id,
    event.customerId,
    event.sequence,
    event.tmCreate.toISOString(),
    event.actor.customerId,
    event.actor.via,
    event.actor.keyId ?? null,
    event.actor.keyPrefix ?? null,
    event.action,
    event.target,
    event.origin.ip,
    event.origin.userAgent,
    event.origin.requestId,
    event.data,
  ]);
  return createHash('sha256').update(previousHash).update(canonical).digest('hex');
}
