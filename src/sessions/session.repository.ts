import { Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { newestFirst, pageOf, type Page, type PageRequest } from '../common/pagination.js';
import { replicaRead } from '../common/replica-read.js';
import { ReadThroughCache } from '../common/read-through-cache.js';
import { fromSqlDatetime, fromSqlDatetimeOrNull, sqlDatetime } from '../common/sql-time.js';
import { transaction } from '../common/transaction.js';
import { preparedRead, type PreparedRead } from '../common/prepared.js';
import type { AuditContext, AuditRecord } from '../audit/audit-event.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { Revocations } from '../redis/revocations.js';
import {
  OWN_PROFILE_COLUMNS,
  OWN_PROFILE_PARAMS,
  ownProfileOf,
  type OwnProfile,
  type OwnProfileRow,
} from '../customers/customer.repository.js';
import { Session } from './session.entity.js';

/** As many as the keys: one per person logged in, about 200 bytes each. */
const CACHED_SESSIONS = 10_000;
/** `tm_last_seen` is written at most once a minute per session. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

const LIVE = `SELECT id, customer_id, client_ip, user_agent, tm_create, tm_last_seen, tm_expire, tm_end
  FROM sessions WHERE customer_id = ? AND tm_end IS NULL AND tm_expire > ?`;

/**
 * The one statement a JWT costs a request that misses the cache: the live session and its live
 * customer together (the customer's profile too, which GET /v1.0/customer answers), by their
 * primary keys, prepared on the driver (common/prepared.ts).
 */
const JWT_CREDENTIAL = `SELECT s.id, s.customer_id, s.tm_last_seen, c.username, c.permission, ${OWN_PROFILE_COLUMNS}
  FROM sessions s INNER JOIN customers c ON c.id = s.customer_id
  WHERE s.id = ? AND s.tm_end IS NULL AND c.tm_delete IS NULL`;

/** What authentication needs of a live session and of its live customer. */
export interface SessionCredential {
  id: string;
  customerId: string;
  tmLastSeen: Date;
  username: string;
  permission: number;
  /** The customer's profile as GET /v1.0/customer answers it (dropped with the session on a `customer` revocation). */
  profile: OwnProfile;
}

interface SessionCredentialRow extends OwnProfileRow {
  id: string;
  customer_id: string;
  tm_last_seen: Date | string;
  username: string;
  permission: number | string;
}

interface SessionRow {
  id: string;
  customer_id: string;
  client_ip: string;
  user_agent: string;
  tm_create: Date | string;
  tm_last_seen: Date | string;
  tm_expire: Date | string;
  tm_end: Date | string | null;
}

/**
 * Every query of sessions. The session behind a JWT is asked for on every request the JWT makes:
 * it is kept in a cache (AUTH_CACHE_TTL) that ending it revokes, on this instance and, through
 * Revocations, on the others; a customer's revocation (a password change, a deletion) drops its
 * sessions too.
 */
@Injectable()
export class SessionRepository {
  private readonly logger = new Logger('Sessions');
  private readonly cache: ReadThroughCache<SessionCredential>;
  private readonly findCredentialRow: PreparedRead<SessionCredentialRow>;
  /** The last use this instance wrote of each session, so that a use within the minute writes nothing. */
  private readonly seenAt = new LRUCache<string, number>({ max: CACHED_SESSIONS });

  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    private readonly revocations: Revocations,
    private readonly audit: AuditRepository,
  ) {
    this.findCredentialRow = preparedRead(sessions.manager.dataSource, JWT_CREDENTIAL);
    this.cache = revocations.cache(CACHED_SESSIONS, (revoked, cache) => {
      if (revoked.kind === 'session') cache.delete(revoked.id);
      else if (revoked.kind === 'customer') cache.deleteWhere((s) => s.customerId === revoked.id);
    });
  }

  /** A new session, and the event of the login that made it, in one transaction. */
  insert(session: Session, event: AuditRecord): Promise<void> {
    return transaction(
      this.sessions.manager.dataSource,
      async (m) => {
        await m.insert(Session, session);
        await this.audit.append(m, event);
      },
      'READ COMMITTED',
    );
  }

  /** The session with this id while it has not ended, with its customer while that lives. */
  findCredential(id: string): SessionCredential | Promise<SessionCredential | null> {
    return this.cache.get(id, async () => {
      const [row] = await this.findCredentialRow([...OWN_PROFILE_PARAMS, id]);
      return row === undefined
        ? null
        : {
            id: row.id,
            customerId: row.customer_id,
            tmLastSeen: fromSqlDatetime(row.tm_last_seen),
            username: row.username,
            permission: Number(row.permission),
            profile: ownProfileOf(row),
          };
    });
  }

  /**
   * Records a use of the session at `at`, behind the request and at most once a minute; never moves
   * `tm_last_seen` back. A write that fails is only logged: the next use a minute on tries again.
   */
  seen(session: Pick<SessionCredential, 'id' | 'tmLastSeen'>, at: Date): void {
    const last = Math.max(this.seenAt.get(session.id) ?? 0, session.tmLastSeen.getTime());
    if (at.getTime() - last < LAST_SEEN_RESOLUTION_MS) return;
    this.seenAt.set(session.id, at.getTime());
    const time = sqlDatetime(at);
    // In a transaction of its own: on SQLite's one connection a bare statement would run inside
    // whichever transaction another request has open.
    transaction(this.sessions.manager.dataSource, (m) =>
      m.query('UPDATE sessions SET tm_last_seen = ? WHERE id = ? AND tm_last_seen < ?', [
        time,
        session.id,
        time,
      ]),
    ).catch((error: Error) => this.logger.warn(`could not record a session's last use: ${error.message}`));
  }

  /** A customer's sessions that still work at `now`, newest first. */
  async list(customerId: string, now: Date, page: PageRequest): Promise<Page<Session>> {
    const rows: SessionRow[] = await replicaRead(
      this.sessions.manager.dataSource,
      ...newestFirst(LIVE, [customerId, sqlDatetime(now)], page),
    );
    return pageOf(rows.map(fromRow));
  }

  /** Ends one of a customer's live sessions: the session as ended, or null if it has none by this id. */
  async end(customerId: string, id: string, at: Date, event: AuditRecord): Promise<Session | null> {
    const ended = await transaction(
      this.sessions.manager.dataSource,
      async (m) => {
        const { affected } = await m.update(Session, { id, customerId, tmEnd: IsNull() }, { tmEnd: at });
        if (!affected) return null;
        await this.audit.append(m, event);
        return m.findOneByOrFail(Session, { id });
      },
      'READ COMMITTED',
    );
    if (ended !== null) await this.revocations.publish({ kind: 'session', id });
    return ended;
  }

  /**
   * Ends every live session of a customer but `keep` (none: all of them); how many it ended. The
   * event, with that count, is recorded when it ended any.
   */
  async endAll(customerId: string, keep: string | null, at: Date, event: AuditRecord): Promise<number> {
    const ended = await transaction(
      this.sessions.manager.dataSource,
      async (m) => {
        const query = m
          .createQueryBuilder()
          .update(Session)
          .set({ tmEnd: at })
          .where('customer_id = :customerId AND tm_end IS NULL', { customerId });
        if (keep !== null) query.andWhere('id <> :keep', { keep });
        const affected = (await query.execute()).affected ?? 0;
        if (affected > 0) await this.audit.append(m, { ...event, data: { ...event.data, ended: affected } });
        return affected;
      },
      'READ COMMITTED',
    );
    if (ended > 0) await this.revocations.publish({ kind: 'customer', id: customerId });
    return ended;
  }
}

/** The event of sessions ended: one (`session:<id>`), or every other of the customer's (`customer:<id>`). */
export function sessionsEnded(
  customerId: string,
  session: string | null,
  by: AuditContext,
  reason: 'logout' | 'ended' | 'others_ended',
): AuditRecord {
  const target = session === null ? `customer:${customerId}` : `session:${session}`;
  return { customerId, action: 'session.ended', target, ...by, data: { reason } };
}

function fromRow(row: SessionRow): Session {
  return Object.assign(new Session(), {
    id: row.id,
    customerId: row.customer_id,
    clientIp: row.client_ip,
    userAgent: row.user_agent,
    tmCreate: fromSqlDatetime(row.tm_create),
    tmLastSeen: fromSqlDatetime(row.tm_last_seen),
    tmExpire: fromSqlDatetime(row.tm_expire),
    tmEnd: fromSqlDatetimeOrNull(row.tm_end),
  });
}
