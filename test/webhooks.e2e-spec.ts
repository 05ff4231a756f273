import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { AuditRepository } from '../src/audit/audit.repository.js';
import { NO_ORIGIN } from '../src/audit/audit-event.js';
import { Customer } from '../src/customers/customer.entity.js';
import { sqlDatetime } from '../src/common/sql-time.js';
import { RedisConnection } from '../src/redis/redis.connection.js';
import { WebhookWorker } from '../src/webhooks/webhook-worker.js';
import { FakeClock, signJwt, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { METRICS_TOKEN } from './support/env.js';
import { insertCustomer, truncate } from './support/factories.js';
import { until } from './support/instances.js';

const jwtOf = (customer: Customer) => `Bearer ${signJwt({ gen: 0 }, { subject: customer.id })}`;

interface Received {
  id: string;
  customer: string;
  type: string;
  data: { id: string; sequence: number; action: string; customer_id: string };
}

/**
 * A webhook endpoint on loopback: it checks every signature with the customer's secret (as of the
 * service's clock, which the spec moves) and keeps each webhook-id once, counting repeats.
 */
class Receiver {
  readonly accepted: Received[] = [];
  readonly seen = new Map<string, number>();
  badSignatures = 0;
  answer = 200;
  /** While set, each request is counted but its answer waits for `release`. */
  hold = false;
  readonly held: (() => void)[] = [];
  readonly secrets = new Map<string, string>();
  private readonly server: Server;

  constructor(private readonly clock: FakeClock) {
    this.server = createServer((req, res) => {
      void this.take(req).then((status) => res.writeHead(status).end('receiver says no'));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  uri(customer: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook/${customer}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async take(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const customer = (req.url ?? '').split('/').at(-1) ?? '';
    if (this.answer !== 200) return this.answer;
    const realNow = Date.now;
    Date.now = () => this.clock.now().getTime();
    let payload: { type: string; data: Received['data'] };
    try {
      payload = new Webhook(this.secrets.get(customer) ?? 'whsec_AAAA').verify(
        body,
        req.headers as Record<string, string>,
      ) as typeof payload;
    } catch {
      this.badSignatures++;
      return 400;
    } finally {
      Date.now = realNow;
    }
    const id = req.headers['webhook-id'] as string;
    this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
    if (this.seen.get(id) === 1) this.accepted.push({ id, customer, type: payload.type, data: payload.data });
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    return 204;
  }

  /** Answers every request held so far. */
  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  /** Whether no webhook-id came twice. */
  once(): boolean {
    return [...this.seen.values()].every((n) => n === 1);
  }
}

interface DeliveryBody {
  result: {
    id: string;
    event_id: string;
    action: string;
    status: string;
    attempts: number;
    response_status: number | null;
    last_error: string | null;
    tm_next_attempt: string | null;
    tm_delivered: string | null;
  }[];
}

async function deliveries(t: TestApp, customer: Customer, status?: string): Promise<DeliveryBody['result']> {
  const res = await request(t.http)
    .get('/v1.0/webhook-deliveries')
    .query(status === undefined ? {} : { status })
    .set('authorization', jwtOf(customer))
    .expect(200);
  return (res.body as DeliveryBody).result;
}

/** Gives the customer an endpoint and a secret; the receiver learns the secret. */
async function subscribe(t: TestApp, receiver: Receiver, customer: Customer): Promise<string> {
  await t.ds.query('UPDATE customers SET webhook_uri = ?, webhook_method = ? WHERE id = ?', [
    receiver.uri(customer.id),
    'POST',
    customer.id,
  ]);
  const res = await request(t.http)
    .post('/v1.0/customer/webhook-secret')
    .set('authorization', jwtOf(customer))
    .expect(200);
  const secret = (res.body as { secret: string }).secret;
  receiver.secrets.set(customer.id, secret);
  return secret;
}

const makeKey = (t: TestApp, customer: Customer, name: string) =>
  request(t.http).post('/v1.0/accesskeys').set('authorization', jwtOf(customer)).send({ name }).expect(200);

const actionsOf = async (t: TestApp, customer: Customer) =>
  (await t.ds.query('SELECT id, action FROM audit_events WHERE customer_id = ? ORDER BY sequence', [
    customer.id,
  ])) as { id: string; action: string }[];

/** A test event of the customer's. */
const testEvent = (customer: Customer) => ({
  customerId: customer.id,
  action: 'webhook.test' as const,
  target: `customer:${customer.id}`,
  actor: { customerId: customer.id, via: 'system' as const },
  origin: NO_ORIGIN,
});

/** `n` events of the customer, recorded by `t`'s audit log in one transaction. */
const burst = (t: TestApp, customer: Customer, n: number) =>
  t.app.get(AuditRepository).record(...Array.from({ length: n }, () => testEvent(customer)));

/** A database two apps can share: MariaDB's of `label`, or a SQLite file of its own. */
async function sharedDatabase(
  database: (typeof DATABASES)[number],
  label: string,
): Promise<{ url: string; remove(): void }> {
  if (database.name !== 'sqlite') return { url: await database.prepare(label), remove: () => undefined };
  const folder = mkdtempSync(join(tmpdir(), 'voipbin-webhooks-'));
  return {
    url: `sqlite:${join(folder, 'db.sqlite')}`,
    remove: () => rmSync(folder, { recursive: true, force: true }),
  };
}

const leaseRow = async (t: TestApp) =>
  ((await t.ds.query("SELECT holder FROM webhook_leases WHERE name = 'outbox'")) as { holder: string }[])[0];

describe.each(DATABASES)('webhooks on $name', (database) => {
  describe('of one app', () => {
    const clock = new FakeClock();
    let t: TestApp;
    let worker: WebhookWorker;
    let receiver: Receiver;
    let alice: Customer;
    let bob: Customer;

    beforeAll(async () => {
      t = await startApp(await database.prepare('webhooks'), {}, clock);
      worker = t.app.get(WebhookWorker);
    });
    afterAll(() => t.close());
    beforeEach(async () => {
      await truncate(t.ds);
      receiver = new Receiver(clock);
      await receiver.listen();
      alice = await insertCustomer(t.ds, { username: 'alice' });
      bob = await insertCustomer(t.ds, { username: 'bob' });
    });
    afterEach(() => receiver.close());

    it('delivers every event, signed, once, as GET /v1.0/audit shows it; the secret shows only once', async () => {
      const secret = await subscribe(t, receiver, alice);
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      await makeKey(t, alice, 'one');
      await makeKey(t, alice, 'two');
      const test = await request(t.http)
        .post('/v1.0/customer/webhook-test')
        .set('authorization', jwtOf(alice))
        .expect(202);
      await worker.tick();

      const events = await actionsOf(t, alice);
      expect(events.map((e) => e.action)).toEqual([
        'webhook.secret_rolled',
        'accesskey.created',
        'accesskey.created',
        'webhook.test',
      ]);
      expect(receiver.badSignatures).toBe(0);
      expect(receiver.accepted.map((r) => r.id)).toEqual(events.map((e) => e.id));
      expect(receiver.accepted.map((r) => r.type)).toEqual(events.map((e) => e.action));
      expect((test.body as { event_id: string }).event_id).toBe(events[3].id);
      expect([...receiver.seen.values()].every((n) => n === 1)).toBe(true);
      const audit = await request(t.http).get('/v1.0/audit').set('authorization', jwtOf(alice)).expect(200);
      const shown = (audit.body as { result: { id: string }[] }).result.find((e) => e.id === events[1].id);
      expect(receiver.accepted[1].data).toEqual(shown);

      const list = await deliveries(t, alice);
      expect(list).toHaveLength(4);
      for (const d of list) {
        expect(d).toMatchObject({ status: 'delivered', attempts: 1, response_status: 204, last_error: null });
        expect(d.tm_delivered).not.toBeNull();
      }
      const endpoint = await request(t.http)
        .get('/v1.0/customer/webhook')
        .set('authorization', jwtOf(alice))
        .expect(200);
      expect(endpoint.body).toEqual({
        webhook_uri: receiver.uri(alice.id),
        webhook_method: 'POST',
        secret_set: true,
      });
      const dump = JSON.stringify([
        await t.ds.query('SELECT * FROM webhook_secrets'),
        await t.ds.query('SELECT * FROM audit_events'),
        await t.ds.query('SELECT * FROM webhook_outbox'),
      ]);
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.slice('whsec_'.length));
      // Bob has no endpoint: nothing of his is queued.
      await makeKey(t, bob, 'bobs');
      expect(await deliveries(t, bob)).toEqual([]);
    });

    it('a receiver down for an hour gets every event afterwards, in order per customer', async () => {
      receiver.answer = 503;
      await subscribe(t, receiver, alice);
      await subscribe(t, receiver, bob);
      for (let i = 0; i < 3; i++) {
        await makeKey(t, alice, `a${i}`);
        await makeKey(t, bob, `b${i}`);
      }
      for (let minute = 0; minute < 60; minute += 5) {
        await worker.tick();
        clock.advance(300);
      }
      expect(receiver.accepted).toEqual([]);
      const waiting = await deliveries(t, alice, 'pending');
      expect(waiting).toHaveLength(4);
      // Only the first is tried: the others wait for it.
      const tried = waiting.filter((d) => d.attempts > 0);
      expect(tried).toHaveLength(1);
      expect(tried[0]).toMatchObject({ action: 'webhook.secret_rolled', response_status: 503 });
      expect(tried[0].attempts).toBeGreaterThan(5);
      expect(tried[0].last_error).toMatch(/^HTTP 503: receiver says no/);

      receiver.answer = 200;
      for (
        let i = 0;
        i < 10 &&
        (await deliveries(t, alice, 'pending')).length + (await deliveries(t, bob, 'pending')).length > 0;
        i++
      ) {
        clock.advance(600);
        await worker.tick();
      }
      for (const customer of [alice, bob]) {
        const got = receiver.accepted.filter((r) => r.customer === customer.id);
        expect(got.map((r) => r.id)).toEqual((await actionsOf(t, customer)).map((e) => e.id));
        expect(got.map((r) => r.data.sequence)).toEqual([1, 2, 3, 4]);
      }
      expect(receiver.badSignatures).toBe(0);
    });

    it('gives up after about a day: failed, in webhook-deliveries and the metrics', async () => {
      await subscribe(t, receiver, alice);
      await receiver.close();
      receiver = new Receiver(clock);
      await receiver.listen(); // closed again after the test; alice's endpoint is the dead port
      await makeKey(t, alice, 'one');
      let hours = 0;
      while ((await deliveries(t, alice, 'pending')).length > 0 && hours < 40) {
        await worker.tick();
        clock.advance(3600);
        hours++;
      }
      expect(hours).toBeGreaterThanOrEqual(23);
      expect(hours).toBeLessThan(30);
      const failed = await deliveries(t, alice, 'failed');
      expect(failed.map((d) => d.action).sort()).toEqual(['accesskey.created', 'webhook.secret_rolled']);
      // The first was retried all day; the second, waiting for it, was then out of time.
      const first = failed.find((d) => d.action === 'webhook.secret_rolled')!;
      expect(first.attempts).toBeGreaterThan(10);
      expect(first.last_error).toMatch(/ECONNREFUSED/);
      expect(first.tm_next_attempt).toBeNull();
      const metrics = await request(t.http).get('/metrics').set('authorization', `Bearer ${METRICS_TOKEN}`);
      expect(metrics.text).toMatch(/webhook_deliveries_total\{outcome="failed"\} [1-9]/);
      expect(metrics.text).toMatch(/webhook_deliveries_total\{outcome="retried"\} [1-9]/);
      expect(metrics.text).toMatch(/webhook_outbox_backlog 0/);
    });

    it('answers 409 to a test without an endpoint, and rolls the secret: the old one stops at once', async () => {
      await request(t.http).post('/v1.0/customer/webhook-test').set('authorization', jwtOf(bob)).expect(409);
      const old = await subscribe(t, receiver, alice);
      await worker.tick();
      // Rolled behind the receiver's back: it still checks with the old secret.
      await request(t.http)
        .post('/v1.0/customer/webhook-secret')
        .set('authorization', jwtOf(alice))
        .expect(200);
      expect(receiver.secrets.get(alice.id)).toBe(old);
      await worker.tick();
      expect(receiver.accepted).toHaveLength(1);
      expect(receiver.badSignatures).toBeGreaterThan(0);
    });
  });

  describe('with WEBHOOK_ALLOW_PRIVATE=false', () => {
    const clock = new FakeClock();
    let t: TestApp;
    let receiver: Receiver;

    beforeAll(async () => {
      t = await startApp(await database.prepare('webhooks_ssrf'), { WEBHOOK_ALLOW_PRIVATE: 'false' }, clock);
      receiver = new Receiver(clock);
      await receiver.listen();
    });
    afterAll(async () => {
      await receiver.close();
      await t.close();
    });

    it('refuses webhook_uri on internal addresses, when set and again at delivery', async () => {
      await truncate(t.ds);
      const alice = await insertCustomer(t.ds, { username: 'alice' });
      for (const uri of [
        'http://127.0.0.1/x',
        'http://localhost:8080/x',
        'http://[::1]/x',
        'http://[::ffff:127.0.0.1]/x',
        'http://[::ffff:10.1.2.3]/x',
        'http://10.0.0.5/x',
        'http://172.16.0.1/x',
        'http://192.168.1.1/x',
        'http://169.254.169.254/latest/meta-data',
        'http://100.64.0.1/x',
        'http://224.0.0.1/x',
        'http://0.0.0.0/x',
        'http://[fe80::1]/x',
        'http://[fc00::1]/x',
        'http://[::]/x',
      ]) {
        const res = await request(t.http)
          .put('/v1.0/customer')
          .set('authorization', jwtOf(alice))
          .send({ webhook_uri: uri })
          .expect(400);
        expect(res.body).toMatchObject({ error: { details: [{ field: 'webhook_uri' }] } });
      }

      // Stored behind the check's back (or a name that resolved elsewhere when set): refused again.
      await subscribe(t, receiver, alice);
      await t.app.get(WebhookWorker).tick();
      const [attempt] = await deliveries(t, alice);
      expect(attempt.last_error).toMatch(/address refused: 127\.0\.0\.1/);
      const byName = receiver.uri(alice.id).replace('127.0.0.1', 'localhost');
      await t.ds.query('UPDATE customers SET webhook_uri = ? WHERE id = ?', [byName, alice.id]);
      clock.advance(60);
      await t.app.get(WebhookWorker).tick();
      const [again] = await deliveries(t, alice);
      expect(again.attempts).toBe(2);
      expect(again.last_error).toMatch(/address refused: localhost resolves to/);

      // A public address is taken (and cleared at once: the spec sends nothing off this machine).
      await request(t.http)
        .put('/v1.0/customer')
        .set('authorization', jwtOf(alice))
        .send({ webhook_uri: 'http://93.184.216.34/hook' })
        .expect(200);
      await t.ds.query("UPDATE customers SET webhook_uri = '' WHERE id = ?", [alice.id]);
      expect(receiver.accepted).toEqual([]);
      expect(receiver.seen.size).toBe(0);
    });
  });

  it('two instances deliver each event once, and the second takes over when the first stops', async () => {
    const shared = await sharedDatabase(database, 'webhooks_two');
    const clock = new FakeClock();
    const receiver = new Receiver(clock);
    await receiver.listen();
    const a = await startApp(shared.url, {}, clock);
    let b: TestApp | undefined;
    try {
      const alice = await insertCustomer(a.ds, { username: 'alice' });
      await subscribe(a, receiver, alice);
      await burst(a, alice, 20);
      b = await startApp(shared.url, {}, clock);
      const [wa, wb] = [a.app.get(WebhookWorker), b.app.get(WebhookWorker)];
      for (let i = 0; i < 5; i++) await Promise.all([wa.tick(), wb.tick()]);
      expect(receiver.accepted).toHaveLength(21);
      expect(receiver.once()).toBe(true);

      await a.close();
      await burst(b, alice, 5);
      for (let i = 0; i < 3; i++) await wb.tick();
      expect(receiver.accepted).toHaveLength(26);
      expect(receiver.accepted.map((r) => r.data.sequence)).toEqual(
        Array.from({ length: 26 }, (_, i) => i + 1),
      );
      expect(receiver.once()).toBe(true);
    } finally {
      await a.close().catch(() => undefined);
      await b?.close();
      await receiver.close();
      shared.remove();
    }
  });

  it('a lease left by a crashed holder holds delivery back until it lapses, then is taken over', async () => {
    const shared = await sharedDatabase(database, 'webhooks_stale');
    const clock = new FakeClock();
    const receiver = new Receiver(clock);
    await receiver.listen();
    const t = await startApp(shared.url, {}, clock);
    try {
      const worker = t.app.get(WebhookWorker);
      const alice = await insertCustomer(t.ds, { username: 'alice' });
      await subscribe(t, receiver, alice);
      await burst(t, alice, 3);
      await worker.tick();
      expect(receiver.accepted).toHaveLength(4);

      // Another instance renewed the lease for 30 s, then died without letting it go.
      const crashed = (expire: Date) =>
        t.ds.query("UPDATE webhook_leases SET holder = 'crashed', tm_expire = ? WHERE name = 'outbox'", [
          sqlDatetime(expire),
        ]);
      await crashed(new Date(clock.now().getTime() + 30_000));
      await burst(t, alice, 3);
      clock.advance(29);
      await worker.tick();
      expect(receiver.accepted).toHaveLength(4);
      expect((await leaseRow(t)).holder).toBe('crashed');

      clock.advance(2);
      await worker.tick();
      expect(receiver.accepted).toHaveLength(7);
      expect((await leaseRow(t)).holder).not.toBe('crashed');

      // And one whose expiry is already past is taken at once.
      await crashed(new Date(clock.now().getTime() - 1000));
      await burst(t, alice, 2);
      await worker.tick();
      expect(receiver.accepted.map((r) => r.data.sequence)).toEqual(
        Array.from({ length: 9 }, (_, i) => i + 1),
      );
      expect(receiver.once()).toBe(true);
      expect(receiver.badSignatures).toBe(0);
    } finally {
      await t.close();
      await receiver.close();
      shared.remove();
    }
  });

  // Two instances and 25 customers' endpoints set up through the API: over 30 s on a loaded machine.
  it('a pass longer than the lease sends nothing the next holder sends again', async () => {
    const shared = await sharedDatabase(database, 'webhooks_long');
    const clock = new FakeClock();
    const receiver = new Receiver(clock);
    await receiver.listen();
    const a = await startApp(shared.url, {}, clock);
    const b = await startApp(shared.url, {}, clock);
    try {
      const workers = [a.app.get(WebhookWorker), b.app.get(WebhookWorker)];
      const tickBoth = () => Promise.all(workers.map((w) => w.tick()));
      // 25 customers: their events go out 8 at a time, in four waves.
      const customers: Customer[] = [];
      for (let i = 0; i < 25; i++) {
        const customer = await insertCustomer(a.ds, { username: `c${i}` });
        await subscribe(a, receiver, customer);
        customers.push(customer);
      }
      await tickBoth();
      expect(receiver.accepted).toHaveLength(25);

      receiver.hold = true;
      // In one transaction: a background pass between two of them would hold only the first few.
      await a.app.get(AuditRepository).record(...customers.map(testEvent));
      const pass = tickBoth();
      // Each wave's receiver takes 9 s to answer, within the 10 s timeout: the fourth starts 27 s
      // after the pass took the lease, and is still waiting 33 s after.
      for (const [wave, size] of [8, 8, 8, 1].entries()) {
        await until(`wave ${wave + 1} held`, () => Promise.resolve(receiver.held.length === size));
        clock.advance(wave < 3 ? 9 : 6);
        if (wave < 3) receiver.release();
      }
      receiver.hold = false;
      const other = tickBoth();
      await new Promise((resolve) => setTimeout(resolve, 300));
      receiver.release();
      await Promise.all([pass, other]);
      await tickBoth();

      expect(receiver.accepted).toHaveLength(50);
      expect(receiver.once()).toBe(true);
    } finally {
      receiver.release();
      await a.close();
      await b.close();
      await receiver.close();
      shared.remove();
    }
  }, 120_000);

  // The lease in Redis when REDIS_URL is set: the database's row is then left alone.
  for (const redisUrl of process.env.TEST_REDIS_URL ? [process.env.TEST_REDIS_URL] : []) {
    it('with REDIS_URL: two instances deliver each event once by a lease in Redis, taken over when its holder stops or lets it lapse', async () => {
      const shared = await sharedDatabase(database, 'webhooks_redis');
      const prefix = `voipbin-test-${randomUUID().slice(0, 8)}:`;
      const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix };
      const clock = new FakeClock();
      const receiver = new Receiver(clock);
      await receiver.listen();
      const a = await startApp(shared.url, env, clock);
      let b: TestApp | undefined;
      try {
        const alice = await insertCustomer(a.ds, { username: 'alice' });
        await subscribe(a, receiver, alice);
        await burst(a, alice, 20);
        b = await startApp(shared.url, env, clock);
        const redis = b.app.get(RedisConnection).client!;
        const [wa, wb] = [a.app.get(WebhookWorker), b.app.get(WebhookWorker)];
        for (let i = 0; i < 5; i++) await Promise.all([wa.tick(), wb.tick()]);
        expect(receiver.accepted).toHaveLength(21);
        expect(receiver.once()).toBe(true);
        expect(await redis.get(`${prefix}webhook-lease`)).toMatch(/^[0-9a-f-]{36}$/);
        expect(await redis.pttl(`${prefix}webhook-lease`)).toBeGreaterThan(20_000);
        expect((await leaseRow(b)).holder).toBe('');

        // Its holder stops: the lease goes with it, and the other delivers at once.
        const holder = await redis.get(`${prefix}webhook-lease`);
        await a.close();
        expect(await redis.exists(`${prefix}webhook-lease`)).toBe(0);
        await burst(b, alice, 5);
        await wb.tick();
        expect(receiver.accepted).toHaveLength(26);
        expect(await redis.get(`${prefix}webhook-lease`)).not.toBe(holder);

        // A holder that died without letting go: nothing until its key expires, then all of it.
        await redis.set(`${prefix}webhook-lease`, 'crashed', 'PX', 1500);
        await burst(b, alice, 3);
        await wb.tick();
        expect(receiver.accepted).toHaveLength(26);
        await until(
          'the crashed lease expired',
          async () => (await redis.exists(`${prefix}webhook-lease`)) === 0,
        );
        await wb.tick();
        expect(receiver.accepted.map((r) => r.data.sequence)).toEqual(
          Array.from({ length: 29 }, (_, i) => i + 1),
        );
        expect(receiver.once()).toBe(true);
        expect(receiver.badSignatures).toBe(0);
      } finally {
        await a.close().catch(() => undefined);
        const redis = b?.app.get(RedisConnection).client;
        const keys = (await redis?.keys(`${prefix}*`)) ?? [];
        if (keys.length > 0) await redis?.del(...keys);
        await b?.close();
        await receiver.close();
        shared.remove();
      }
    });
  }
});
