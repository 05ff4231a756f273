import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { Secret, TOTP } from 'otpauth';
import request from 'supertest';
import { Customer, Permission } from '../src/customers/customer.entity.js';
import { FakeClock, signJwt, startApp, type TestApp } from './support/app.js';
import { auditEvents } from './support/audit.js';
import { DATABASES } from './support/databases.js';
import { insertCustomer, PASSWORD, truncate } from './support/factories.js';

const SUPER = Permission.ProjectSuperAdmin | Permission.CustomerAdmin;

describe.each(DATABASES)('TOTP second factor and step-up on $name', (database) => {
  let t: TestApp;
  const clock = new FakeClock();
  let alice: Customer;
  let n = 0;

  beforeAll(async () => {
    t = await startApp(await database.prepare('totp'), { LOGIN_LIMIT_PER_USERNAME_IP: '5' }, clock);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncate(t.ds);
    // A username of its own per test: the login throttle's windows outlive a test.
    alice = await insertCustomer(t.ds, { username: `alice${++n}`, permission: SUPER });
  });

  const codeAt = (secret: string, offsetSteps = 0) =>
    new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
      timestamp: clock.now().getTime() + offsetSteps * 30_000,
    });
  const login = (body: object) =>
    request(t.http)
      .post('/auth/login')
      .send({ username: alice.username, password: PASSWORD, ...body });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const post = (token: string, path: string, body: object = {}) =>
    request(t.http).post(path).set(bearer(token)).send(body);
  const tokenOf = (res: request.Response) => (res.body as { token: string }).token;

  /** Logs in, enrols and confirms: the secret, the recovery codes and the confirming JWT. */
  const enrol = async () => {
    const token = tokenOf(await login({}).expect(200));
    const started = await post(token, '/v1.0/customer/totp').expect(200);
    const { secret, uri } = started.body as { secret: string; uri: string };
    expect(uri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    const confirmed = await post(token, '/v1.0/customer/totp/confirm', { otp: codeAt(secret) }).expect(200);
    const codes = (confirmed.body as { recovery_codes: string[] }).recovery_codes;
    clock.advance(30); // the confirming code's step is used up
    return { secret, codes, token };
  };

  it('enrols, confirms with a first code, then asks every login for the factor; amr names it', async () => {
    const { secret, codes } = await enrol();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const stored = (await t.ds.query('SELECT secret FROM totp_credentials')) as { secret: string }[];
    expect(stored[0].secret).not.toContain(secret); // sealed, not the base32 secret

    expect((await login({}).expect(401)).body.error.reason).toBe('OTP_REQUIRED');
    expect((await login({ otp: '000000' }).expect(401)).body.error.reason).toBe('OTP_INVALID');
    const ok = await login({ otp: codeAt(secret) }).expect(200);
    expect(jwt.decode(tokenOf(ok))).toMatchObject({ amr: ['pwd', 'otp'] });

    const actions = (await auditEvents(t.ds, alice.id)).map((e) => e.action);
    expect(actions).toContain('totp.enabled');
    const failed = (await auditEvents(t.ds, alice.id)).filter((e) => e.action === 'login.failed');
    expect(failed.map((e) => JSON.parse(String(e.data)) as unknown)).toContainEqual({ reason: 'otp' });
  });

  it('takes a code once, and one step either side of now but not two', async () => {
    const { secret } = await enrol();
    const code = codeAt(secret);
    await login({ otp: code }).expect(200);
    expect((await login({ otp: code }).expect(401)).body.error.reason).toBe('OTP_INVALID');
    clock.advance(90);
    await login({ otp: codeAt(secret, -1) }).expect(200);
    clock.advance(90);
    await login({ otp: codeAt(secret, 1) }).expect(200);
    clock.advance(90);
    expect((await login({ otp: codeAt(secret, -2) }).expect(401)).body.error.reason).toBe('OTP_INVALID');
    expect((await login({ otp: codeAt(secret, 2) }).expect(401)).body.error.reason).toBe('OTP_INVALID');
  });

  it('takes a recovery code in "otp" once', async () => {
    const { codes } = await enrol();
    await login({ otp: codes[3] }).expect(200);
    expect((await login({ otp: codes[3] }).expect(401)).body.error.reason).toBe('OTP_INVALID');
    const used = (await auditEvents(t.ds, alice.id)).filter((e) => e.action === 'recovery_code.used');
    expect(used).toHaveLength(1);
  });

  it('throttles wrong codes like wrong passwords', async () => {
    await enrol();
    for (let i = 0; i < 5; i++) await login({ otp: '000000' }).expect(401);
    await login({ otp: '000000' }).expect(429);
  });

  it('leaves a customer that never enrolled as it was: no otp needed, amr pwd', async () => {
    const res = await login({}).expect(200);
    expect(jwt.decode(tokenOf(res))).toMatchObject({ amr: ['pwd'] });
    await post(tokenOf(res), '/v1.0/accesskeys', { name: 'w' }).expect(200);
  });

  it('ends the other sessions at enrolment and refuses a JWT of before sessions', async () => {
    const other = tokenOf(await login({}).expect(200));
    const old = signJwt({ customer: { id: alice.id }, gen: 0 }, { subject: alice.id });
    await request(t.http).get('/v1.0/customer').set(bearer(old)).expect(200);
    const { token } = await enrol();
    await request(t.http).get('/v1.0/customer').set(bearer(other)).expect(401);
    await request(t.http).get('/v1.0/customer').set(bearer(old)).expect(401);
    await request(t.http).get('/v1.0/customer').set(bearer(token)).expect(200);
  });

  it('lets no JWT of before the enrolment through by any route: header, query, cookie, introspection', async () => {
    const before = tokenOf(await login({}).expect(200));
    await request(t.http).get('/v1.0/customer').set('cookie', `token=${before}`).expect(200);
    const { token } = await enrol();
    await request(t.http).get('/v1.0/customer').set(bearer(before)).expect(401);
    await request(t.http).get('/v1.0/customer').query({ token: before }).expect(401);
    await request(t.http).get('/v1.0/customer').set('cookie', `token=${before}`).expect(401);
    const seen = await post(token, '/auth/introspect', { token: before }).expect(200);
    expect(seen.body).toEqual({ active: false });
    await request(t.http)
      .get('/auth/session')
      .set('cookie', `token=${before}`)
      .expect(200, { active: false });
    // And no new one without the factor, however it is asked for.
    const refused = await login({}).expect(401);
    expect(refused.body.error.reason).toBe('OTP_REQUIRED');
    expect(refused.headers['set-cookie']).toBeUndefined();
  });

  it('asks for a fresh factor after 10 minutes on each guarded route, and step-up gives it', async () => {
    const { secret } = await enrol();
    let token = tokenOf(await login({ otp: codeAt(secret) }).expect(200));
    clock.advance(11 * 60);
    const stale = async (res: request.Test) =>
      expect((await res.expect(401)).body.error.reason).toBe('STEP_UP_REQUIRED');
    await stale(
      request(t.http)
        .put('/v1.0/customer/password')
        .set(bearer(token))
        .send({ old_password: PASSWORD, new_password: 'another-password-1' }),
    );
    await stale(post(token, '/v1.0/customer/totp/disable', { otp: codeAt(secret) }));
    await stale(post(token, '/v1.0/accesskeys', { name: 'writer' }));
    await stale(request(t.http).get('/v1.0/customers').set(bearer(token)));
    // Reading keys need no step-up.
    await post(token, '/v1.0/accesskeys', { name: 'reader', scopes: ['accesskeys:read'] }).expect(200);

    expect((await post(token, '/auth/step-up', { otp: '000000' }).expect(401)).body.error.reason).toBe(
      'OTP_INVALID',
    );
    const stepped = await post(token, '/auth/step-up', { otp: codeAt(secret) }).expect(200);
    const fresh = tokenOf(stepped);
    expect(jwt.decode(fresh)).toMatchObject({
      sid: (jwt.decode(token) as { sid: string }).sid,
      auth_time: Math.floor(clock.now().getTime() / 1000),
      amr: ['pwd', 'otp'],
    });
    token = fresh;
    await request(t.http).get('/v1.0/customers').set(bearer(token)).expect(200);
    await post(token, '/v1.0/accesskeys', { name: 'writer' }).expect(200);
    clock.advance(30);
    await post(token, '/v1.0/customer/totp/disable', { otp: codeAt(secret) }).expect(204);
    await login({}).expect(200);
    const actions = (await auditEvents(t.ds, alice.id)).map((e) => e.action);
    expect(actions).toContain('totp.disabled');
  });

  it('refuses a second enrolment while enabled', async () => {
    const { token } = await enrol();
    expect((await post(token, '/v1.0/customer/totp').expect(409)).body.error).toMatchObject({
      status: 'FAILED_PRECONDITION',
      reason: 'TOTP_ALREADY_ENABLED',
    });
  });

  it('answers 409 FAILED_PRECONDITION to what needs a factor, or an enrolment, the customer has not', async () => {
    const token = tokenOf(await login({}).expect(200));
    for (const [path, reason] of [
      ['/auth/step-up', 'TOTP_NOT_ENABLED'],
      ['/v1.0/customer/totp/disable', 'TOTP_NOT_ENABLED'],
      ['/v1.0/customer/totp/confirm', 'TOTP_NOT_PENDING'],
    ]) {
      const res = await post(token, path, { otp: '123456' });
      expect([path, res.status, res.body.error]).toEqual([
        path,
        409,
        expect.objectContaining({ status: 'FAILED_PRECONDITION', reason }),
      ]);
    }
  });
});

