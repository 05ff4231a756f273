import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository, type EntityManager, type QueryDeepPartialEntity } from 'typeorm';
import { newestFirst, pageOf, type Page, type PageRequest } from '../common/pagination.js';
import { replicaRead } from '../common/replica-read.js';
import { ReadThroughCache } from '../common/read-through-cache.js';
import { fromSqlDatetime, fromSqlDatetimeOrNull, sqlDatetime } from '../common/sql-time.js';
import { isUniqueViolation } from '../common/database-errors.js';
import type { AuditRecord } from '../audit/audit-event.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { preparedRead, type PreparedRead } from '../common/prepared.js';
import { transaction } from '../common/transaction.js';
import { Revocations } from '../redis/revocations.js';
import { Customer, type CustomerContact, type CustomerProfile, type OwnProfile } from './customer.entity.js';

export type { CustomerContact, CustomerProfile, OwnProfile };

/**
 * A change to a live customer; a new password hash also starts a new token generation and ends
 * the customer's sessions, but `keepSession` (the one that changed it).
 */
export type CustomerChanges = Partial<
  Pick<Customer, 'name' | 'detail' | 'permission' | 'passwordHash'> & CustomerContact
> & {
  tmUpdate: Date;
};

/** Customers are fewer than keys, and larger (a `detail` may hold 4 KiB). */
const CACHED_CUSTOMERS = 5_000;

/**
 * The condition of a write that may remove a super admin: the row it changes (`:id`) is no super
 * admin, or another live one remains. The count is in a derived table, which MySQL materialises
 * before the update (it refuses a subquery on the table being updated otherwise).
 */
const ANOTHER_SUPER_ADMIN_REMAINS = `((permission & 1) = 0 OR (SELECT n FROM (SELECT COUNT(*) AS n
  FROM customers WHERE id <> :id AND tm_delete IS NULL AND (permission & 1) <> 0) AS others) > 0)`;

/** Every live super admin, locked until the end of the transaction (MySQL/MariaDB). */
const LOCK_SUPER_ADMINS =
  'SELECT id FROM customers WHERE tm_delete IS NULL AND (permission & 1) <> 0 FOR UPDATE';

/** What a write to a live customer did: the customer as it left it, or why nothing was written. */
export type WriteResult = CustomerProfile | 'not-found' | 'password-changed' | 'last-super-admin';

const PROFILES = `SELECT id, username, name, detail, email, phone_number, address, webhook_method, webhook_uri,
    permission, tm_create, tm_update, tm_delete
  FROM customers WHERE tm_delete IS NULL`;

/** The columns a profile is made of (ProfileRow). */
const PROFILE_COLUMNS = [
  'id',
  'username',
  'name',
  'detail',
  'email',
  'phone_number',
  'address',
  'webhook_method',
  'webhook_uri',
  'permission',
  'tm_create',
  'tm_update',
  'tm_delete',
] as const;

/**
 * The columns of an OwnProfile of the customer aliased `c`, named `c_<column>` so that they do not
 * clash with a joined table's, and whether it has an enabled second factor (`c_totp`). Its one
 * parameter, first of the statement's, is 1 (ownProfileParams). The credential lookups select it
 * too (access-key.repository.ts, session.repository.ts): a request authenticated by a key or a
 * session gets what GET /v1.0/customer answers with the same statement.
 */
export const OWN_PROFILE_COLUMNS = [
  ...PROFILE_COLUMNS.map((column) => `c.${column} AS c_${column}`),
  '(SELECT COUNT(*) FROM totp_credentials t WHERE t.customer_id = c.id AND t.enabled = ?) AS c_totp',
].join(', ');

/** The parameters OWN_PROFILE_COLUMNS takes, before the statement's own. */
export const OWN_PROFILE_PARAMS = [1] as const;

/** A row of OWN_PROFILE_COLUMNS. */
export type OwnProfileRow = { [K in (typeof PROFILE_COLUMNS)[number] as `c_${K}`]: ProfileRow[K] } & {
  c_totp: number | string;
};

/** The profile an OwnProfileRow holds. */
export function ownProfileOf(row: OwnProfileRow): OwnProfile {
  const profile = Object.fromEntries(PROFILE_COLUMNS.map((column) => [column, row[`c_${column}`]]));
  return { ...fromProfileRow(profile as unknown as ProfileRow), totpEnabled: Number(row.c_totp) > 0 };
}

/**
 * The caller's own customer and whether it has an enabled second factor, in one statement prepared
 * on the driver (common/prepared.ts): GET /v1.0/customer asks it when the credential did not bring
 * it (Principal.profile).
 */
