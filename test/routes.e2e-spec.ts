import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Customer, Permission } from '../src/customers/customer.entity.js';
import { login, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD } from './support/factories.js';

/**
 * The auth matrix of every protected route: no credential 401, each credential kind of a caller
 * that may call it 2xx, of one that may not 403, another customer's id 404, a bad id or body 400.
 * The cookie is a browser's credential: a request it authenticates that changes state must say it
 * comes from this origin (`same-origin cookie`), else 403, whoever sends it.
 */
type Caller = 'admin' | 'manager' | 'superAdmin';
type Kind = 'bearer jwt' | '?token=' | 'cookie' | 'same-origin cookie' | 'bearer key' | '?accesskey=';
const KINDS: Kind[] = ['bearer jwt', '?token=', 'cookie', 'same-origin cookie', 'bearer key', '?accesskey='];
const JWT_KINDS: Kind[] = ['bearer jwt', '?token=', 'cookie', 'same-origin cookie'];

interface Target {
  path: string;
  body?: object;
}

interface Route {
  method: 'get' | 'post' | 'put' | 'delete';
  /** As the OpenAPI document names it. */
  path: string;
  /**
   * Who gets a 2xx, and with which kinds of credential (none: every kind); every other
   * authenticated caller gets 403. A key may do what its scopes allow within its customer's rights:
   * the admin's and the manager's keys have the default scopes, the super admin's key its powers too.
   */
  allowed: Caller[];
  kinds?: Kind[];
  /** A fresh target of the caller's own (a delete or roll uses it up). */
  target: (c: Context, caller: CallerState) => Promise<Target>;
  /** Another customer's object: the same 404 as a missing one. */
  foreign?: (c: Context) => Promise<Target>;
  badId?: Target;
  badBody?: (c: Context, caller: CallerState) => Promise<Target>;
  /** The status of a call that may (200 unless given). */
  status?: number;
}

interface CallerState {
  customer: Customer;
  jwt: string;
  key: string;
}

interface Context {
  t: TestApp;
  callers: Record<Caller, CallerState>;
  stranger: Customer;
}

const keyOf = async (c: Context, owner: Customer) => (await insertAccessKey(c.t.ds, owner.id)).key.id;
const keyPath =
  (suffix = '') =>
  async (c: Context, caller: CallerState) => ({
    path: `/v1.0/accesskeys/${await keyOf(c, caller.customer)}${suffix}`,
  });
/** A key of `owner`'s that the unused-key sweep disabled: what the enable route takes. */
const disabledKeyPath = async (c: Context, owner: Customer) => ({
  path: `/v1.0/accesskeys/${(await insertAccessKey(c.t.ds, owner.id, { tmDisabled: new Date() })).key.id}/enable`,
});
const strangerKey =
  (suffix = '') =>
  async (c: Context) => ({
    path: `/v1.0/accesskeys/${await keyOf(c, c.stranger)}${suffix}`,
  });
const freshCustomer = async (c: Context) =>
  `/v1.0/customers/${(await insertCustomer(c.t.ds, { username: `c-${randomUUID().slice(0, 8)}` })).id}`;
/** A new session of `owner`, by a login: its id is its JWT's `sid`. */
const sessionPath = async (c: Context, owner: Customer) => {
  const token = await login(c.t.http, owner.username, PASSWORD);
  const { sid } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sid: string };
  return { path: `/v1.0/customer/sessions/${sid}` };
};
const NOT_A_UUID = 'not-a-uuid';
const ADMINS: Caller[] = ['admin', 'superAdmin'];
const SUPER_ADMINS: Caller[] = ['superAdmin'];
const EVERYONE: Caller[] = ['admin', 'manager', 'superAdmin'];
const CALLERS: Caller[] = ['admin', 'manager', 'superAdmin'];

