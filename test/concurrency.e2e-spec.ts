import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { Permission, type Customer } from '../src/customers/customer.entity.js';
import { login, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD, truncate } from './support/factories.js';

const ROUNDS = 10;
const WRITERS = 20;

/** Real concurrency: the requests of one round are all in flight at once, through the pool on MySQL. */
describe.each(DATABASES)('concurrent writers on $name', (database) => {
  let t: TestApp;
  let owner: Customer;
  let auth: string;
  let rootAuth: string;

  beforeAll(async () => {
    t = await startApp(await database.prepare('concurrency'));
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncate(t.ds);
    owner = await insertCustomer(t.ds, { username: 'owner', permission: Permission.CustomerAdmin });
    await insertCustomer(t.ds, { username: 'root', permission: Permission.ProjectSuperAdmin });
    auth = `Bearer ${await login(t.http, 'owner', PASSWORD)}`;
    rootAuth = `Bearer ${await login(t.http, 'root', PASSWORD)}`;
  });

  /** WRITERS requests at once, each setting `name` to its own value; the answers in order. */
  const racePuts = (path: string, as: string, round: number) =>
    Promise.all(
      Array.from({ length: WRITERS }, (_, i) =>
        request(t.http)
          .put(path)
          .set('authorization', as)
          .send({ name: `writer-${round}-${i}` }),
      ),
    );

  /** Each answer is what its own request wrote, and the stored value is one of them. */
  const expectOwnAnswers = (answers: request.Response[], round: number, stored: string) => {
    expect(answers.map((res) => res.status)).toEqual(Array(WRITERS).fill(200));
    expect(answers.map((res) => res.body.name)).toEqual(
      Array.from({ length: WRITERS }, (_, i) => `writer-${round}-${i}`),
    );
    expect(answers.map((res) => res.body.name)).toContain(stored);
  };

  it("answers each of 20 PUTs at once on one key with the key as that PUT left it, never another writer's", async () => {
    const { key } = await insertAccessKey(t.ds, owner.id);
    for (let round = 0; round < ROUNDS; round++) {
      const answers = await racePuts(`/v1.0/accesskeys/${key.id}`, auth, round);
      const stored = await request(t.http).get(`/v1.0/accesskeys/${key.id}`).set('authorization', auth);
      expectOwnAnswers(answers, round, stored.body.name as string);
    }
  });

  it('answers each of 20 PUTs at once on a customer, its own and by a super admin, with what that PUT wrote', async () => {
    for (let round = 0; round < ROUNDS / 2; round++) {
      const own = await racePuts('/v1.0/customer', auth, round);
      expectOwnAnswers(
        own,
        round,
        (await request(t.http).get('/v1.0/customer').set('authorization', auth)).body.name,
      );
      const byAdmin = await racePuts(`/v1.0/customers/${owner.id}`, rootAuth, round);
      expectOwnAnswers(
        byAdmin,
        round,
        (await request(t.http).get(`/v1.0/customers/${owner.id}`).set('authorization', rootAuth)).body.name,
      );
    }
  });

  it('answers a roll racing a delete with 404, or with a live key that the delete then stops', async () => {
    for (let round = 0; round < 2 * ROUNDS; round++) {
      const { key, token } = await insertAccessKey(t.ds, owner.id);
      const [rolled, deleted] = await Promise.all([
        request(t.http).post(`/v1.0/accesskeys/${key.id}/roll`).set('authorization', auth).send({ grace: 0 }),
        request(t.http).delete(`/v1.0/accesskeys/${key.id}`).set('authorization', auth),
      ]);
      expect(deleted.status).toBe(200);
      expect(deleted.body.tm_delete).not.toBeNull();
      expect([200, 404]).toContain(rolled.status);
      if (rolled.status === 200) {
        expect(rolled.body.tm_delete).toBeNull();
        expect(rolled.body.token_prefix).toBe((rolled.body.token as string).slice(0, 11));
      } else {
        expect(rolled.body.error).toMatchObject({ reason: 'ACCESSKEY_NOT_FOUND' });
      }
      for (const secret of [token, rolled.body.token as string | undefined]) {
        if (secret) await request(t.http).get('/v1.0/customer').query({ accesskey: secret }).expect(401);
      }
    }
  });

  it('rolls a key twice at once: both answered with a working secret, no conflict', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { key, token } = await insertAccessKey(t.ds, owner.id);
      const rolls = await Promise.all(
        [0, 1].map(() =>
          request(t.http)
            .post(`/v1.0/accesskeys/${key.id}/roll`)
            .set('authorization', auth)
            .send({ grace: 60 }),
        ),
      );
      expect(rolls.map((res) => res.status)).toEqual([200, 200]);
      // The later roll kept the earlier one's secret for its grace and killed the original at once.
      for (const res of rolls) {
        await request(t.http).get('/v1.0/customer').query({ accesskey: res.body.token }).expect(200);
      }
      await request(t.http).get('/v1.0/customer').query({ accesskey: token }).expect(401);
    }
  });

  it('lets one of several password changes at once win, refuses the others, and only the winner can log in', async () => {
    for (let round = 0; round < ROUNDS / 2; round++) {
      const username = `changer-${round}`;
      await insertCustomer(t.ds, { username });
      const session = `Bearer ${await login(t.http, username, PASSWORD)}`;
      const passwords = [0, 1, 2].map((i) => `new-password-${round}-${i}`);
      const answers = await Promise.all(
        passwords.map((password) =>
          request(t.http)
            .put('/v1.0/customer/password')
            .set('authorization', session)
            .send({ old_password: PASSWORD, new_password: password }),
        ),
      );
      expect(answers.filter((res) => res.status === 200).map((res) => res.status)).toEqual([200]);
      for (const res of answers.filter((r) => r.status !== 200)) {
        // Refused: the password changed meanwhile (409), or the JWT it came with is revoked (401).
        expect([409, 401]).toContain(res.status);
        if (res.status === 409) expect(res.body.error).toMatchObject({ reason: 'PASSWORD_CHANGED' });
      }
      const logins = await Promise.all(
        [PASSWORD, ...passwords].map(
          async (password) => (await request(t.http).post('/auth/login').send({ username, password })).status,
        ),
      );
      expect(logins).toEqual([401, ...answers.map((res) => (res.status === 200 ? 200 : 401))]);
    }
  });
});
