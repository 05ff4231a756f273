import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Secret, TOTP } from 'otpauth';
import { AUDIT_ACTIONS, chainHash, UNKNOWN_CUSTOMER } from '../src/audit/audit-event.js';
import { AuditRetention } from '../src/audit/audit-retention.js';
import { AuditRepository } from '../src/audit/audit.repository.js';
import { AuditEvents1796300000000 } from '../src/database/migrations/1796300000000-AuditEvents.js';
import { Customer, Permission } from '../src/customers/customer.entity.js';
import { hashAccessKeyToken } from '../src/accesskeys/access-key-token.js';
import { NewNetworkRecorder } from '../src/accesskeys/new-network.recorder.js';
import { FakeClock, login, signJwt, startApp, type TestApp } from './support/app.js';
import { METRICS_TOKEN } from './support/env.js';
import { auditEvents, auditText, chainHolds } from './support/audit.js';
import { DATABASES } from './support/databases.js';
import { insertCustomer, PASSWORD, truncate } from './support/factories.js';

const AGENT = 'audit-spec/1.0';
const SUPER = Permission.ProjectSuperAdmin | Permission.CustomerAdmin;

/** A JWT for a customer made in the database, without the login event a login would add. */
const jwtOf = (customer: Customer) => `Bearer ${signJwt({ gen: 0 }, { subject: customer.id })}`;

