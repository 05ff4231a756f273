import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import request from 'supertest';
import { Permission } from '../src/customers/customer.entity.js';
import { login, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD, truncate } from './support/factories.js';

const METHODS = ['get', 'post', 'put', 'delete'] as const;

/** Keys a body or query may carry: the real field names, prototype-pollution names, and anything. */
const fieldName = fc.oneof(
  fc.constantFrom(
    'name',
    'detail',
    'expire',
    'grace',
    'username',
    'password',
    'old_password',
    'new_password',
    'permission',
    'email',
    'phone_number',
    'address',
    'webhook_method',
    'webhook_uri',
    'page_size',
    'page_token',
    'token',
    'accesskey',
    '__proto__',
    'constructor',
    'prototype',
  ),
  fc.string({ maxLength: 12 }),
);

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.integer({ min: -1e12, max: 1e12 }),
  fc.double(),
  fc.constantFrom(86400, 315360000, 0, -1, 1e308, '86400', 'a'.repeat(5000), null, true, [], {}),
);

/** JSON nested from a little to far past what a recursive walk of it survives. */
const deep = fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean()).map(([depth, arrays]) => ({
  raw: arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"name":'.repeat(depth) + '1' + '}'.repeat(depth),
}));

const body = fc.oneof(
  fc.dictionary(fieldName, value, { maxKeys: 6 }),
  fc.jsonValue({ maxDepth: 4 }),
  // Not JSON at all, though sent as JSON.
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ raw: text })),
  deep,
);

const JSON_TYPE = 'application/json';

/** What a body is sent as: JSON mostly, else what an HTML form or another client would send. */
const contentType = fc.oneof(
  { arbitrary: fc.constant(JSON_TYPE), weight: 4 },
  fc.constantFrom(
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'text/plain',
    'text/plain; charset=utf-8',
    'application/xml',
    'application/json-patch+json',
  ),
);

/** A body as a form would encode it. */
const formBody = fc
  .dictionary(fieldName, fc.string({ maxLength: 40 }), { maxKeys: 5 })
  .map((fields) => new URLSearchParams(fields).toString());

/**
 * Property: whatever is sent to whichever route, the service never answers 5xx, and every error is
 * the envelope of API.md with the request's id.
 */
describe.each(DATABASES)('arbitrary input on $name', (database) => {
  let t: TestApp;
  let routes: { method: (typeof METHODS)[number]; path: string }[];
  let credentials: Record<string, string>[];
  let ids: string[];

  beforeAll(async () => {
    t = await startApp(await database.prepare('fuzz'));
    await truncate(t.ds);
    await insertCustomer(t.ds, { username: 'root', permission: Permission.ProjectSuperAdmin });
    const other = await insertCustomer(t.ds, { username: 'other' });
    const { token } = await insertAccessKey(t.ds, other.id);
    // The runs may rename, demote or delete these; the credentials above must outlive them all.
    const victim = await insertCustomer(t.ds, { username: 'victim' });
    const { key: victimKey } = await insertAccessKey(t.ds, other.id);
    const jwt = await login(t.http, 'root', PASSWORD);
    credentials = [
      {},
      { authorization: `Bearer ${jwt}` },
      { authorization: `Bearer ${token}` },
      { authorization: 'Bearer not-a-credential' },
      { authorization: 'Basic cm9vdDpyb290' },
    ];
    ids = [victimKey.id, victim.id, '00000000-0000-4000-8000-000000000000'];
    const doc = (await request(t.http).get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    routes = Object.entries(doc.paths).flatMap(([path, operations]) =>
      METHODS.filter((method) => method in operations).map((method) => ({ method, path })),
    );
    expect(routes.length).toBeGreaterThanOrEqual(18);
  });
  afterAll(() => t.close());

  it('answers every request below 500, and every error with the envelope', async () => {
    const pathId = fc.oneof(
      fc.constantFrom(...ids),
      fc.string({ maxLength: 60 }),
      // Longer than the router takes in a path parameter.
      fc.string({ minLength: 101, maxLength: 3000 }),
    );
    const query = fc.dictionary(fieldName, fc.oneof(fc.string({ maxLength: 80 }), fc.array(fc.string())), {
      maxKeys: 4,
    });
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.constantFrom(...credentials),
        pathId,
        query,
        body,
        contentType,
        formBody,
        async (route, headers, id, params, payload, type, form) => {
          const path = route.path.replace('{id}', encodeURIComponent(id));
          let req = request(t.http)[route.method](path).set(headers).query(params);
          const sendsBody = route.method === 'post' || route.method === 'put';
          if (sendsBody) {
            const raw = (payload as { raw?: unknown } | null)?.raw;
            const json = typeof raw === 'string' ? raw : JSON.stringify(payload);
            req = req.set('content-type', type).send(type === JSON_TYPE ? json : form || json);
          }
          const res = await req;
          seen.add(res.status);
          expect(res.status).toBeLessThan(500);
          // The API reads JSON alone: anything else is refused before it reaches a handler (or the
          // router refuses the path first). Login alone reads any body as JSON, as VoIPBIN does.
          if (sendsBody && type !== JSON_TYPE && route.path !== '/auth/login') {
            expect([414, 415]).toContain(res.status);
          }
          if (route.path.includes('{id}') && id.length > 100) expect(res.status).toBe(414);
          if (res.status >= 400) {
            expect(res.body).toEqual({
              error: {
                status: expect.stringMatching(/^[A-Z_]+$/),
                reason: expect.stringMatching(/^[A-Z_]+$/),
                message: expect.any(String),
                request_id: res.headers['x-request-id'],
                details: expect.any(Array),
              },
            });
          }
        },
      ),
      { numRuns: 600 },
    );
    // The input reached past authentication and validation, not only the first 401.
    expect([...seen]).toEqual(expect.arrayContaining([200, 400, 401, 403, 404, 414, 415]));
  }, 120_000);
});
