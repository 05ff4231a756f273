import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { Customer, Permission } from '../src/customers/customer.entity.js';
import { Session } from '../src/sessions/session.entity.js';
import { FakeClock, signJwt, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { auditEvents } from './support/audit.js';
import { insertAccessKey, insertCustomer, PASSWORD, truncate } from './support/factories.js';

const SUPER = Permission.ProjectSuperAdmin | Permission.CustomerAdmin;

describe.each(DATABASES)('login sessions on $name', (database) => {
  let t: TestApp;
  const clock = new FakeClock();
  let alice: Customer;

  beforeAll(async () => {
    t = await startApp(await database.prepare('sessions'), {}, clock);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncate(t.ds);
    alice = await insertCustomer(t.ds, { username: 'alice', permission: Permission.CustomerAdmin });
  });

  const logIn = async (username = 'alice', userAgent = 'spec-agent/1.0') => {
    const res = await request(t.http)
      .post('/auth/login')
      .set('user-agent', userAgent)
      .send({ username, password: PASSWORD })
      .expect(200);
    const token = (res.body as { token: string }).token;
    return { token, sid: (jwt.decode(token) as { sid: string }).sid, cookie: res.headers['set-cookie'] };
  };
  const as = (token: string) => ({
    me: () => request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`),
    sessions: () => request(t.http).get('/v1.0/customer/sessions').set('authorization', `Bearer ${token}`),
    end: (sid: string) =>
      request(t.http).delete(`/v1.0/customer/sessions/${sid}`).set('authorization', `Bearer ${token}`),
    endOthers: () =>
      request(t.http).delete('/v1.0/customer/sessions').set('authorization', `Bearer ${token}`),
    logout: () => request(t.http).post('/auth/logout').set('authorization', `Bearer ${token}`),
  });

  it('starts a session at each login, which the JWT names with when and how it logged in', async () => {
    const before = Math.floor(clock.now().getTime() / 1000);
    const { token, sid } = await logIn();
    expect(jwt.decode(token)).toMatchObject({ sid, auth_time: before, amr: ['pwd'] });
    const stored = await t.ds.getRepository(Session).findOneByOrFail({ id: sid });
    expect(stored).toMatchObject({
      customerId: alice.id,
      clientIp: expect.stringMatching(/127\.0\.0\.1/),
      userAgent: 'spec-agent/1.0',
      tmEnd: null,
    });
    expect(stored.tmExpire.getTime() - stored.tmCreate.getTime()).toBe(t.config.jwt.expiresIn * 1000);
  });

  it("lists the customer's working sessions, newest first, marking the caller's, and keeps a long User-Agent short", async () => {
    const first = await logIn('alice', 'x'.repeat(400));
    clock.advance(1);
    const second = await logIn();
    await as(second.token).end(first.sid).expect(200);
    clock.advance(1);
    const third = await logIn();
    const res = await as(second.token).sessions().expect(200);
    expect(res.body.result.map((s: { id: string; current: boolean }) => [s.id, s.current])).toEqual([
      [third.sid, false],
      [second.sid, true],
    ]);
    expect(res.body.result[1]).toEqual({
      id: second.sid,
      client_ip: expect.any(String),
      user_agent: 'spec-agent/1.0',
      current: true,
      tm_create: expect.any(String),
      tm_last_seen: expect.any(String),
      tm_expire: expect.any(String),
      tm_end: null,
    });
    const long = await t.ds.getRepository(Session).findOneByOrFail({ id: first.sid });
    expect(long.userAgent).toHaveLength(255);
  });

  it("ends the caller's session on logout: 204, the cookie cleared, its JWT refused at once, the others untouched", async () => {
    const kept = await logIn();
    const { token, sid } = await logIn();
    await as(token).me().expect(200);
    const out = await as(token).logout().expect(204);
    const cleared = String(out.headers['set-cookie']);
    expect(cleared).toMatch(/^token=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/);
    // The same attributes as the cookie login set, so that every browser replaces that one.
    expect(cleared).toMatch(/HttpOnly/);
    expect(cleared).toMatch(/SameSite=Strict/);
    const refused = await as(token).me().expect(401);
    expect(refused.body.error.reason).toBe('INVALID_CREDENTIALS');
    await request(t.http).get('/v1.0/customer').set('cookie', `token=${token}`).expect(401);
    expect((await t.ds.getRepository(Session).findOneByOrFail({ id: sid })).tmEnd).not.toBeNull();
    await as(kept.token).me().expect(200);
  });

  it("ends one session by its id, the customer's own only", async () => {
    const mine = await logIn();
    const other = await logIn();
    const ended = await as(mine.token).end(other.sid).expect(200);
    expect(ended.body).toMatchObject({ id: other.sid, current: false, tm_end: expect.any(String) });
    await as(other.token).me().expect(401);
    await as(mine.token).me().expect(200);
    const again = await as(mine.token).end(other.sid).expect(404);
    expect(again.body.error.reason).toBe('SESSION_NOT_FOUND');

    await insertCustomer(t.ds, { username: 'bob' });
    const bob = await logIn('bob');
    await as(mine.token).end(bob.sid).expect(404);
    await as(bob.token).me().expect(200);
  });

  it("ends every session but the caller's", async () => {
    const others = [await logIn(), await logIn()];
    const mine = await logIn();
    expect((await as(mine.token).endOthers().expect(200)).body).toEqual({ ended: 2 });
    for (const other of others) await as(other.token).me().expect(401);
    await as(mine.token).me().expect(200);
    expect((await as(mine.token).endOthers().expect(200)).body).toEqual({ ended: 0 });
  });

  it('records each end of a session in the audit log, once, with who ended it', async () => {
    const a = await logIn();
    const b = await logIn();
    const c = await logIn();
    await as(a.token).end(b.sid).expect(200);
    await as(a.token).end(b.sid).expect(404);
    await as(a.token).endOthers().expect(200);
    await as(a.token).endOthers().expect(200);
    await as(a.token).logout().expect(204);
    const ended = (await auditEvents(t.ds, alice.id)).filter((e) => e.action === 'session.ended');
    expect(ended.map((e) => [e.target, e.actor.customerId, e.actor.via, JSON.parse(e.data)])).toEqual([
      [`session:${b.sid}`, alice.id, 'jwt', { reason: 'ended' }],
      [`customer:${alice.id}`, alice.id, 'jwt', { reason: 'others_ended', ended: 1 }],
      [`session:${a.sid}`, alice.id, 'jwt', { reason: 'logout' }],
    ]);
    await as(c.token).me().expect(401);
  });

  it("lets no access key see or end sessions: they are a person's", async () => {
    const { token: key } = await insertAccessKey(t.ds, alice.id);
    const { sid } = await logIn();
    for (const req of [
      request(t.http).get('/v1.0/customer/sessions'),
      request(t.http).delete(`/v1.0/customer/sessions/${sid}`),
      request(t.http).delete('/v1.0/customer/sessions'),
      request(t.http).post('/auth/logout'),
    ]) {
      const res = await req.set('authorization', `Bearer ${key}`).expect(403);
      expect(res.body.error.reason).toBe('PERMISSION_DENIED');
    }
  });

  it("ends every session when a super admin resets the customer's password", async () => {
    await insertCustomer(t.ds, { username: 'root', permission: SUPER });
    const root = await logIn('root');
    const { token } = await logIn();
    await request(t.http)
      .put(`/v1.0/customers/${alice.id}`)
      .set('authorization', `Bearer ${root.token}`)
      .send({ password: 'a-reset-password' })
      .expect(200);
    await as(token).me().expect(401);
    await as(root.token).me().expect(200);
  });

  it('refuses a JWT whose session is unknown, and takes one signed before sessions by its token generation', async () => {
    const claims = { customer: { id: alice.id }, gen: 0 };
    const sessionless = signJwt(claims, { subject: alice.id, expiresIn: 60 });
    await as(sessionless).me().expect(200);
    const forged = signJwt(
      { ...claims, sid: '6f1c2a4e-8d3b-4e5f-9a7b-1c2d3e4f5a6b' },
      { subject: alice.id, expiresIn: 60 },
    );
    await as(forged).me().expect(401);
    const { token } = await logIn();
    await request(t.http)
      .put('/v1.0/customer/password')
      .set('authorization', `Bearer ${token}`)
      .send({ old_password: PASSWORD, new_password: 'another-password-1' })
      .expect(200);
    await as(sessionless).me().expect(401);
    await as(token).me().expect(200);
  });

  it('tells a page whether its login works, with 200 either way (GET /auth/session)', async () => {
    const state = (req: request.Test) => req.expect(200).then((res) => res.body as object);
    const { token } = await logIn();
    expect(await state(request(t.http).get('/auth/session').set('cookie', `token=${token}`))).toEqual({
      active: true,
      username: 'alice',
      permission: Permission.CustomerAdmin,
    });
    const { token: key } = await insertAccessKey(t.ds, alice.id);
    for (const req of [
      request(t.http).get('/auth/session'),
      request(t.http).get('/auth/session').set('authorization', `Bearer ${key}`),
      request(t.http).get('/auth/session').set('cookie', 'token=not-a-jwt'),
    ]) {
      expect(await state(req)).toEqual({ active: false });
    }
    await as(token).logout().expect(204);
    expect(await state(request(t.http).get('/auth/session').set('cookie', `token=${token}`))).toEqual({
      active: false,
    });
  });

  it('records the last use of a session at most once a minute, never backwards', async () => {
    const { token, sid } = await logIn();
    const seen = async () =>
      (await t.ds.getRepository(Session).findOneByOrFail({ id: sid })).tmLastSeen.getTime();
    const created = await seen();
    clock.advance(30);
    await as(token).me().expect(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(await seen()).toBe(created);
    clock.advance(31);
    await as(token).me().expect(200);
    const at = clock.now().getTime();
    for (let i = 0; i < 50 && (await seen()) !== at; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await seen()).toBe(at);
  });
});