const ROUTES: Route[] = [
  {
    method: 'post',
    path: '/v1.0/accesskeys',
    allowed: ADMINS,
    target: async () => ({ path: '/v1.0/accesskeys', body: { name: 'matrix' } }),
    badBody: async () => ({ path: '/v1.0/accesskeys', body: { expire: 'soon' } }),
  },
  {
    method: 'get',
    path: '/v1.0/accesskeys',
    allowed: ADMINS,
    target: async () => ({ path: '/v1.0/accesskeys' }),
    badBody: async () => ({ path: '/v1.0/accesskeys?page_size=zero' }),
  },
  {
    method: 'get',
    path: '/v1.0/accesskeys/{id}',
    allowed: ADMINS,
    target: keyPath(),
    foreign: strangerKey(),
    badId: { path: `/v1.0/accesskeys/${NOT_A_UUID}` },
  },
  {
    method: 'put',
    path: '/v1.0/accesskeys/{id}',
    allowed: ADMINS,
    target: async (c, caller) => ({ ...(await keyPath()(c, caller)), body: { name: 'renamed' } }),
    foreign: async (c) => ({ ...(await strangerKey()(c)), body: { name: 'renamed' } }),
    badId: { path: `/v1.0/accesskeys/${NOT_A_UUID}`, body: { name: 'renamed' } },
    badBody: async (c, caller) => ({ ...(await keyPath()(c, caller)), body: { name: 5 } }),
  },
  {
    method: 'delete',
    path: '/v1.0/accesskeys/{id}',
    allowed: ADMINS,
    target: keyPath(),
    foreign: strangerKey(),
    badId: { path: `/v1.0/accesskeys/${NOT_A_UUID}` },
  },
  {
    method: 'post',
    path: '/v1.0/accesskeys/{id}/roll',
    allowed: ADMINS,
    target: async (c, caller) => ({ ...(await keyPath('/roll')(c, caller)), body: { grace: 0 } }),
    foreign: async (c) => ({ ...(await strangerKey('/roll')(c)), body: {} }),
    badId: { path: `/v1.0/accesskeys/${NOT_A_UUID}/roll`, body: {} },
    badBody: async (c, caller) => ({ ...(await keyPath('/roll')(c, caller)), body: { grace: -1 } }),
  },
  {
    method: 'post',
    path: '/v1.0/accesskeys/{id}/enable',
    allowed: ADMINS,
    target: (c, caller) => disabledKeyPath(c, caller.customer),
    foreign: (c) => disabledKeyPath(c, c.stranger),
    badId: { path: `/v1.0/accesskeys/${NOT_A_UUID}/enable` },
  },
  {
    method: 'get',
    path: '/v1.0/customer',
    allowed: EVERYONE,
    target: async () => ({ path: '/v1.0/customer' }),
  },
  {
    method: 'put',
    path: '/v1.0/customer',
    allowed: EVERYONE,
    target: async () => ({ path: '/v1.0/customer', body: { detail: 'matrix' } }),
    badBody: async () => ({ path: '/v1.0/customer', body: { permission: 1 } }),
  },
  {
    method: 'get',
    path: '/v1.0/customer/key-policy',
    allowed: EVERYONE,
    target: async () => ({ path: '/v1.0/customer/key-policy' }),
  },
  {
    method: 'put',
    path: '/v1.0/customer/key-policy',
    allowed: EVERYONE,
    target: async () => ({ path: '/v1.0/customer/key-policy', body: { leak_action: 'revoke' } }),
    badBody: async () => ({ path: '/v1.0/customer/key-policy', body: { leak_action: 'ignore' } }),
  },
  {
    method: 'get',
    path: '/v1.0/customers/{id}/key-policy',
    allowed: SUPER_ADMINS,
    target: async (c) => ({ path: `${await freshCustomer(c)}/key-policy` }),
    foreign: async () => ({ path: `/v1.0/customers/${randomUUID()}/key-policy` }),
    badId: { path: `/v1.0/customers/${NOT_A_UUID}/key-policy` },
  },
  {
    method: 'put',
    path: '/v1.0/customers/{id}/key-policy',
    allowed: SUPER_ADMINS,
    target: async (c) => ({ path: `${await freshCustomer(c)}/key-policy`, body: { leak_action: 'notify' } }),
    foreign: async () => ({ path: `/v1.0/customers/${randomUUID()}/key-policy`, body: {} }),
    badId: { path: `/v1.0/customers/${NOT_A_UUID}/key-policy`, body: {} },
    badBody: async (c) => ({ path: `${await freshCustomer(c)}/key-policy`, body: { max_lifetime: 1 } }),
  },
  {
    method: 'put',
    path: '/v1.0/customer/password',
    allowed: EVERYONE,
    // A leaked key must not be enough to take the account over.
    kinds: JWT_KINDS,
    // Changing the password to itself: the caller's other sessions end, its own goes on.
    target: async () => ({
      path: '/v1.0/customer/password',
      body: { old_password: PASSWORD, new_password: PASSWORD },
    }),
    badBody: async () => ({ path: '/v1.0/customer/password', body: { new_password: 'short' } }),
  },
  {
    method: 'post',
    path: '/v1.0/customer/totp',
    allowed: EVERYONE,
    kinds: JWT_KINDS,
    // Starts a pending enrolment, which nothing here confirms: the caller's logins stay as they were.
    target: async () => ({ path: '/v1.0/customer/totp' }),
  },
  {
    method: 'post',
    path: '/v1.0/customer/totp/confirm',
    allowed: EVERYONE,
    kinds: JWT_KINDS,
    // With no pending enrolment: 409, past authorization (confirming would change every later login).
    status: 409,
    target: async (c, caller) => {
      await c.t.ds.query('DELETE FROM totp_credentials WHERE customer_id = ?', [caller.customer.id]);
      return { path: '/v1.0/customer/totp/confirm', body: { otp: '123456' } };
    },
    badBody: async () => ({ path: '/v1.0/customer/totp/confirm', body: { otp: 5 } }),
  },
  {
    method: 'post',
    path: '/v1.0/customer/totp/disable',
    allowed: EVERYONE,
    kinds: JWT_KINDS,
    // Nothing enabled: 409, past authorization.
    status: 409,
    target: async () => ({ path: '/v1.0/customer/totp/disable', body: { otp: '123456' } }),
    badBody: async () => ({ path: '/v1.0/customer/totp/disable', body: {} }),
  },
  {
    method: 'post',
    path: '/auth/step-up',
    allowed: EVERYONE,
    kinds: JWT_KINDS,
    // Nothing enabled to step up with: 409, past authorization.
    status: 409,
    target: async () => ({ path: '/auth/step-up', body: { otp: '123456' } }),
    badBody: async () => ({ path: '/auth/step-up', body: { otp: [] } }),
  },
  {
    method: 'get',
    path: '/v1.0/customer/sessions',
    allowed: EVERYONE,
    kinds: JWT_KINDS,
    target: async () => ({ path: '/v1.0/customer/sessions' }),
    badBody: async () => ({ path: '/v1.0/customer/sessions?page_size=0' }),
  },
  {
    method: 'delete',
    path: '/v1.0/customer/sessions',
    allowed: EVERYONE,
    kinds: JWT_KINDS,
    target: async () => ({ path: '/v1.0/customer/sessions' }),
  },
  {
    method: 'delete',
    path: '/v1.0/customer/sessions/{id}',
    allowed: EVERYONE,
    kinds: JWT_KINDS,
    target: (c, caller) => sessionPath(c, caller.customer),
    foreign: (c) => sessionPath(c, c.stranger),
    badId: { path: `/v1.0/customer/sessions/${NOT_A_UUID}` },
  },
  {
    method: 'post',
    path: '/auth/logout',
    allowed: EVERYONE,
    kinds: JWT_KINDS,
    status: 204,
    target: async () => ({ path: '/auth/logout' }),
  },
  {
    method: 'post',
    path: '/v1.0/customers',
    allowed: SUPER_ADMINS,
    target: async () => ({
      path: '/v1.0/customers',
      body: { username: `m-${randomUUID().slice(0, 8)}`, password: 'a long password' },
    }),
    badBody: async () => ({ path: '/v1.0/customers', body: { username: 'x', password: 'short' } }),
  },
  {
    method: 'get',
    path: '/v1.0/customers',
    allowed: SUPER_ADMINS,
    target: async () => ({ path: '/v1.0/customers' }),
    badBody: async () => ({ path: '/v1.0/customers?page_size=-1' }),
  },
  {
    method: 'get',
    path: '/v1.0/customers/{id}',
    allowed: SUPER_ADMINS,
    target: async (c) => ({ path: await freshCustomer(c) }),
    foreign: async () => ({ path: `/v1.0/customers/${randomUUID()}` }),
    badId: { path: `/v1.0/customers/${NOT_A_UUID}` },
  },
  {
    method: 'put',
    path: '/v1.0/customers/{id}',
    allowed: SUPER_ADMINS,
    target: async (c) => ({ path: await freshCustomer(c), body: { name: 'matrix' } }),
    foreign: async () => ({ path: `/v1.0/customers/${randomUUID()}`, body: { name: 'matrix' } }),
    badId: { path: `/v1.0/customers/${NOT_A_UUID}`, body: { name: 'matrix' } },
    badBody: async (c) => ({ path: await freshCustomer(c), body: { permission: 2 } }),
  },
  {
    method: 'delete',
    path: '/v1.0/customers/{id}',
    allowed: SUPER_ADMINS,
    target: async (c) => ({ path: await freshCustomer(c) }),
    foreign: async () => ({ path: `/v1.0/customers/${randomUUID()}` }),
    badId: { path: `/v1.0/customers/${NOT_A_UUID}` },
  },
  {
    method: 'get',
    path: '/v1.0/audit',
    allowed: ADMINS,
    target: async () => ({ path: '/v1.0/audit' }),
    badBody: async () => ({ path: '/v1.0/audit?action=accesskey.stolen' }),
  },
  {
    method: 'get',
    path: '/v1.0/audit/verify',
    allowed: ADMINS,
    target: async () => ({ path: '/v1.0/audit/verify' }),
    badBody: async () => ({ path: '/v1.0/audit/verify?customer_id=x' }),
  },
  {
    method: 'get',
    path: '/v1.0/customer/webhook',
    allowed: EVERYONE,
    target: async () => ({ path: '/v1.0/customer/webhook' }),
  },
  {
    method: 'post',
    path: '/v1.0/customer/webhook-secret',
    allowed: EVERYONE,
    target: async () => ({ path: '/v1.0/customer/webhook-secret' }),
  },
  {
    method: 'post',
    path: '/v1.0/customer/webhook-test',
    allowed: EVERYONE,
    status: 202,
    target: async (c, caller) => {
      await c.t.ds.query('UPDATE customers SET webhook_uri = ? WHERE id = ?', [
        'http://127.0.0.1:9/matrix',
        caller.customer.id,
      ]);
      return { path: '/v1.0/customer/webhook-test' };
    },
  },
  {
    method: 'get',
    path: '/v1.0/webhook-deliveries',
    allowed: ADMINS,
    target: async () => ({ path: '/v1.0/webhook-deliveries' }),
    badBody: async () => ({ path: '/v1.0/webhook-deliveries?status=lost' }),
  },
  {
    method: 'post',
    path: '/auth/introspect',
    allowed: SUPER_ADMINS,
    target: async (c) => ({ path: '/auth/introspect', body: { token: c.callers.admin.key } }),
    badBody: async () => ({ path: '/auth/introspect', body: { token: 5 } }),
  },
  {
    method: 'post',
    path: '/v1.0/auth/explain',
    allowed: EVERYONE,
    target: async () => ({ path: '/v1.0/auth/explain', body: { method: 'GET', path: '/v1.0/accesskeys' } }),
    badBody: async () => ({ path: '/v1.0/auth/explain', body: { method: 'FETCH', path: 'accesskeys' } }),
  },
];

