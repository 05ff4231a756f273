import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ADMIN_PASSWORD, ADMIN_USERNAME, login, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';

interface OpenApiContent {
  'application/json'?: {
    schema: { $ref?: string };
    examples?: Record<string, { value: { error: Record<string, unknown> } }>;
  };
}
interface OpenApiOperation {
  summary?: string;
  security?: Record<string, unknown>[];
  requestBody?: { content: OpenApiContent };
  responses: Record<string, { content?: OpenApiContent }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, { properties: Record<string, { example?: unknown }> }> };
}

describe.each(DATABASES)('the HTTP service on $name', (database) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(await database.prepare('service'));
  });
  afterAll(() => t.close());

  it('GET /health answers 200 without a credential', async () => {
    const res = await request(t.http).get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers an unknown route with the 404 envelope, without echoing the URL', async () => {
    const res = await request(t.http).get('/v1.0/nothing-here?token=secret-value').expect(404);
    expect(res.body.error).toMatchObject({ status: 'NOT_FOUND', reason: 'ROUTE_NOT_FOUND', details: [] });
    expect(JSON.stringify(res.body)).not.toContain('secret-value');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('echoes a safe X-Request-Id and uses it in the error body', async () => {
    const res = await request(t.http).get('/v1.0/customer').set('x-request-id', 'client-id_42').expect(401);
    expect(res.headers['x-request-id']).toBe('client-id_42');
    expect(res.body.error.request_id).toBe('client-id_42');
  });

  it('replaces an unsafe X-Request-Id with its own', async () => {
    for (const offered of ['has spaces', 'x'.repeat(65), 'semi;colon']) {
      const res = await request(t.http).get('/health').set('x-request-id', offered).expect(200);
      expect(res.headers['x-request-id']).toMatch(/^req_[A-Za-z0-9_-]+$/);
    }
    const a = await request(t.http).get('/health');
    const b = await request(t.http).get('/health');
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('answers 415 for a body that is not JSON (login reads any body as JSON), 413 for one over 100 kB', async () => {
    const text = await request(t.http)
      .post('/v1.0/accesskeys')
      .set('content-type', 'text/plain')
      .send('hello')
      .expect(415);
    expect(text.body.error.reason).toBe('UNSUPPORTED_MEDIA_TYPE');
    const login = await request(t.http)
      .post('/auth/login')
      .set('content-type', 'text/plain')
      .send('hello')
      .expect(400);
    expect(login.body.error.reason).toBe('INVALID_JSON_BODY');
    const big = await request(t.http)
      .post('/auth/login')
      .send({ username: 'a', password: 'p'.repeat(101 * 1024) })
      .expect(413);
    expect(big.body.error.reason).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses prototype-pollution keys in a JSON body with 400, naming the field, and merges nothing', async () => {
    const res = await request(t.http)
      .post('/auth/login')
      .set('content-type', 'application/json')
      .send(
        '{"username":"nobody","password":"x","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
      );
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      reason: 'INVALID_ARGUMENT',
      details: [{ field: expect.stringMatching(/^(__proto__|constructor)$/) }],
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('sends the OWASP REST headers on every JSON answer, authenticated ones, errors and unknown routes included', async () => {
    const session = await login(t.http, ADMIN_USERNAME, ADMIN_PASSWORD);
    const owasp = {
      'cache-control': 'no-store',
      'content-security-policy': "frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    };
    for (const res of [
      await request(t.http).get('/health').expect(200),
      await request(t.http).get('/v1.0/customer').expect(401),
      await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${session}`).expect(200),
      await request(t.http).get('/no/such/route').expect(404),
    ]) {
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers).toEqual(expect.objectContaining(owasp));
      // Over plain HTTP, HSTS means nothing and is not sent (see the attacks spec for TLS).
      expect(res.headers['strict-transport-security']).toBeUndefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it("sends helmet's full set on the pages a browser renders: the admin page and Swagger UI", async () => {
    const names = [
      'content-security-policy',
      'cross-origin-opener-policy',
      'cross-origin-resource-policy',
      'origin-agent-cluster',
      'referrer-policy',
      'x-content-type-options',
      'x-dns-prefetch-control',
      'x-download-options',
      'x-frame-options',
      'x-permitted-cross-domain-policies',
      'x-xss-protection',
    ];
    const admin = await request(t.http).get('/admin/').expect(200);
    const docs = await request(t.http).get('/docs').redirects(1).expect(200);
    for (const page of [admin, docs]) {
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toContain("default-src 'self'");
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'self'");
      expect(page.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      expect(page.headers['strict-transport-security']).toBeUndefined();
      for (const name of names) expect([name, page.headers[name]]).toEqual([name, admin.headers[name]]);
    }
  });

  it('publishes the OpenAPI document with the three security schemes and every route', async () => {
    const res = await request(t.http).get('/docs-json').expect(200);
    const doc = res.body as {
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
    };
    expect(doc.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      token: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'token' }),
      accesskey: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'accesskey' }),
    });
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/',
      '/.well-known/jwks.json',
      '/auth/introspect',
      '/auth/login',
      '/auth/logout',
      '/auth/session',
      '/auth/step-up',
      '/health',
      '/metrics',
      '/ready',
      '/v1.0/accesskeys',
      '/v1.0/accesskeys/{id}',
      '/v1.0/accesskeys/{id}/enable',
      '/v1.0/accesskeys/{id}/roll',
      '/v1.0/audit',
      '/v1.0/audit/verify',
      '/v1.0/auth/explain',
      '/v1.0/credentials/revoke',
      '/v1.0/customer',
      '/v1.0/customer/key-policy',
      '/v1.0/customer/password',
      '/v1.0/customer/sessions',
      '/v1.0/customer/sessions/{id}',
      '/v1.0/customer/totp',
      '/v1.0/customer/totp/confirm',
      '/v1.0/customer/totp/disable',
      '/v1.0/customer/webhook',
      '/v1.0/customer/webhook-secret',
      '/v1.0/customer/webhook-test',
      '/v1.0/customers',
      '/v1.0/customers/{id}',
      '/v1.0/customers/{id}/key-policy',
      '/v1.0/scopes',
      '/v1.0/secret-scanning/github',
      '/v1.0/webhook-deliveries',
    ]);
    expect(doc.paths['/v1.0/accesskeys'].get.security).toEqual([
      { bearer: [] },
      { token: [] },
      { accesskey: [] },
    ]);
    expect(doc.paths['/auth/login'].post.security).toBeUndefined();
    expect(doc.paths['/.well-known/jwks.json'].get.security).toBeUndefined();
    expect(doc.paths['/auth/introspect'].post.security).toHaveLength(3);
    const ui = await request(t.http).get('/docs').redirects(1).expect(200);
    expect(ui.text).toContain('swagger');
  });

  it('documents every operation: a summary, its bodies with examples, and the envelope on each error', async () => {
    const doc = (await request(t.http).get('/docs-json').expect(200)).body as OpenApiDocument;
    const schemas = doc.components.schemas;
    const bodySchema = (content: OpenApiContent | undefined) => {
      const ref = content?.['application/json']?.schema.$ref ?? '';
      return schemas[ref.replace('#/components/schemas/', '')];
    };
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ route: `${method} ${path}`, operation })),
    );
    expect(operations).toHaveLength(45);

    for (const { route, operation } of operations) {
      expect({ route, summary: operation.summary }).toEqual({ route, summary: expect.stringMatching(/\w/) });
      if (operation.requestBody) {
        const properties = Object.entries(bodySchema(operation.requestBody.content).properties);
        expect(properties.length).toBeGreaterThan(0);
        for (const [name, property] of properties)
          expect({ route, name, property }).toHaveProperty('property.example');
      }
      const success = ['200', '202', '204'];
      expect(success.filter((code) => code in operation.responses)).toHaveLength(1);

      for (const [code, response] of Object.entries(operation.responses)) {
        if (success.includes(code)) continue;
        const json = response.content?.['application/json'];
        expect({ route, code, schema: json?.schema }).toEqual({
          route,
          code,
          schema: { $ref: '#/components/schemas/ErrorEnvelopeDto' },
        });
        const examples = Object.values(json?.examples ?? {});
        expect(examples.length).toBeGreaterThan(0);
        for (const { value } of examples) {
          expect(value.error).toEqual({
            status: expect.stringMatching(/^[A-Z_]+$/),
            reason: expect.stringMatching(/^[A-Z_]+$/),
            message: expect.any(String),
            request_id: expect.stringMatching(/^req_/),
            details: expect.any(Array),
          });
        }
      }
      if (operation.security) {
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '503']));
      }
    }

    const keyById = doc.paths['/v1.0/accesskeys/{id}'];
    for (const method of ['get', 'put', 'delete']) {
      const examples = keyById[method].responses['404'].content?.['application/json']?.examples ?? {};
      expect(Object.keys(examples)).toEqual(['ACCESSKEY_NOT_FOUND']);
    }
    const unauthorized = doc.paths['/v1.0/accesskeys'].get.responses['401'].content?.['application/json'];
    expect(Object.keys(unauthorized?.examples ?? {}).sort()).toEqual([
      'AUTHENTICATION_REQUIRED',
      'INVALID_CREDENTIALS',
    ]);
    const login = doc.paths['/auth/login'].post.responses;
    expect(Object.keys(login).sort()).toEqual(['200', '400', '401', '429', '503']);
  });
});