const OWN_PROFILE = `SELECT ${OWN_PROFILE_COLUMNS} FROM customers c WHERE c.id = ? AND c.tm_delete IS NULL`;

interface ProfileRow {
  id: string;
  username: string;
  name: string;
  detail: string;
  email: string;
  phone_number: string;
  address: string;
  webhook_method: string;
  webhook_uri: string;
  permission: number | string;
  tm_create: Date | string;
  tm_update: Date | string | null;
  tm_delete: Date | string | null;
}

/**
 * Every query of customers. The live customer behind a credential is asked for on every
 * authenticated request: it is kept in a cache (AUTH_CACHE_TTL) that every write here revokes, on
 * this instance and, through Revocations, on the others.
 */
@Injectable()
export class CustomerRepository {
  private readonly cache: ReadThroughCache<Customer>;
  private readonly ownProfile: PreparedRead<OwnProfileRow>;
  /** The profiles GET /v1.0/customer answers; a TOTP change revokes the customer too (totp.repository.ts). */
  private readonly ownProfiles: ReadThroughCache<OwnProfile>;

  constructor(
    @InjectRepository(Customer) private readonly customers: Repository<Customer>,
    private readonly revocations: Revocations,
    private readonly audit: AuditRepository,
  ) {
    this.cache = revocations.cache(CACHED_CUSTOMERS, (revoked, cache) => {
      if (revoked.kind === 'customer') cache.delete(revoked.id);
    });
    this.ownProfile = preparedRead(customers.manager.dataSource, OWN_PROFILE);
    this.ownProfiles = revocations.cache(CACHED_CUSTOMERS, (revoked, cache) => {
      if (revoked.kind === 'customer') cache.delete(revoked.id);
    });
  }

  /** The live customer's profile, and whether its second factor is enabled. */
  findOwnProfile(id: string): OwnProfile | Promise<OwnProfile | null> {
    return this.ownProfiles.get(id, async () => {
      const [row] = await this.ownProfile([...OWN_PROFILE_PARAMS, id]);
      return row === undefined ? null : ownProfileOf(row);
    });
  }

  /** The live customer with this id, without its password hash. */
  findLive(id: string): Customer | Promise<Customer | null> {
    return this.cache.get(id, () => this.customers.findOneBy({ id, tmDelete: IsNull() }));
  }

  /** The live customer with this id or (lower-case) username, with its password hash: the one query that reads it. */
  findWithPasswordHash(by: { id: string } | { username: string }): Promise<Customer | null> {
    const [column, value] = 'id' in by ? ['id', by.id] : ['username', by.username];
    return this.customers
      .createQueryBuilder('c')
      .addSelect('c.passwordHash')
      .where(`c.${column} = :value AND c.tm_delete IS NULL`, { value })
      .getOne();
  }

  async list(page: PageRequest): Promise<Page<CustomerProfile>> {
    const rows: ProfileRow[] = await replicaRead(
      this.customers.manager.dataSource,
      ...newestFirst(PROFILES, [], page),
    );
    return pageOf(rows.map(fromProfileRow));
  }