/** Sends `target` with `caller`'s credential of `kind`, or none. */
function send(c: Context, route: Route, target: Target, caller?: CallerState, kind?: Kind) {
  const query: Record<string, string> = {};
  let req = request(c.t.http)[route.method](target.path);
  if (caller && kind === 'bearer jwt') req = req.set('authorization', `Bearer ${caller.jwt}`);
  if (caller && kind === 'bearer key') req = req.set('authorization', `Bearer ${caller.key}`);
  if (caller && kind === 'cookie') req = req.set('cookie', `token=${caller.jwt}`);
  if (caller && kind === 'same-origin cookie') {
    req = req.set('cookie', `token=${caller.jwt}`).set('sec-fetch-site', 'same-origin');
  }
  if (caller && kind === '?token=') query.token = caller.jwt;
  if (caller && kind === '?accesskey=') query.accesskey = caller.key;
  req = req.query(query);
  return target.body === undefined ? req : req.send(target.body);
}

describe.each(DATABASES)('the auth matrix of every route on $name', (database) => {
  const c = {} as Context;

  beforeAll(async () => {
    c.t = await startApp(await database.prepare('routes'));
    const make = async (permission: number, scopes?: string[]): Promise<CallerState> => {
      const customer = await insertCustomer(c.t.ds, { permission });
      // It outlives the keys it manages here (a key manages no key that lives longer than itself).
      const tmExpire = new Date(Date.now() + 30 * 86400_000);
      const { token: key } = await insertAccessKey(c.t.ds, customer.id, {
        tmExpire,
        ...(scopes && { scopes }),
      });
      return { customer, jwt: await login(c.t.http, customer.username, PASSWORD), key };
    };
    c.callers = {
      admin: await make(Permission.CustomerAdmin),
      manager: await make(Permission.CustomerManager),
      superAdmin: await make(Permission.ProjectSuperAdmin | Permission.CustomerAdmin, [
        '*:write',
        'customers:write',
        'introspect:read',
      ]),
    };
    c.stranger = await insertCustomer(c.t.ds);
  });
  afterAll(() => c.t.close());

  it('covers every protected operation of the OpenAPI document', async () => {
    const doc = (await request(c.t.http).get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const protectedOps = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => (op.security ?? []).length > 0)
        .map(([method]) => `${method} ${path}`),
    );
    expect(protectedOps.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  describe.each(ROUTES.map((route) => [`${route.method.toUpperCase()} ${route.path}`, route] as const))(
    '%s',
    (_name, route) => {
      it('answers 401 AUTHENTICATION_REQUIRED without a credential', async () => {
        const res = await send(c, route, await route.target(c, c.callers.admin));
        expect(res.status).toBe(401);
        expect(res.body.error.reason).toBe('AUTHENTICATION_REQUIRED');
      });

      it('answers 2xx to each kind of credential of a caller that may, and 403 to the others', async () => {
        for (const caller of CALLERS) {
          for (const kind of KINDS) {
            const state = c.callers[caller];
            const res = await send(c, route, await route.target(c, state), state, kind);
            const may =
              route.allowed.includes(caller) &&
              (route.kinds ?? KINDS).includes(kind) &&
              !(kind === 'cookie' && route.method !== 'get');
            expect([caller, kind, res.status]).toEqual([caller, kind, may ? (route.status ?? 200) : 403]);
            if (kind === 'cookie' && route.method !== 'get') {
              expect(res.body.error.reason).toBe('CROSS_SITE_REQUEST');
            }
            // A logout ends the caller's session: the next call needs a new one.
            if (route.path === '/auth/logout' && may) {
              state.jwt = await login(c.t.http, state.customer.username, PASSWORD);
            }
          }
        }
      });

      if (route.foreign) {
        it("answers 404 for another customer's object, as for a missing one", async () => {
          const res = await send(c, route, await route.foreign!(c), c.callers.superAdmin, 'bearer jwt');
          expect(res.status).toBe(404);
        });
      }

      if (route.badId) {
        it('answers 400 INVALID_ID for an id that is not a UUID', async () => {
          const res = await send(c, route, route.badId!, c.callers.superAdmin, 'bearer jwt');
          expect(res.status).toBe(400);
          expect(res.body.error.reason).toBe('INVALID_ID');
        });
      }

      if (route.badBody) {
        it('answers 400 with details for a bad body or query', async () => {
          const state = c.callers.superAdmin;
          const res = await send(c, route, await route.badBody!(c, state), state, 'bearer jwt');
          expect(res.status).toBe(400);
          expect(res.body.error.details.length).toBeGreaterThan(0);
        });
      }
    },
  );
});