describe.each(DATABASES)('the own customer answer with the credential cache on, on $name', (database) => {
  let t: TestApp;
  const clock = new FakeClock();

  beforeAll(async () => {
    t = await startApp(await database.prepare('totp_cached'), { AUTH_CACHE_TTL: '10' }, clock);
    await truncate(t.ds);
  });
  afterAll(() => t.close());

  it('says at once when the second factor is turned on and off, though the profile is cached', async () => {
    const bob = await insertCustomer(t.ds, { username: 'bob', permission: SUPER });
    const res = await request(t.http)
      .post('/auth/login')
      .send({ username: bob.username, password: PASSWORD });
    const auth = { authorization: `Bearer ${(res.body as { token: string }).token}` };
    const totpEnabled = async () =>
      ((await request(t.http).get('/v1.0/customer').set(auth).expect(200)).body as { totp_enabled: boolean })
        .totp_enabled;
    expect(await totpEnabled()).toBe(false);
    expect(await totpEnabled()).toBe(false); // now from the cache

    const started = await request(t.http).post('/v1.0/customer/totp').set(auth).send({}).expect(200);
    const totp = new TOTP({
      secret: Secret.fromBase32((started.body as { secret: string }).secret),
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
    });
    const code = () => totp.generate({ timestamp: clock.now().getTime() });
    await request(t.http).post('/v1.0/customer/totp/confirm').set(auth).send({ otp: code() }).expect(200);
    expect(await totpEnabled()).toBe(true);

    clock.advance(30);
    await request(t.http).post('/v1.0/customer/totp/disable').set(auth).send({ otp: code() }).expect(204);
    expect(await totpEnabled()).toBe(false);
  });
});
