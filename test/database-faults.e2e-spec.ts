import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Permission } from '../src/customers/customer.entity.js';
import { login, startApp, startAppThroughRelay, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD, truncate } from './support/factories.js';
import type { Relay } from './support/relay.js';

/** The service's deadline for a statement, and for a wait for a connection (src/database). */
const DEADLINE_MS = 5000;
/** What a request may take past the deadline on a loaded machine: the answer itself, and scheduling. */
const SLACK_MS = 1500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// SQLite has no link to lose; what it has is a file another process may hold locked (the admin
// command, a second instance) for longer than the service waits.
describe('a database file another process holds locked, on sqlite', () => {
  let t: TestApp;
  let other: DataSource;
  const folder = mkdtempSync(join(tmpdir(), 'voipbin-locked-'));

  beforeAll(async () => {
    const file = join(folder, 'db.sqlite');
    t = await startApp(`sqlite:${file}`);
    other = await new DataSource({ type: 'better-sqlite3', database: file }).initialize();
  });
  afterAll(async () => {
    await other.destroy();
    await t.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('answers a write that cannot get the lock in time 503, never applies it, and goes on once the lock is released', async () => {
    const owner = await insertCustomer(t.ds, { username: 'owner', permission: Permission.CustomerAdmin });
    const auth = `Bearer ${await login(t.http, 'owner', PASSWORD)}`;
    const { key } = await insertAccessKey(t.ds, owner.id);
    const holder = other.createQueryRunner();
    await holder.query('BEGIN IMMEDIATE');
    try {
      const res = await request(t.http)
        .put(`/v1.0/accesskeys/${key.id}`)
        .set('authorization', auth)
        .send({ name: 'lost' });
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ reason: 'DATABASE_UNAVAILABLE' });
    } finally {
      await holder.query('ROLLBACK');
      await holder.release();
    }
    const kept = await request(t.http)
      .put(`/v1.0/accesskeys/${key.id}`)
      .set('authorization', auth)
      .send({ name: 'kept' });
    expect([kept.status, kept.body.name]).toEqual([200, 'kept']);
    const [row] = await other.query<{ name: string }[]>('SELECT name FROM access_keys WHERE id = ?', [
      key.id,
    ]);
    expect(row.name).toBe('kept');
  }, 20_000);
});

