import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { AccessKey } from '../src/accesskeys/access-key.entity.js';
import { jwkThumbprint } from '../src/config/signing-keys.js';
import { Customer, Permission } from '../src/customers/customer.entity.js';
import { Revocations } from '../src/redis/revocations.js';
import { login, signJwt, startApp, TEST_JWT_SECRET, type TestApp } from './support/app.js';
import { TEST_PUBLIC_URL } from './support/env.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD, truncate } from './support/factories.js';

const ALICE = Permission.CustomerAdmin | Permission.CustomerManager;

const pem = (key: KeyObject) =>
  key.export({ format: 'pem', type: key.type === 'private' ? 'pkcs8' : 'spki' }).toString();
const ecKeys = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

/** Claims as a login would make them, for a token signed by hand. */
const claimsOf = (customer: Customer) => ({ sub: customer.id, gen: customer.tokenGeneration });
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

// ES256 and HS256 apps run one after the other: apps in one process share Passport's strategies.
describe.each(DATABASES)('ES256 tokens and the JWKS on $name', (database) => {
  const current = ecKeys();
  const previous = ecKeys();
  let t: TestApp;
  let alice: Customer;

  beforeAll(async () => {
    t = await startApp(await database.prepare('jwks'), {
      JWT_PRIVATE_KEY: pem(current.privateKey),
      JWT_PREVIOUS_PUBLIC_KEYS: pem(previous.publicKey),
    });
    await truncate(t.ds);
    alice = await insertCustomer(t.ds, { username: 'alice' });
  });
  afterAll(() => t.close());

  const customerWith = (token: string) =>
    request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`);

  it('publishes the current and the previous public key, and nothing private', async () => {
    const res = await request(t.http).get('/.well-known/jwks.json').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const { keys } = res.body as { keys: Record<string, string>[] };
    expect(keys.map((k) => k.kid)).toEqual([
      jwkThumbprint(current.publicKey),
      jwkThumbprint(previous.publicKey),
    ]);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    }
  });

  it('signs login JWTs that another service verifies with the JWKS document alone', async () => {
    const token = await login(t.http, 'alice', PASSWORD);
    const jwks = (await request(t.http).get('/.well-known/jwks.json')).body as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: TEST_PUBLIC_URL,
      audience: TEST_PUBLIC_URL,
      algorithms: ['ES256'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: jwkThumbprint(current.publicKey) });
    expect(payload).toMatchObject({ sub: alice.id, customer: { username: 'alice' } });
    expect(payload.exp! - payload.iat!).toBe(604800);
    await customerWith(token).expect(200);
  });

  it('keeps accepting tokens of the previous key, and refuses any other key, kid or algorithm', async () => {
    const es256 = (key: KeyObject, kid: string | undefined, claims: object = claimsOf(alice)) =>
      jwt.sign(claims, key, {
        algorithm: 'ES256',
        issuer: TEST_PUBLIC_URL,
        audience: TEST_PUBLIC_URL,
        expiresIn: 3600,
        ...(kid === undefined ? {} : { keyid: kid }),
      });
    const previousKid = jwkThumbprint(previous.publicKey);
    await customerWith(es256(previous.privateKey, previousKid)).expect(200);

    const stranger = ecKeys();
    for (const token of [
      es256(stranger.privateKey, jwkThumbprint(stranger.publicKey)),
      // A known kid does not make another key's signature good.
      es256(stranger.privateKey, previousKid),
      es256(previous.privateKey, jwkThumbprint(current.publicKey)),
      es256(current.privateKey, undefined),
      // No exp, or another issuer.
      jwt.sign(claimsOf(alice), current.privateKey, {
        algorithm: 'ES256',
        issuer: TEST_PUBLIC_URL,
        audience: TEST_PUBLIC_URL,
        keyid: jwkThumbprint(current.publicKey),
      }),
      jwt.sign(claimsOf(alice), current.privateKey, {
        algorithm: 'ES256',
        issuer: 'someone-else',
        audience: TEST_PUBLIC_URL,
        expiresIn: 3600,
        keyid: jwkThumbprint(current.publicKey),
      }),
      // HS256 is off under ES256: neither the old secret nor the public key as an HMAC secret.
      jwt.sign(claimsOf(alice), TEST_JWT_SECRET, {
        algorithm: 'HS256',
        issuer: TEST_PUBLIC_URL,
        audience: TEST_PUBLIC_URL,
        expiresIn: 3600,
      }),
      jwt.sign(claimsOf(alice), pem(current.publicKey), {
        algorithm: 'HS256',
        issuer: TEST_PUBLIC_URL,
        audience: TEST_PUBLIC_URL,
        expiresIn: 3600,
        keyid: jwkThumbprint(current.publicKey),
      }),
    ]) {
      const res = await customerWith(token).expect(401);
      expect(res.body.error.reason).toBe('INVALID_CREDENTIALS');
    }
  });

  it('introspects an ES256 login JWT', async () => {
    await insertCustomer(t.ds, { username: 'root', permission: Permission.ProjectSuperAdmin });
    const root = await login(t.http, 'root', PASSWORD);
    const token = await login(t.http, 'alice', PASSWORD);
    const res = await request(t.http)
      .post('/auth/introspect')
      .set('authorization', `Bearer ${root}`)
      .send({ token })
      .expect(200);
    expect(res.body).toEqual({
      active: true,
      customer_id: alice.id,
      username: 'alice',
      permission: Permission.CustomerAdmin,
      token_type: 'jwt',
      exp: (jwt.decode(token) as { exp: number }).exp,
      scope: '*:write',
    });
  });
});

describe.each(DATABASES)('POST /auth/introspect on $name', (database) => {
  let t: TestApp;
  let root: string;
  let alice: Customer;

  beforeAll(async () => {
    t = await startApp(await database.prepare('introspect'));
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncate(t.ds);
    await insertCustomer(t.ds, { username: 'root', permission: Permission.ProjectSuperAdmin });
    root = `Bearer ${await login(t.http, 'root', PASSWORD)}`;
    alice = await insertCustomer(t.ds, { username: 'alice', permission: ALICE });
  });

  const introspect = async (token: string, caller = root) => {
    const res = await request(t.http).post('/auth/introspect').set('authorization', caller).send({ token });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    return res.body as Record<string, unknown>;
  };
  const sign = signJwt;

  it('publishes no keys under HS256', async () => {
    const res = await request(t.http).get('/.well-known/jwks.json').expect(200);
    expect(res.body).toEqual({ keys: [] });
  });

  it('answers for a live login JWT, and inactive once it expired, its customer is deleted or its password changed', async () => {
    const token = await login(t.http, 'alice', PASSWORD);
    expect(await introspect(token)).toEqual({
      active: true,
      customer_id: alice.id,
      username: 'alice',
      permission: ALICE,
      token_type: 'jwt',
      exp: (jwt.decode(token) as { exp: number }).exp,
      scope: '*:write',
    });
    const expired = jwt.sign({ ...claimsOf(alice), exp: seconds(new Date()) - 10 }, TEST_JWT_SECRET, {
      algorithm: 'HS256',
      issuer: TEST_PUBLIC_URL,
      audience: TEST_PUBLIC_URL,
    });
    expect(await introspect(expired)).toEqual({ active: false });

    // A password change ends every session but the one that made it.
    const changer = await login(t.http, 'alice', PASSWORD);
    await request(t.http)
      .put('/v1.0/customer/password')
      .set('authorization', `Bearer ${changer}`)
      .send({ old_password: PASSWORD, new_password: 'another-password-1' })
      .expect(200);
    expect(await introspect(token)).toEqual({ active: false });
    expect(await introspect(changer)).toMatchObject({ active: true });

    const fresh = await login(t.http, 'alice', 'another-password-1');
    expect(await introspect(fresh)).toMatchObject({ active: true });
    await request(t.http).delete(`/v1.0/customers/${alice.id}`).set('authorization', root).expect(200);
    expect(await introspect(fresh)).toEqual({ active: false });
  });

  it('answers for a live access key, and inactive once it expired or was deleted, or its customer was', async () => {
    const { key, token } = await insertAccessKey(t.ds, alice.id, {
      scopes: ['calls:write', 'numbers:read'],
      allowedCidrs: ['203.0.113.0/24'],
    });
    // What it may do, for the services behind the API to enforce: its scopes, and its networks.
    expect(await introspect(token)).toEqual({
      active: true,
      customer_id: alice.id,
      username: 'alice',
      permission: ALICE,
      token_type: 'accesskey',
      exp: seconds(key.tmExpire),
      scope: 'calls:write numbers:read',
      allowed_cidrs: ['203.0.113.0/24'],
    });
    // Within its customer's rights as they are now: a demoted customer's keys narrow at once.
    await request(t.http)
      .put(`/v1.0/customers/${alice.id}`)
      .set('authorization', root)
      .send({ permission: 0 })
      .expect(200);
    expect(await introspect(token)).toMatchObject({ active: true, scope: '' });
    await t.ds.getRepository(Customer).update({ id: alice.id }, { permission: ALICE });
    await t.app.get(Revocations).publish({ kind: 'customer', id: alice.id });

    const expired = await insertAccessKey(t.ds, alice.id, { tmExpire: new Date(Date.now() - 1000) });
    expect(await introspect(expired.token)).toEqual({ active: false });

    await request(t.http)
      .delete(`/v1.0/accesskeys/${key.id}`)
      .set('authorization', `Bearer ${await login(t.http, 'alice', PASSWORD)}`)
      .expect(200);
    expect(await introspect(token)).toEqual({ active: false });

    const other = await insertAccessKey(t.ds, alice.id);
    expect(await introspect(other.token)).toMatchObject({ active: true });
    await request(t.http).delete(`/v1.0/customers/${alice.id}`).set('authorization', root).expect(200);
    expect(await introspect(other.token)).toEqual({ active: false });
  });

  it("gives a rolled key's old secret the end of its grace period as exp, and inactive after it", async () => {
    const { key, token } = await insertAccessKey(t.ds, alice.id);
    const rolled = await request(t.http)
      .post(`/v1.0/accesskeys/${key.id}/roll`)
      .query({ accesskey: token })
      .send({ grace: 3600 })
      .expect(200);
    const old = await introspect(token);
    expect(old).toMatchObject({ active: true, token_type: 'accesskey' });
    expect(Math.abs((old.exp as number) - (seconds(new Date()) + 3600))).toBeLessThanOrEqual(2);
    expect(await introspect(rolled.body.token as string)).toMatchObject({ exp: seconds(key.tmExpire) });

    await t.ds
      .getRepository(AccessKey)
      .update({ id: key.id }, { tmPreviousExpire: new Date(Date.now() - 1000) });
    // The row changed behind the service's back: its credential cache is told, as a roll would.
    await t.app.get(Revocations).publish({ kind: 'key', id: key.id });
    expect(await introspect(token)).toEqual({ active: false });
    expect(await introspect(rolled.body.token as string)).toMatchObject({ active: true });
  });

  it('answers inactive for anything else, without saying why', async () => {
    const { token } = await insertAccessKey(t.ds, alice.id);
    for (const value of [
      '',
      'garbage',
      `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
      sign({ sub: randomUUID(), gen: 0 }),
      sign(claimsOf(alice), { issuer: 'someone-else' }),
      jwt.sign(claimsOf(alice), 'another-secret-that-is-long-enough-32', {
        algorithm: 'HS256',
        issuer: TEST_PUBLIC_URL,
        audience: TEST_PUBLIC_URL,
      }),
      jwt.sign(claimsOf(alice), ecKeys().privateKey, {
        algorithm: 'ES256',
        issuer: TEST_PUBLIC_URL,
        audience: TEST_PUBLIC_URL,
        expiresIn: 60,
      }),
    ]) {
      expect(await introspect(value)).toEqual({ active: false });
    }
  });

  it('is for super admins and their keys only', async () => {
    const body = { token: 'anything' };
    await request(t.http).post('/auth/introspect').send(body).expect(401);
    const manager = await login(t.http, 'alice', PASSWORD);
    const denied = await request(t.http)
      .post('/auth/introspect')
      .set('authorization', `Bearer ${manager}`)
      .send(body)
      .expect(403);
    expect(denied.body.error.reason).toBe('PERMISSION_DENIED');
    // An ordinary customer's key is no super admin, whatever its scopes say.
    const aliceKey = await insertAccessKey(t.ds, alice.id, { scopes: ['introspect:read'] });
    const refused = await request(t.http)
      .post('/auth/introspect')
      .query({ accesskey: aliceKey.token })
      .send(body);
    expect([refused.status, refused.body.error.reason]).toEqual([403, 'PERMISSION_DENIED']);

    // A super admin's key has the power only when it was given it.
    const rootRow = await t.ds.getRepository(Customer).findOneByOrFail({ username: 'root' });
    const rootDefault = await insertAccessKey(t.ds, rootRow.id);
    const unscoped = await request(t.http)
      .post('/auth/introspect')
      .query({ accesskey: rootDefault.token })
      .send(body);
    expect([unscoped.status, unscoped.body.error.reason]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    const rootKey = await insertAccessKey(t.ds, rootRow.id, { scopes: ['introspect:read'] });
    expect(await introspect(aliceKey.token, `Bearer ${rootKey.token}`)).toMatchObject({ active: true });

    for (const bad of [{}, { token: 42 }, { token: 'x', extra: 1 }]) {
      const res = await request(t.http)
        .post('/auth/introspect')
        .set('authorization', root)
        .send(bad)
        .expect(400);
      expect(res.body.error.status).toBe('INVALID_ARGUMENT');
    }
  });
});