describe.each(DATABASES)('the audit log on $name', (database) => {
  // One app at a time: Passport's strategies are process-wide, each app's replacing the last's.
  describe('of one app', () => {
    let t: TestApp;
    let alice: Customer;
    let root: Customer;

    beforeAll(async () => {
      t = await startApp(await database.prepare('audit'));
    });
    afterAll(() => t.close());
    beforeEach(async () => {
      // Networks an earlier test's keys were used from are written now, not into this test's log.
      await t.app.get(NewNetworkRecorder).flush();
      await truncate(t.ds);
      alice = await insertCustomer(t.ds, { username: 'alice' });
      root = await insertCustomer(t.ds, { username: 'root', permission: SUPER });
    });

    const send = (req: request.Test, requestId: string) =>
      req.set('user-agent', AGENT).set('x-request-id', requestId);

    it('records each login, on the customer’s chain, with where it came from and no password', async () => {
      await send(request(t.http).post('/auth/login'), 'req-ok')
        .send({ username: 'Alice', password: PASSWORD })
        .expect(200);
      await send(request(t.http).post('/auth/login'), 'req-bad')
        .send({ username: 'alice', password: 'wrong-password-1' })
        .expect(401);

      const events = await auditEvents(t.ds, alice.id);
      expect(events.map((e) => e.action)).toEqual(['login.succeeded', 'login.failed']);
      expect(events[0]).toMatchObject({
        target: `customer:${alice.id}`,
        actor: { customerId: alice.id, via: 'password' },
        origin: { ip: expect.stringMatching(/127\.0\.0\.1/), userAgent: AGENT, requestId: 'req-ok' },
        data: expect.stringMatching(/^\{"session":"[0-9a-f-]{36}"\}$/),
      });
      expect(events[1]).toMatchObject({
        actor: { customerId: null, via: 'password' },
        origin: { requestId: 'req-bad' },
        data: '{"reason":"wrong_password"}',
      });
      expect(chainHolds(events)).toBe(true);
      const text = await auditText(t.ds);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('wrong-password-1');
    });

    it('records a failed login for an unknown username on the chain of unknown usernames, without the username', async () => {
      await request(t.http)
        .post('/auth/login')
        .send({ username: 'nobody-here', password: PASSWORD })
        .expect(401);
      const events = await auditEvents(t.ds, UNKNOWN_CUSTOMER);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'login.failed',
        target: '',
        actor: { customerId: null, via: 'password' },
        data: '{"reason":"unknown_username"}',
      });
      expect(await auditText(t.ds)).not.toContain('nobody-here');
    });

    it('records every change to a key, by JWT and by key, and never its secret or its hash', async () => {
      const jwt = jwtOf(alice);
      const created = await send(request(t.http).post('/v1.0/accesskeys'), 'req-create')
        .set('authorization', jwt)
        .send({ name: 'ci', scopes: ['accesskeys:write'] })
        .expect(200);
      const key = created.body as { id: string; token: string; token_prefix: string };
      const byKey = `Bearer ${key.token}`;
      await request(t.http)
        .put(`/v1.0/accesskeys/${key.id}`)
        .set('authorization', byKey)
        .send({ name: 'ci-2' })
        .expect(200);
      const rolled = await request(t.http)
        .post(`/v1.0/accesskeys/${key.id}/roll`)
        .set('authorization', jwt)
        .send({ grace: 0 })
        .expect(200);
      const newToken = (rolled.body as { token: string }).token;
      await request(t.http).delete(`/v1.0/accesskeys/${key.id}`).set('authorization', jwt).expect(200);

      const events = await auditEvents(t.ds, alice.id);
      expect(events.map((e) => e.action)).toEqual([
        'accesskey.created',
        'accesskey.updated',
        'accesskey.rolled',
        'accesskey.deleted',
      ]);
      for (const event of events) expect(event.target).toBe(`accesskey:${key.id}`);
      expect(events[0]).toMatchObject({
        actor: { customerId: alice.id, via: 'jwt' },
        origin: { requestId: 'req-create', userAgent: AGENT },
      });
      expect(JSON.parse(events[0].data)).toMatchObject({
        name: 'ci',
        token_prefix: key.token_prefix,
        scopes: ['accesskeys:write'],
      });
      expect(events[1].actor).toEqual({
        customerId: alice.id,
        via: 'accesskey',
        keyId: key.id,
        keyPrefix: key.token_prefix,
      });
      expect(JSON.parse(events[1].data)).toEqual({ fields: ['name'] });
      expect(JSON.parse(events[2].data)).toEqual({ token_prefix: newToken.slice(0, 11), grace: 0 });
      expect(chainHolds(events)).toBe(true);
      const text = await auditText(t.ds);
      for (const secret of [
        key.token,
        newToken,
        hashAccessKeyToken(key.token),
        hashAccessKeyToken(newToken),
      ]) {
        expect(text).not.toContain(secret);
      }
    });

    it('records every change to a customer on its chain, with the super admin who made it', async () => {
      const admin = jwtOf(root);
      const made = await request(t.http)
        .post('/v1.0/customers')
        .set('authorization', admin)
        .send({ username: 'carol', password: 'carols-first-pw' })
        .expect(200);
      const carol = (made.body as { id: string }).id;
      await request(t.http)
        .put(`/v1.0/customers/${carol}`)
        .set('authorization', admin)
        .send({ name: 'Carol', permission: Permission.CustomerManager, password: 'carols-second-pw' })
        .expect(200);
      const carolJwt = `Bearer ${await login(t.http, 'carol', 'carols-second-pw')}`;
      await request(t.http)
        .put('/v1.0/customer')
        .set('authorization', carolJwt)
        .send({ detail: 'd' })
        .expect(200);
      await request(t.http)
        .put('/v1.0/customer/password')
        .set('authorization', carolJwt)
        .send({ old_password: 'carols-second-pw', new_password: 'carols-third-pw' })
        .expect(200);
      await request(t.http).delete(`/v1.0/customers/${carol}`).set('authorization', admin).expect(200);

      const events = await auditEvents(t.ds, carol);
      expect(events.map((e) => [e.action, e.actor.customerId, e.data])).toEqual([
        [
          'customer.created',
          root.id,
          JSON.stringify({ permission: Permission.CustomerAdmin, username: 'carol' }),
        ],
        [
          'customer.updated',
          root.id,
          JSON.stringify({ fields: ['name', 'permission'], permission: Permission.CustomerManager }),
        ],
        ['password.reset', root.id, '{}'],
        ['login.succeeded', carol, expect.stringMatching(/^\{"session":/)],
        ['customer.updated', carol, JSON.stringify({ fields: ['detail'] })],
        ['password.changed', carol, '{}'],
        ['customer.deleted', root.id, '{}'],
      ]);
      for (const event of events) expect(event.target).toBe(`customer:${carol}`);
      expect(chainHolds(events)).toBe(true);
      // The super admin's own chain has none of them.
      expect(await auditEvents(t.ds, root.id)).toEqual([]);
      const text = await auditText(t.ds);
      for (const secret of ['carols-first-pw', 'carols-second-pw', 'carols-third-pw', '$argon2']) {
        expect(text).not.toContain(secret);
      }
    });

    it('records nothing for a write that changed nothing, nor for reads', async () => {
      const jwt = jwtOf(alice);
      await request(t.http)
        .put(`/v1.0/accesskeys/${randomUUID()}`)
        .set('authorization', jwt)
        .send({ name: 'x' })
        .expect(404);
      await request(t.http).delete(`/v1.0/accesskeys/${randomUUID()}`).set('authorization', jwt).expect(404);
      await request(t.http)
        .post('/v1.0/customers')
        .set('authorization', jwtOf(root))
        .send({ username: 'alice', password: 'another-password' })
        .expect(409);
      await request(t.http)
        .put('/v1.0/customer/password')
        .set('authorization', jwt)
        .send({ old_password: 'not-the-password', new_password: 'whatever-password' })
        .expect(400);
      await request(t.http).get('/v1.0/customer').set('authorization', jwt).expect(200);
      await request(t.http).get('/v1.0/accesskeys').set('authorization', jwt).expect(200);
      const { token, id } = (
        await request(t.http).post('/v1.0/accesskeys').set('authorization', jwt).send({}).expect(200)
      ).body as { token: string; id: string };
      // A body that names no field changes nothing, not even tm_update.
      const customerBefore = (await request(t.http).get('/v1.0/customer').set('authorization', jwt)).body;
      for (const req of [
        request(t.http).put(`/v1.0/accesskeys/${id}`).set('authorization', jwt),
        request(t.http).put('/v1.0/customer').set('authorization', jwt),
        request(t.http).put('/v1.0/customer/key-policy').set('authorization', jwt),
        request(t.http).put(`/v1.0/customers/${alice.id}`).set('authorization', jwtOf(root)),
      ]) {
        await req.send({}).expect(200);
      }
      const key = (await request(t.http).get(`/v1.0/accesskeys/${id}`).set('authorization', jwt)).body;
      expect(key.tm_update).toBeNull();
      const customer = (await request(t.http).get('/v1.0/customer').set('authorization', jwt)).body;
      expect(customer.tm_update).toBe(customerBefore.tm_update);
      await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`).expect(200);
      await request(t.http).get('/v1.0/accesskeys').set('authorization', `Bearer ${token}`).expect(200);
      // The key's first use is from a network it has not been used from: that event alone, written
      // behind the requests (flushed here rather than whenever the recorder's timer fires).
      await t.app.get(NewNetworkRecorder).flush();
      expect((await auditEvents(t.ds, alice.id)).map((e) => e.action)).toEqual([
        'accesskey.created',
        'accesskey.used_from_new_network',
      ]);
      expect(await t.ds.query('SELECT id FROM audit_events')).toHaveLength(2);
    });

    it('counts the events written, by action', async () => {
      const count = async (action: string) => {
        const text = (
          await request(t.http).get('/metrics').set('authorization', `Bearer ${METRICS_TOKEN}`).expect(200)
        ).text;
        return Number(
          new RegExp(`^audit_events_total\\{action="${action.replace('.', '\\.')}"\\} (\\d+)$`, 'm').exec(
            text,
          )?.[1] ?? 0,
        );
      };
      const [created, failed, updated] = [
        await count('accesskey.created'),
        await count('login.failed'),
        await count('accesskey.updated'),
      ];
      await request(t.http).post('/v1.0/accesskeys').set('authorization', jwtOf(alice)).send({}).expect(200);
      await request(t.http).post('/v1.0/accesskeys').set('authorization', jwtOf(alice)).send({}).expect(200);
      await request(t.http)
        .post('/auth/login')
        .send({ username: 'alice', password: 'wrong-password-1' })
        .expect(401);
      await request(t.http)
        .put(`/v1.0/accesskeys/${randomUUID()}`)
        .set('authorization', jwtOf(alice))
        .send({ name: 'x' })
        .expect(404);
      expect(await count('accesskey.created')).toBe(created + 2);
      expect(await count('login.failed')).toBe(failed + 1);
      expect(await count('accesskey.updated')).toBe(updated);
    });

    it('never forks a chain under concurrent writers, a new chain included', async () => {
      const jwt = jwtOf(alice);
      const bobs = await insertCustomer(t.ds, { username: 'bob' });
      await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          request(t.http)
            .post('/v1.0/accesskeys')
            .set('authorization', i % 2 === 0 ? jwt : jwtOf(bobs))
            .send({ name: `k${i}` })
            .expect(200),
        ),
      );
      for (const customer of [alice, bobs]) {
        const events = await auditEvents(t.ds, customer.id);
        expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
        expect(chainHolds(events)).toBe(true);
      }
    });

    it('appends concurrent events of one chain one after the other, straight through the repository', async () => {
      const audit = t.app.get(AuditRepository);
      const origin = { ip: '192.0.2.1', userAgent: '', requestId: '' };
      await Promise.all(
        Array.from({ length: 40 }, () =>
          audit.record({
            customerId: alice.id,
            action: 'login.failed',
            target: `customer:${alice.id}`,
            actor: { customerId: null, via: 'password' },
            origin,
          }),
        ),
      );
      const events = await auditEvents(t.ds, alice.id);
      expect(events).toHaveLength(40);
      expect(chainHolds(events)).toBe(true);
    });
  });

  describe('read and verified', () => {
    let t: TestApp;
    let alice: Customer;
    let root: Customer;
    let key: { id: string; token: string };

    beforeAll(async () => {
      t = await startApp(await database.prepare('audit_read'));
    });
    afterAll(() => t.close());
    beforeEach(async () => {
      // Networks an earlier test's keys were used from are written now, not into this test's log.
      await t.app.get(NewNetworkRecorder).flush();
      await truncate(t.ds);
      alice = await insertCustomer(t.ds, { username: 'alice' });
      root = await insertCustomer(t.ds, { username: 'root', permission: SUPER });
      const jwt = jwtOf(alice);
      key = (
        await request(t.http)
          .post('/v1.0/accesskeys')
          .set('authorization', jwt)
          .send({ name: 'a' })
          .expect(200)
      ).body as { id: string; token: string };
      await request(t.http)
        .put(`/v1.0/accesskeys/${key.id}`)
        .set('authorization', `Bearer ${key.token}`)
        .send({ name: 'b' })
        .expect(200);
      await request(t.http)
        .put('/v1.0/customer')
        .set('authorization', jwt)
        .send({ name: 'Alice' })
        .expect(200);
    });

    const list = (auth: string, query = '') =>
      request(t.http).get(`/v1.0/audit${query}`).set('authorization', auth);
    const actions = (body: unknown) => (body as { result: { action: string }[] }).result.map((e) => e.action);

    it('lists the caller’s customer’s events newest first, as stored', async () => {
      const res = await list(jwtOf(alice)).expect(200);
      expect(actions(res.body)).toEqual(['customer.updated', 'accesskey.updated', 'accesskey.created']);
      const [latest] = (res.body as { result: Record<string, unknown>[] }).result;
      expect(latest).toEqual({
        id: expect.any(String),
        customer_id: alice.id,
        sequence: 3,
        tm_create: expect.stringMatching(/Z$/),
        actor: { customer_id: alice.id, via: 'jwt' },
        action: 'customer.updated',
        target: `customer:${alice.id}`,
        client_ip: expect.any(String),
        user_agent: expect.any(String),
        request_id: expect.any(String),
        data: { fields: ['name'] },
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      // Reading writes nothing.
      expect(await auditEvents(t.ds, alice.id)).toHaveLength(3);
    });

    it('filters by action, actor, target and time, and pages by cursor', async () => {
      const jwt = jwtOf(alice);
      expect(actions((await list(jwt, '?action=accesskey.created').expect(200)).body)).toEqual([
        'accesskey.created',
      ]);
      expect(actions((await list(jwt, `?actor=${key.id}`).expect(200)).body)).toEqual(['accesskey.updated']);
      expect(actions((await list(jwt, `?target=accesskey:${key.id}`).expect(200)).body)).toEqual([
        'accesskey.updated',
        'accesskey.created',
      ]);
      const events = await auditEvents(t.ds, alice.id);
      const second = events[1].tmCreate.toISOString();
      expect(actions((await list(jwt, `?since=${second}`).expect(200)).body)).toHaveLength(
        events.filter((e) => e.tmCreate >= events[1].tmCreate).length,
      );
      expect(
        actions((await list(jwt, `?until=${events[0].tmCreate.toISOString()}`).expect(200)).body),
      ).toEqual([]);
      const first = (await list(jwt, '?page_size=2').expect(200)).body as {
        result: unknown[];
        next_page_token: string;
      };
      expect(first.result).toHaveLength(2);
      const next = await list(jwt, `?page_size=2&page_token=${first.next_page_token}`).expect(200);
      expect(actions(next.body)).toEqual(['accesskey.created']);
    });

    it('refuses what the caller may not read, and bad filters', async () => {
      await request(t.http).get('/v1.0/audit').expect(401);
      const manager = await insertCustomer(t.ds, {
        username: 'manager',
        permission: Permission.CustomerManager,
      });
      await list(jwtOf(manager)).expect(403);
      const narrow = (
        await request(t.http)
          .post('/v1.0/accesskeys')
          .set('authorization', jwtOf(alice))
          .send({ scopes: ['accesskeys:read'] })
          .expect(200)
      ).body as { token: string };
      await list(`Bearer ${narrow.token}`).expect(403);
      await list(`Bearer ${key.token}`).expect(200);
      const other = await list(jwtOf(alice), `?customer_id=${root.id}`).expect(403);
      expect((other.body as { error: { status: string } }).error.status).toBe('PERMISSION_DENIED');
      await request(t.http)
        .get(`/v1.0/audit/verify?customer_id=${root.id}`)
        .set('authorization', jwtOf(alice))
        .expect(403);
      for (const query of [
        '?action=accesskey.stolen',
        '?actor=nobody',
        '?since=yesterday',
        '?customer_id=x',
        '?target=nope',
        `?target=key:${alice.id}`,
        '?target=accesskey:not-an-id',
      ]) {
        const res = await list(jwtOf(alice), query).expect(400);
        expect((res.body as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');
      }
    });

    it('lets a super admin read and verify any customer’s log', async () => {
      const res = await list(jwtOf(root), `?customer_id=${alice.id}`).expect(200);
      expect(actions(res.body)).toHaveLength(3);
      expect((await list(jwtOf(root)).expect(200)).body).toEqual({ result: [], next_page_token: '' });
      const verified = await request(t.http)
        .get(`/v1.0/audit/verify?customer_id=${alice.id}`)
        .set('authorization', jwtOf(root))
        .expect(200);
      expect(verified.body).toEqual({ valid: true, events: 3 });

      // The chain of unknown usernames too.
      await request(t.http).post('/auth/login').send({ username: 'nobody', password: PASSWORD }).expect(401);
      const unknown = await list(jwtOf(root), `?customer_id=${UNKNOWN_CUSTOMER}`).expect(200);
      expect(actions(unknown.body)).toEqual(['login.failed']);
      const proved = await request(t.http)
        .get(`/v1.0/audit/verify?customer_id=${UNKNOWN_CUSTOMER}`)
        .set('authorization', jwtOf(root))
        .expect(200);
      expect(proved.body).toEqual({ valid: true, events: 1 });
    });

    const verify = async () =>
      (await request(t.http).get('/v1.0/audit/verify').set('authorization', jwtOf(alice)).expect(200))
        .body as unknown;

    it('proves an unedited chain, and names the first sequence of an edited one', async () => {
      await expect(verify()).resolves.toEqual({ valid: true, events: 3 });
      await t.ds.query(
        `UPDATE audit_events SET data = '{"fields":["detail"]}' WHERE customer_id = ? AND sequence = 2`,
        [alice.id],
      );
      await expect(verify()).resolves.toEqual({ valid: false, events: 3, sequence: 2 });
    });

    it('names an edited event even when its own hash was made to match', async () => {
      const [, second] = await auditEvents(t.ds, alice.id);
      await t.ds.query('UPDATE audit_events SET client_ip = ? WHERE id = ?', ['198.51.100.1', second.id]);
      const edited = { ...second, origin: { ...second.origin, ip: '198.51.100.1' } };
      const [first] = await auditEvents(t.ds, alice.id);
      await t.ds.query('UPDATE audit_events SET hash = ? WHERE id = ?', [
        chainHash(first.hash, edited),
        second.id,
      ]);
      await expect(verify()).resolves.toEqual({ valid: false, events: 3, sequence: 3 });
    });

    it('names a missing event, the last one included', async () => {
      await t.ds.query('DELETE FROM audit_events WHERE customer_id = ? AND sequence = 3', [alice.id]);
      await expect(verify()).resolves.toEqual({ valid: false, events: 3, sequence: 3 });
      await t.ds.query('DELETE FROM audit_events WHERE customer_id = ? AND sequence = 1', [alice.id]);
      await expect(verify()).resolves.toEqual({ valid: false, events: 3, sequence: 1 });
    });
  });

  describe('pruned after AUDIT_RETENTION_DAYS', () => {
    let t: TestApp;
    const clock = new FakeClock();
    let alice: Customer;

    beforeAll(async () => {
      t = await startApp(await database.prepare('audit_prune'), {}, clock);
    });
    afterAll(() => t.close());
    beforeEach(async () => {
      // Networks an earlier test's keys were used from are written now, not into this test's log.
      await t.app.get(NewNetworkRecorder).flush();
      await truncate(t.ds);
      alice = await insertCustomer(t.ds, { username: 'alice' });
    });

    const append = (n: number) =>
      Promise.all(
        Array.from({ length: n }, () =>
          t.app.get(AuditRepository).record({
            customerId: alice.id,
            action: 'login.failed',
            target: `customer:${alice.id}`,
            actor: { customerId: null, via: 'password' },
            origin: { ip: '192.0.2.1', userAgent: '', requestId: '' },
          }),
        ),
      );
    const prune = () => t.app.get(AuditRetention).prune();
    const verify = async () =>
      (await request(t.http).get('/v1.0/audit/verify').set('authorization', jwtOf(alice)).expect(200))
        .body as unknown;

    it('deletes events past the retention, and verification goes on from the signed checkpoint', async () => {
      await append(3);
      clock.advance(399 * 86400);
      await expect(prune()).resolves.toBe(0);
      clock.advance(2 * 86400);
      await append(2);
      await expect(prune()).resolves.toBe(3);
      expect((await auditEvents(t.ds, alice.id)).map((e) => e.sequence)).toEqual([4, 5]);
      await expect(verify()).resolves.toEqual({ valid: true, events: 5, pruned_through: 3 });
      const listed = await request(t.http).get('/v1.0/audit').set('authorization', jwtOf(alice)).expect(200);
      expect((listed.body as { result: unknown[] }).result).toHaveLength(2);
      await append(1);
      await expect(verify()).resolves.toEqual({ valid: true, events: 6, pruned_through: 3 });
      clock.advance(401 * 86400);
      await expect(prune()).resolves.toBe(3);
      await expect(verify()).resolves.toEqual({ valid: true, events: 6, pruned_through: 6 });
      await append(1);
      await expect(verify()).resolves.toEqual({ valid: true, events: 7, pruned_through: 6 });
    });

    it('names the checkpoint when it was edited, and the first event after it when that was', async () => {
      await append(3);
      clock.advance(401 * 86400);
      await append(2);
      await prune();
      const [checkpoint] = (await t.ds.query('SELECT hash, signature FROM audit_checkpoints')) as {
        hash: string;
        signature: string;
      }[];
      await t.ds.query('UPDATE audit_checkpoints SET hash = ?', ['0'.repeat(64)]);
      await expect(verify()).resolves.toEqual({ valid: false, events: 5, sequence: 3 });
      await t.ds.query('UPDATE audit_checkpoints SET hash = ?, signature = ?', [checkpoint.hash, 'forged']);
      await expect(verify()).resolves.toEqual({ valid: false, events: 5, sequence: 3 });
      await t.ds.query('UPDATE audit_checkpoints SET signature = ?', [checkpoint.signature]);
      await expect(verify()).resolves.toEqual({ valid: true, events: 5, pruned_through: 3 });
      await t.ds.query("UPDATE audit_events SET target = 'customer:someone-else' WHERE sequence = 4");
      await expect(verify()).resolves.toEqual({ valid: false, events: 5, sequence: 4, pruned_through: 3 });
    });
  });

  describe('through every action of a customer', () => {
    const clock = new FakeClock();
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp(await database.prepare('audit_every'), {}, clock);
    });
    afterAll(() => t.close());

    it('records each action once, by its actor, and no event holds a secret', async () => {
      const root = await insertCustomer(t.ds, { username: 'root', permission: SUPER });
      const admin = jwtOf(root);
      const passwords = ['alices-first-pw-1', 'alices-second-pw-2', 'alices-third-pw-3', 'wrong-password-9'];
      const made = await request(t.http)
        .post('/v1.0/customers')
        .set('authorization', admin)
        .send({ username: 'alice', password: passwords[0] })
        .expect(200);
      const alice = (made.body as { id: string }).id;
      await request(t.http)
        .put(`/v1.0/customers/${alice}`)
        .set('authorization', admin)
        .send({ password: passwords[1] })
        .expect(200);
      const loginAs = (body: object) =>
        request(t.http)
          .post('/auth/login')
          .send({ username: 'alice', ...body });
      await loginAs({ password: passwords[3] }).expect(401);
      const first = (await loginAs({ password: passwords[1] }).expect(200)).body as { token: string };
      const jwt = `Bearer ${first.token}`;
      await request(t.http).put('/v1.0/customer').set('authorization', jwt).send({ detail: 'd' }).expect(200);

      const key = (
        await request(t.http)
          .post('/v1.0/accesskeys')
          .set('authorization', jwt)
          .send({ name: 'ci', scopes: ['accesskeys:write'] })
          .expect(200)
      ).body as { id: string; token: string };
      await request(t.http)
        .put(`/v1.0/accesskeys/${key.id}`)
        .set('authorization', `Bearer ${key.token}`)
        .send({ name: 'ci-2' })
        .expect(200);
      const rolled = (
        await request(t.http)
          .post(`/v1.0/accesskeys/${key.id}/roll`)
          .set('authorization', jwt)
          .send({ grace: 0 })
          .expect(200)
      ).body as { token: string };
      await request(t.http).delete(`/v1.0/accesskeys/${key.id}`).set('authorization', jwt).expect(200);

      const webhookSecret = (
        await request(t.http).post('/v1.0/customer/webhook-secret').set('authorization', jwt).expect(200)
      ).body as { secret: string };
      await request(t.http)
        .put('/v1.0/customer/key-policy')
        .set('authorization', jwt)
        .send({ leak_action: 'revoke' })
        .expect(200);

      const totp = (await request(t.http).post('/v1.0/customer/totp').set('authorization', jwt).expect(200))
        .body as { secret: string };
      const codeNow = () =>
        new TOTP({
          secret: Secret.fromBase32(totp.secret),
          algorithm: 'SHA1',
          digits: 6,
          period: 30,
        }).generate({
          timestamp: clock.now().getTime(),
        });
      const confirmed = (
        await request(t.http)
          .post('/v1.0/customer/totp/confirm')
          .set('authorization', jwt)
          .send({ otp: codeNow() })
          .expect(200)
      ).body as { recovery_codes: string[] };
      clock.advance(30);
      const second = (await loginAs({ password: passwords[1], otp: confirmed.recovery_codes[0] }).expect(200))
        .body as { token: string };
      const fresh = `Bearer ${second.token}`;
      await request(t.http)
        .post('/v1.0/customer/totp/disable')
        .set('authorization', fresh)
        .send({ otp: codeNow() })
        .expect(204);
      await request(t.http)
        .put('/v1.0/customer/password')
        .set('authorization', fresh)
        .send({ old_password: passwords[1], new_password: passwords[2] })
        .expect(200);
      const third = `Bearer ${((await loginAs({ password: passwords[2] }).expect(200)).body as { token: string }).token}`;
      const leaked = (
        await request(t.http).post('/v1.0/accesskeys').set('authorization', third).send({}).expect(200)
      ).body as { token: string };
      await request(t.http).post('/auth/logout').set('authorization', third).expect(204);
      await request(t.http)
        .post('/v1.0/credentials/revoke')
        .send({ credentials: [leaked.token] })
        .expect(202);
      const hash = (
        (await t.ds.query('SELECT password_hash FROM customers WHERE id = ?', [alice])) as {
          password_hash: string;
        }[]
      )[0].password_hash;
      await request(t.http).delete(`/v1.0/customers/${alice}`).set('authorization', admin).expect(200);

      const all = await auditEvents(t.ds, alice);
      expect(chainHolds(all)).toBe(true);
      // The key's first use may be recorded whenever the new-network recorder's timer fires.
      const events = all.filter((e) => e.action !== 'accesskey.used_from_new_network');
      expect(events.map((e) => [e.action, e.actor.customerId, e.actor.via])).toEqual([
        ['customer.created', root.id, 'jwt'],
        ['password.reset', root.id, 'jwt'],
        ['login.failed', null, 'password'],
        ['login.succeeded', alice, 'password'],
        ['customer.updated', alice, 'jwt'],
        ['accesskey.created', alice, 'jwt'],
        ['accesskey.updated', alice, 'accesskey'],
        ['accesskey.rolled', alice, 'jwt'],
        ['accesskey.deleted', alice, 'jwt'],
        ['webhook.secret_rolled', alice, 'jwt'],
        ['key_policy.updated', alice, 'jwt'],
        ['totp.enabled', alice, 'jwt'],
        ['recovery_code.used', alice, 'password'],
        ['login.succeeded', alice, 'password'],
        ['totp.disabled', alice, 'jwt'],
        ['password.changed', alice, 'jwt'],
        ['login.succeeded', alice, 'password'],
        ['accesskey.created', alice, 'jwt'],
        ['session.ended', alice, 'jwt'],
        ['accesskey.leaked', null, 'anonymous'],
        ['customer.deleted', root.id, 'jwt'],
      ]);
      // Every action but those of the sweeper, the new-network recorder, the throttle and the
      // webhook test, each of which its own spec drives.
      const elsewhere = [
        'accesskey.expiring',
        'accesskey.expired',
        'accesskey.disabled',
        'accesskey.enabled',
        'accesskey.used_from_new_network',
        'login.throttled',
        'webhook.test',
      ];
      expect(new Set(events.map((e) => e.action))).toEqual(
        new Set(AUDIT_ACTIONS.filter((action) => !elsewhere.includes(action))),
      );

      const text = await auditText(t.ds);
      const secrets = [
        ...passwords,
        hash,
        '$argon2',
        ...[key.token, rolled.token, leaked.token].flatMap((token) => [token, hashAccessKeyToken(token)]),
        webhookSecret.secret,
        webhookSecret.secret.slice('whsec_'.length),
        totp.secret,
        ...confirmed.recovery_codes,
        ...[first.token, second.token, third.slice('Bearer '.length)].flatMap((token) => [
          token,
          token.split('.')[2],
        ]),
      ];
      expect(text).toContain(key.token.slice(0, 11)); // the prefix is recorded: the scan reads the data
      for (const secret of secrets) expect(text).not.toContain(secret);
    });
  });

  describe('with a strict login limit', () => {
    it('records a throttled login once, when the wait begins, not for the refusals that follow', async () => {
      const strict = await startApp(await database.prepare('audit_throttle'), {
        LOGIN_LIMIT_PER_USERNAME_IP: '2',
      });
      try {
        const bob = await insertCustomer(strict.ds, { username: 'bob' });
        const attempt = () =>
          request(strict.http).post('/auth/login').send({ username: 'bob', password: 'not-his-1' });
        for (let i = 0; i < 2; i++) await attempt().expect(401);
        for (let i = 0; i < 3; i++) await attempt().expect(429);
        const events = await auditEvents(strict.ds, bob.id);
        expect(events.map((e) => e.action)).toEqual(['login.failed', 'login.failed', 'login.throttled']);
        expect(events[2]).toMatchObject({
          target: `customer:${bob.id}`,
          actor: { customerId: null, via: 'password' },
          origin: { ip: expect.stringMatching(/127\.0\.0\.1/) },
          data: '{}',
        });
        expect(chainHolds(events)).toBe(true);
        expect(await auditText(strict.ds)).not.toContain('not-his-1');
      } finally {
        await strict.close();
      }
    });
  });

  describe('at first start', () => {
    it('keeps the first super admin’s creation by the service itself, at first start', async () => {
      const fresh = await startApp(await database.prepare('audit_seed'));
      try {
        const [admin] = (await fresh.ds.query("SELECT id FROM customers WHERE username = 'admin'")) as {
          id: string;
        }[];
        const events = await auditEvents(fresh.ds, admin.id);
        expect(events.map((e) => [e.action, e.actor])).toEqual([
          ['customer.created', { customerId: null, via: 'system' }],
        ]);
      } finally {
        await fresh.close();
      }
    });

    it('runs its migration again after a run that made only the first table, keeping the events', async () => {
      const fresh = await startApp(await database.prepare('audit_migration'));
      try {
        const before = await fresh.ds.query('SELECT id FROM audit_events');
        expect(before).toHaveLength(1);
        // MySQL commits each CREATE TABLE at once: a run cut short leaves one table made and the
        // migration unrecorded.
        await fresh.ds.query('DROP TABLE audit_chains');
        await fresh.ds.query('DELETE FROM migrations WHERE name = ?', [new AuditEvents1796300000000().name]);
        const ran = await fresh.ds.runMigrations({ transaction: 'all' });
        expect(ran.map((m) => m.name)).toEqual([new AuditEvents1796300000000().name]);
        await expect(fresh.ds.query('SELECT id FROM audit_events')).resolves.toEqual(before);
        await expect(fresh.ds.query('SELECT customer_id FROM audit_chains')).resolves.toEqual([]);
      } finally {
        await fresh.close();
      }
    });
  });
});