// Through a TCP relay the test black-holes: MySQL/MariaDB only (SQLite has no link to lose).
for (const database of DATABASES.filter((d) => d.name === 'mysql')) {
  describe(`a database link that goes silent, on ${database.name}`, () => {
    let t: TestApp;
    let relay: Relay;
    let direct: mysql.Connection;
    let auth: string;

    beforeAll(async () => {
      const databaseUrl = await database.prepare('faults');
      direct = await mysql.createConnection({ uri: databaseUrl });
      // Authentication answered from the cache: what meets the black hole is the request's own write.
      const behindRelay = await startAppThroughRelay(databaseUrl, { AUTH_CACHE_TTL: '300' });
      ({ relay } = behindRelay);
      t = behindRelay;
      await truncate(t.ds);
      await insertCustomer(t.ds, { username: 'root', permission: Permission.ProjectSuperAdmin });
      auth = `Bearer ${await login(t.http, 'root', PASSWORD)}`;
    });
    afterAll(async () => {
      await t.close();
      await direct.end();
    });

    /** Enough requests at once that the pool holds every connection it may open. */
    const fillPool = async () => {
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => request(t.http).get('/v1.0/accesskeys').set('authorization', auth)),
      );
      expect(answers.map((res) => res.status)).toEqual(Array(12).fill(200));
    };

    /** The database's own view, not through the relay. */
    const stored = async (ids: string[]) => {
      const [rows] = await direct.query<mysql.RowDataPacket[]>(
        'SELECT id, name FROM access_keys WHERE id IN (?)',
        [ids],
      );
      return Object.fromEntries(rows.map((row) => [row.id as string, row.name as string]));
    };
    const named = async (pattern: string) => {
      const [rows] = await direct.query<mysql.RowDataPacket[]>(
        'SELECT name FROM access_keys WHERE name LIKE ?',
        [pattern],
      );
      return rows.map((row) => row.name as string);
    };

    it('never applies a write it answered 503, not even when the held statement reaches the database after the link heals', async () => {
      const owner = await insertCustomer(t.ds, { username: 'owner', permission: Permission.CustomerAdmin });
      const ownerAuth = `Bearer ${await login(t.http, 'owner', PASSWORD)}`;
      const keys = await Promise.all(Array.from({ length: 5 }, () => insertAccessKey(t.ds, owner.id)));
      const ids = keys.map(({ key }) => key.id);

      for (let round = 0; round < 4; round++) {
        await fillPool();
        relay.stall();
        try {
          await writeThroughTheHole(round);
        } finally {
          relay.heal();
        }
        await sleep(500);

        expect(await stored(ids)).toEqual(Object.fromEntries(ids.map((id) => [id, `kept-${round}`])));
        expect(await named(`lost-create-${round}-%`)).toEqual([]);
      }

      async function writeThroughTheHole(round: number) {
        const timedOut = await Promise.all([
          ...ids.map((id) =>
            request(t.http)
              .put(`/v1.0/accesskeys/${id}`)
              .set('authorization', ownerAuth)
              .send({ name: `lost-${round}` }),
          ),
          ...Array.from({ length: 4 }, (_, i) =>
            request(t.http)
              .post('/v1.0/accesskeys')
              .set('authorization', ownerAuth)
              .send({ name: `lost-create-${round}-${i}` }),
          ),
        ]);
        for (const res of timedOut) {
          expect(res.status).toBe(503);
          expect(res.body.error).toMatchObject({ reason: 'DATABASE_UNAVAILABLE' });
        }

        // New connections work again before the held ones deliver what they hold.
        relay.reopen();
        for (const id of ids) {
          const res = await request(t.http)
            .put(`/v1.0/accesskeys/${id}`)
            .set('authorization', ownerAuth)
            .send({ name: `kept-${round}` })
            .timeout(DEADLINE_MS + SLACK_MS);
          expect(res.status).toBe(200);
          expect(res.body.name).toBe(`kept-${round}`);
        }
      }
    }, 90_000);

    it('answers every request within the deadline all through a long black hole, the first wave and the later ones', async () => {
      await fillPool();
      relay.stall();
      const started = Date.now();
      const wave = () =>
        Promise.all(
          // More requests than the pool has connections: some wait for one.
          Array.from({ length: 15 }, async () => {
            const sent = Date.now();
            const res = await request(t.http)
              .get('/v1.0/accesskeys')
              .set('authorization', auth)
              .timeout(4 * DEADLINE_MS)
              .catch((error: Error) => ({ status: error.message, body: {} }));
            return { status: res.status, ms: Date.now() - sent };
          }),
        );
      const waves = [];
      for (const at of [0, 7000, 14_000]) {
        await sleep(at - (Date.now() - started));
        waves.push(wave());
      }
      const answered = await Promise.all(waves).finally(() => relay.restore());
      for (const answers of answered) {
        for (const answer of answers) {
          expect(answer.status).toBe(503);
          expect(answer.ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
        }
      }

      let res = await request(t.http).get('/v1.0/accesskeys').set('authorization', auth);
      for (let i = 0; i < 40 && res.status !== 200; i++) {
        await sleep(250);
        res = await request(t.http).get('/v1.0/accesskeys').set('authorization', auth);
      }
      expect(res.status).toBe(200);
    }, 60_000);

    it('tells a commit cut off from any other fault: it may have been applied, so it is not DATABASE_UNAVAILABLE', async () => {
      const owner = await insertCustomer(t.ds, {
        username: 'committer',
        permission: Permission.CustomerAdmin,
      });
      const ownerAuth = `Bearer ${await login(t.http, 'committer', PASSWORD)}`;
      const { key } = await insertAccessKey(t.ds, owner.id);
      relay.stallAt('COMMIT');
      let res: request.Response;
      try {
        res = await request(t.http)
          .put(`/v1.0/accesskeys/${key.id}`)
          .set('authorization', ownerAuth)
          .send({ name: 'perhaps' })
          .timeout(DEADLINE_MS + SLACK_MS);
      } finally {
        relay.heal();
      }
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ status: 'UNAVAILABLE', reason: 'COMMIT_OUTCOME_UNKNOWN' });
      // The held COMMIT reached the database once the link healed, after the service had given up.
      await sleep(500);
      expect(await stored([key.id])).toEqual({ [key.id]: 'perhaps' });
    });
  });
}
