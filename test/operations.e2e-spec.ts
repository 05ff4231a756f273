import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Permission } from '../src/customers/customer.entity.js';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  login,
  startApp,
  TEST_JWT_SECRET,
  type TestApp,
} from './support/app.js';
import { DATABASES } from './support/databases.js';
import { METRICS_TOKEN, TEST_PUBLIC_URL } from './support/env.js';
import { insertAccessKey, insertCustomer, PASSWORD, truncate } from './support/factories.js';
import { ServiceProcess } from './support/service.js';

/** `auth_attempts_total` by `method/result`, read from the Prometheus text. */
function attempts(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [, method, result, value] of text.matchAll(
    /^auth_attempts_total\{method="(\w+)",result="(\w+)"\} (\d+)$/gm,
  )) {
    counts[`${method}/${result}`] = Number(value);
  }
  return counts;
}

describe.each(DATABASES)('readiness and metrics on $name', (database) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(await database.prepare('operations'));
    await truncate(t.ds);
  });
  afterAll(() => t.close());

  it('is ready while the database answers', async () => {
    const res = await request(t.http).get('/ready').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  it('counts authentications by kind and result, and requests by route template, with no secret in a label', async () => {
    const customer = await insertCustomer(t.ds, {
      username: 'metered',
      permission: Permission.CustomerAdmin,
    });
    const { key, token } = await insertAccessKey(t.ds, customer.id);
    const session = await login(t.http, 'metered', PASSWORD);
    const expired = jwt.sign(
      { sub: customer.id, gen: 0, iss: TEST_PUBLIC_URL, aud: TEST_PUBLIC_URL, exp: 1 },
      TEST_JWT_SECRET,
      { algorithm: 'HS256' },
    );
    const before = attempts(
      (await request(t.http).get('/metrics').set('authorization', `Bearer ${METRICS_TOKEN}`).expect(200))
        .text,
    );

    await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${session}`).expect(200);
    await request(t.http).get('/v1.0/customer').query({ token: session }).expect(200);
    await request(t.http).get(`/v1.0/accesskeys/${key.id}`).query({ accesskey: token }).expect(200);
    await request(t.http).get('/v1.0/customer').set('authorization', 'Bearer not.a.jwt').expect(401);
    await request(t.http)
      .get('/v1.0/customer')
      .query({ accesskey: `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}` })
      .expect(401);
    await request(t.http).get('/v1.0/customer').query({ token: expired }).expect(401);
    const old = await insertAccessKey(t.ds, customer.id, { tmExpire: new Date(Date.now() - 1000) });
    await request(t.http).get('/v1.0/customer').query({ accesskey: old.token }).expect(401);
    await request(t.http).get('/v1.0/customer').expect(401);

    const res = await request(t.http)
      .get('/metrics')
      .set('authorization', `Bearer ${METRICS_TOKEN}`)
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const after = attempts(res.text);
    const delta = (label: string) => (after[label] ?? 0) - (before[label] ?? 0);
    expect({
      jwtOk: delta('jwt/ok'),
      keyOk: delta('accesskey/ok'),
      jwtInvalid: delta('jwt/invalid'),
      keyInvalid: delta('accesskey/invalid'),
      jwtExpired: delta('jwt/expired'),
      keyExpired: delta('accesskey/expired'),
      missing: delta('none/missing'),
    }).toEqual({
      jwtOk: 2,
      keyOk: 1,
      jwtInvalid: 1,
      keyInvalid: 1,
      jwtExpired: 1,
      keyExpired: 1,
      missing: 1,
    });

    expect(res.text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/v1.0\/accesskeys\/:id",status_code="200"\} [1-9]/m,
    );
    expect(res.text).toMatch(/^process_cpu_seconds_total /m);
    for (const secret of [key.id, token, session, expired, 'metered', customer.id]) {
      expect(res.text).not.toContain(secret);
    }
  });
});

interface Outcome {
  requestId: string;
  /** The HTTP status, or the connection error. */
  answer: number | string;
  at: number;
}

/** A POST on a connection of its own, with its own request id. */
function post(url: string, requestId: string, body: unknown): Promise<Outcome> {
  const req = http.request(url, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
  });
  const outcome = new Promise<Outcome>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ requestId, answer: res.statusCode!, at: Date.now() }));
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ requestId, answer: error.code ?? error.message, at: Date.now() }),
    );
  });
  req.end(JSON.stringify(body));
  return outcome;
}

describe('the built service as a process', () => {
  let service: ServiceProcess;
  afterAll(() => service?.stop());

  it('logs one JSON line per request with its id, route, status and duration, and no credential', async () => {
    service = await ServiceProcess.start();
    const login = await fetch(`${service.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD }),
    });
    const { token: session } = (await login.json()) as { token: string };
    const created = await fetch(`${service.url}/v1.0/accesskeys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const { id, token } = (await created.json()) as { id: string; token: string };

    const calls = [
      ['log-key', `/v1.0/accesskeys/${id}?accesskey=${token}`, {}],
      ['log-token', `/v1.0/customer?page_size=1&token=${session}`, {}],
      ['log-bearer', '/v1.0/customer', { authorization: `Bearer ${session}` }],
      ['log-encoded', `/v1.0/customer?%74oken=${session}`, {}],
    ] as const;
    for (const [requestId, path, headers] of calls) {
      await fetch(`${service.url}${path}`, { headers: { ...headers, 'x-request-id': requestId } });
    }

    const lineOf = async (requestId: string) => {
      for (let i = 0; i < 50; i++) {
        const line = service.logLines().find((l) => l.request_id === requestId && l.res);
        if (line) return line;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no log line for ${requestId}:\n${service.output.join('\n')}`);
    };
    expect(await lineOf('log-key')).toMatchObject({
      level: 30,
      request_id: 'log-key',
      route: '/v1.0/accesskeys/:id',
      req: { method: 'GET', url: `/v1.0/accesskeys/${id}?accesskey=%5BREDACTED%5D` },
      res: { status: 200 },
      duration_ms: expect.any(Number),
    });
    expect(await lineOf('log-token')).toMatchObject({
      route: '/v1.0/customer',
      req: { url: '/v1.0/customer?page_size=1&token=%5BREDACTED%5D' },
    });
    expect(await lineOf('log-bearer')).toMatchObject({ res: { status: 200 } });
    expect(await lineOf('log-encoded')).toMatchObject({
      req: { url: '/v1.0/customer?token=%5BREDACTED%5D' },
    });

    const everything = service.output.join('\n');
    for (const secret of [session, token, token.slice(11), session.split('.')[2], ADMIN_PASSWORD]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).not.toMatch(/authorization|cookie/i);
  });

  it('on SIGTERM answers every request it read, writes the last use, and exits 0 within 10 s', async () => {
    await service?.stop();
    service = await ServiceProcess.start();
    const base = service.url;
    const t0 = (await (
      await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD }),
      })
    ).json()) as { token: string };
    const key = (await (
      await fetch(`${base}/v1.0/accesskeys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t0.token}`, 'content-type': 'application/json' },
        body: '{}',
      })
    ).json()) as { id: string; token: string };
    expect((await fetch(`${base}/v1.0/customer?accesskey=${key.token}`)).status).toBe(200);

    // Logins are slow on purpose (argon2id): a burst keeps the service busy while it is told to stop.
    const burst = Array.from({ length: 24 }, (_, i) =>
      post(`${base}/auth/login`, `burst-${i}`, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD }),
    );
    await Promise.race(burst);
    service.signal('SIGTERM');
    const signalled = Date.now();
    const outcomes = await Promise.all(burst);
    expect(await service.exitCode(10_000)).toBe(0);

    // Every request the service read, it answered in full (its log line says so), and with a 200.
    // A connection it had not read yet when it stopped listening may be refused: the client
    // knows its request was not taken, as with any server that stops.
    const read = new Set(service.logLines().map((line) => line.request_id));
    for (const outcome of outcomes) {
      if (read.has(outcome.requestId)) expect(outcome).toMatchObject({ answer: 200 });
      else expect(['ECONNRESET', 'ECONNREFUSED']).toContain(outcome.answer);
    }
    expect(outcomes.filter((o) => o.answer === 200 && o.at > signalled).length).toBeGreaterThan(0);

    const db = await new DataSource({ type: 'better-sqlite3', database: service.databaseFile }).initialize();
    const rows: { tm_last_used: string | null }[] = await db.query(
      'SELECT tm_last_used FROM access_keys WHERE id = ?',
      [key.id],
    );
    await db.destroy();
    expect(rows[0].tm_last_used).not.toBeNull();
  });

  it('on SIGTERM keeps answering on open keep-alive connections, each answer closing its connection, then exits 0', async () => {
    await service?.stop();
    // Long enough for every client to send again once the drain is seen, on a loaded machine too.
    const drainMs = 5000;
    service = await ServiceProcess.start({ SHUTDOWN_DRAIN_MS: String(drainMs) });
    const { token } = (await (
      await fetch(`${service.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD }),
      })
    ).json()) as { token: string };

    // Clients that keep their connections open, and send on them again and again.
    const clients = 6;
    const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
    const get = () =>
      new Promise<{ answer: number | string; connection?: string; sent: number }>((resolve) => {
        const sent = Date.now();
        const req = http.get(`${service.url}/v1.0/customer`, {
          agent,
          headers: { authorization: `Bearer ${token}` },
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve({ answer: res.statusCode!, connection: res.headers.connection, sent }));
        });
        req.on('error', (error: NodeJS.ErrnoException) =>
          resolve({ answer: error.code ?? error.message, sent }),
        );
      });
    await Promise.all(Array.from({ length: clients }, get));

    /** When /ready was first seen to answer 503: the drain had begun by then. */
    let draining = Infinity;
    const outcomes: Awaited<ReturnType<typeof get>>[] = [];
    const loops = Array.from({ length: clients }, async () => {
      while (Date.now() < draining + drainMs / 3) outcomes.push(await get());
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    service.signal('SIGTERM');
    // Out of rotation: a load balancer polling /ready stops sending new requests.
    for (let i = 0; i < 100 && draining === Infinity; i++) {
      const ready = await fetch(`${service.url}/ready`);
      if (ready.status === 503) {
        expect(((await ready.json()) as { error: object }).error).toMatchObject({ reason: 'SHUTTING_DOWN' });
        draining = Date.now();
      } else {
        await ready.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    expect(draining).toBeLessThan(Infinity);
    await Promise.all(loops);
    agent.destroy();

    // Every request sent in the drain period was answered, on the connections already open and on
    // the ones the clients opened after each answer closed theirs, and closed its connection.
    expect(outcomes.filter((o) => o.answer !== 200)).toEqual([]);
    const inDrain = outcomes.filter((o) => o.sent > draining);
    expect(inDrain.length).toBeGreaterThanOrEqual(clients);
    expect(inDrain.filter((o) => o.connection !== 'close')).toEqual([]);
    expect(await service.exitCode(drainMs + 10_000)).toBe(0);
  }, 60_000);
});
