import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { generateAccessKeyToken } from '../src/accesskeys/access-key-token.js';
import { login, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { auditEvents } from './support/audit.js';
import { insertAccessKey, insertCustomer, PASSWORD } from './support/factories.js';

describe.each(DATABASES)('POST /v1.0/credentials/revoke on $name', (database) => {
  let url: string;
  let t: TestApp;
  beforeAll(async () => {
    url = await database.prepare('public_revoke');
    t = await startApp(url);
  });
  afterAll(() => t.close());

  const revoke = (app: TestApp, credentials: unknown) =>
    request(app.http).post('/v1.0/credentials/revoke').send({ credentials });
  const works = async (key: string) =>
    (await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${key}`)).status;

  it('revokes a live key with no credential but the key, answering alike for live, dead, unknown and garbage', async () => {
    const customer = await insertCustomer(t.ds);
    const { token: leaked } = await insertAccessKey(t.ds, customer.id);
    const { token: other } = await insertAccessKey(t.ds, customer.id);
    const { token: dead } = await insertAccessKey(t.ds, customer.id, { tmDelete: new Date() });
    const answers = [];
    for (const credentials of [[leaked], [dead], [generateAccessKeyToken()], ['vb_not-a-key'], ['hello']]) {
      const res = await revoke(t, credentials);
      answers.push([res.status, res.text, res.headers['content-type']]);
    }
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0][0]).toBe(202);
    expect(await works(leaked)).toBe(401);
    expect(await works(other)).toBe(200);
    const reported = (await auditEvents(t.ds, customer.id)).filter((e) => e.action === 'accesskey.leaked');
    expect(reported).toHaveLength(1);
    expect(reported[0].actor).toEqual({ customerId: null, via: 'anonymous' });
    expect(JSON.parse(reported[0].data)).toEqual({ source: 'public_revoke', secret: 'current' });
  });

  it("ends only the grace of a secret a roll replaced, and the owner's new secret goes on", async () => {
    const customer = await insertCustomer(t.ds);
    const { key, token: old } = await insertAccessKey(t.ds, customer.id, {
      tmExpire: new Date(Date.now() + 30 * 86400_000),
    });
    const jwt = await login(t.http, customer.username, PASSWORD);
    const rolled = await request(t.http)
      .post(`/v1.0/accesskeys/${key.id}/roll`)
      .set('authorization', `Bearer ${jwt}`)
      .send({ grace: 3600 })
      .expect(200);
    expect(await works(old)).toBe(200);
    await revoke(t, [old]).expect(202);
    expect(await works(old)).toBe(401);
    expect(await works(rolled.body.token as string)).toBe(200);
  });

  it('refuses a JWT (it ends with its session), an empty list and more than 1,000', async () => {
    const customer = await insertCustomer(t.ds);
    const jwt = await login(t.http, customer.username, PASSWORD);
    const res = await revoke(t, [generateAccessKeyToken(), jwt]).expect(400);
    expect(res.body.error.details).toEqual([
      { field: 'credentials[1]', message: expect.stringContaining('is a JWT') },
    ]);
    expect(await works(jwt)).toBe(200);
    await revoke(t, []).expect(400);
    await revoke(t, Array.from({ length: 1001 }, generateAccessKeyToken)).expect(400);
    await revoke(t, 'vb_x').expect(400);
  });

  it('throttles one address to 10 requests a minute, with Retry-After', async () => {
    const fresh = await startApp(url);
    try {
      for (let i = 0; i < 10; i++) await revoke(fresh, [generateAccessKeyToken()]).expect(202);
      const refused = await revoke(fresh, [generateAccessKeyToken()]).expect(429);
      expect(refused.body.error.reason).toBe('RATE_LIMIT_EXCEEDED');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await fresh.close();
    }
  });
});