  /** Inserts a customer and the event that records it; false when a live customer already has this username. */
  async insert(customer: Customer, event: AuditRecord): Promise<boolean> {
    try {
      await transaction(
        this.customers.manager.dataSource,
        async (m) => {
          await m.insert(Customer, customer);
          await this.audit.append(m, event);
        },
        'READ COMMITTED',
      );
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /**
   * The customer as this change left it, or why nothing was written: no live customer has this id,
   * its password hash is no longer `ifPasswordHash` (changed meanwhile), or the change would remove
   * the last live super admin (a permission without the super-admin bit applies only while another
   * remains). Each write here appends its `events` with its change, and only when it changed the
   * customer.
   */
  update(
    id: string,
    changes: CustomerChanges,
    events: AuditRecord[],
    ifPasswordHash?: string,
    keepSession: string | null = null,
  ): Promise<WriteResult> {
    const password = changes.passwordHash !== undefined;
    return this.change(id, {
      events,
      // A new password starts a new token generation: every earlier JWT is refused from now on,
      // but the session's that changed it.
      set: password ? { ...changes, tokenGeneration: () => 'token_generation + 1' } : changes,
      ifPasswordHash,
      mayRemoveSuperAdmin: changes.permission !== undefined && (changes.permission & 1) === 0,
      ...(password && { endSessions: { at: changes.tmUpdate, keep: keepSession } }),
    });
  }

  /**
   * Soft delete: the customer as deleted, or why not; the last live super admin is never deleted.
   * Its keys are deleted and its sessions ended in the same transaction: no foreign key ties them to
   * the customer (a sharded engine need not enforce one, docs/scaling.md), so no live key or session
   * is left to a deleted customer.
   */
  softDelete(id: string, at: Date, event: AuditRecord): Promise<WriteResult> {
    // `live: null` frees the username for a new customer (see the unique index).
    return this.change(id, {
      set: { tmDelete: at, tmUpdate: at, live: null },
      mayRemoveSuperAdmin: true,
      events: [event],
      endSessions: { at, keep: null },
      deleteKeys: at,
    });
  }

  /** Whether the database holds any customer at all, deleted ones included. */
  any(): Promise<boolean> {
    return this.customers.exists();
  }

  /**
   * Changes a live customer and reads it back in the same transaction, so the answer is this
   * change's. A write that may remove a super admin has a condition (ANOTHER_SUPER_ADMIN_REMAINS)
   * that must see every other such write that commits before it: two super admins removing each
   * other at the same moment must not both see the other one remain. SQLite runs one write at a
   * time. On MySQL/MariaDB the condition's subquery reads without waiting for a concurrent write, so
   * the live super admins are locked first: a second such write waits for the first to commit, then
   * reads what it wrote (READ COMMITTED: each statement reads the latest commits, which appending to
   * the audit log needs too).
   */
  private async change(
    id: string,
    write: {
      set: QueryDeepPartialEntity<Customer>;
      ifPasswordHash?: string;
      mayRemoveSuperAdmin: boolean;
      events: AuditRecord[];
      endSessions?: { at: Date; keep: string | null };
      deleteKeys?: Date;
    },
  ): Promise<WriteResult> {
    const dataSource = this.customers.manager.dataSource;
    const locks = write.mayRemoveSuperAdmin && dataSource.options.type !== 'better-sqlite3';
    const changed = await transaction(
      dataSource,
      async (m) => {
        if (locks) await m.query(LOCK_SUPER_ADMINS);
        const query = m
          .createQueryBuilder(Customer, 'c')
          .update()
          .set(write.set)
          .where('id = :id AND tm_delete IS NULL', { id });
        if (write.ifPasswordHash !== undefined) {
          query.andWhere('password_hash = :hash', { hash: write.ifPasswordHash });
        }
        if (write.mayRemoveSuperAdmin) query.andWhere(ANOTHER_SUPER_ADMIN_REMAINS);
        const { affected } = await query.execute();
        if (!affected) return null;
        if (write.endSessions) await endSessions(m, id, write.endSessions);
        if (write.deleteKeys) await deleteKeys(m, id, write.deleteKeys);
        await this.audit.append(m, ...write.events);
        return m.findOneByOrFail(Customer, { id });
      },
      'READ COMMITTED',
    );
    if (changed !== null) {
      await this.revocations.publish({ kind: 'customer', id });
      return changed;
    }
    if (!(await this.customers.existsBy({ id, tmDelete: IsNull() }))) return 'not-found';
    return write.ifPasswordHash !== undefined ? 'password-changed' : 'last-super-admin';
  }
}

/** Ends a customer's live sessions but `keep`, in the transaction of the password change that does it. */
async function endSessions(
  m: EntityManager,
  customerId: string,
  { at, keep }: { at: Date; keep: string | null },
): Promise<void> {
  await m.query(
    `UPDATE sessions SET tm_end = ? WHERE customer_id = ? AND tm_end IS NULL${keep === null ? '' : ' AND id <> ?'}`,
    [sqlDatetime(at), customerId, ...(keep === null ? [] : [keep])],
  );
}

/** Deletes a customer's live keys, in the transaction that deletes the customer. */
async function deleteKeys(m: EntityManager, customerId: string, at: Date): Promise<void> {
  await m.query(
    'UPDATE access_keys SET tm_delete = ?, tm_update = ? WHERE customer_id = ? AND tm_delete IS NULL',
    [sqlDatetime(at), sqlDatetime(at), customerId],
  );
}

function fromProfileRow(row: ProfileRow): CustomerProfile {
  return {
    id: row.id,
    username: row.username,
    name: row.name,
    detail: row.detail,
    email: row.email,
    phoneNumber: row.phone_number,
    address: row.address,
    webhookMethod: row.webhook_method,
    webhookUri: row.webhook_uri,
    permission: Number(row.permission),
    tmCreate: fromSqlDatetime(row.tm_create),
    tmUpdate: fromSqlDatetimeOrNull(row.tm_update),
    tmDelete: fromSqlDatetimeOrNull(row.tm_delete),
  };
}
