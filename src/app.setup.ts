import type { Duplex } from 'node:stream';
import fastifyCookie from '@fastify/cookie';
import { Logger } from '@nestjs/common';
import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { resolveSecurityHeaders } from '@nestjs/core/security/security-headers.js';
import type { FastifyBodyParser, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerAdminPage } from './admin/admin-page.js';
import { clientErrorResponse, sendError } from './common/error-envelope.js';
import { ApiError } from './common/api-error.js';
import { readLoginBodyAsJson } from './auth/login-body.js';
import { RequestLog } from './common/logging.js';
import { requestIdFor } from './common/request-id.js';
import { AppConfig } from './config/app-config.js';
import { Draining } from './health/draining.js';
import { MetricsService } from './metrics/metrics.service.js';
import { jsonBody } from './common/json-body.js';

const BODY_LIMIT = 100 * 1024;
/**
 * A whole request (headers and body) must arrive within this, and its headers within the second:
 * a client trickling bytes holds a connection no longer. 100 kB (the body limit) in 15 s is 7 kB/s.
 */
const REQUEST_TIMEOUT_MS = 15_000;
const HEADERS_TIMEOUT_MS = 10_000;
/** How often Node checks connections against those two timeouts (its default is 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** helmet's default, sent only where the browser will honour it: over TLS. */
const HSTS = 'max-age=31536000; includeSubDomains';
/** The OWASP REST set, on every answer: a JSON answer is never cached, framed, sniffed or referred. */
const API_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy': "frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};
/**
 * helmet's full set (as Nest's useSecurityHeaders resolves it), for what a browser renders: the
 * admin page and Swagger UI. Less `upgrade-insecure-requests`: served over plain HTTP on any host
 * but localhost, it makes the browser fetch those pages' own scripts over HTTPS, which fails; both
 * load only same-origin, relative URLs, so it protects nothing here. HSTS comes from the request
 * hook, over TLS only.
 */
const PAGE_HEADERS: Record<string, string> = Object.fromEntries(
  resolveSecurityHeaders({
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
  }).headers.map(([name, value]) => [name.toLowerCase(), value]),
);

const logger = new Logger('Errors');

/** `trustProxy`: whom to believe about X-Forwarded-For (the client IP) and X-Forwarded-Proto. */
export function createAdapter(trustProxy: boolean | number | string = false): FastifyAdapter {
  const adapter = new FastifyAdapter({
    // A hop count is valid at runtime (proxy-addr), though the typings omit it.
    trustProxy: trustProxy as boolean | string,
    genReqId: requestIdFor,
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT,
    // A `__proto__` or `constructor.prototype` key in a JSON body is dropped, never merged.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    // A request read while shutting down is served like any other (not answered 503 outside the
    // envelope): the shutdown waits for it anyway.
    return503OnClosing: false,
    requestTimeout: REQUEST_TIMEOUT_MS,
    http: { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS },
    // The router's errors (a path that is not a valid URL, a path parameter too long) and the HTTP
    // parser's are the envelope too, and echo nothing of the request.
    frameworkErrors: (error: Error, req: FastifyRequest, reply: FastifyReply) => {
      void reply.headers(API_HEADERS).header('x-request-id', req.id);
      sendError(reply, req, error, logger);
    },
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Duplex) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      if (socket.writable) socket.write(clientErrorResponse(error.code));
      socket.destroy(error);
    },
  });
  // Every answer carries the security headers and the request id, errors answered before any
  // handler included, and, when it came over TLS (or through a trusted proxy that says so), HSTS:
  // over plain HTTP it means nothing. Set through Fastify (not Node's setHeader and its merge).
  const server = adapter.getInstance();
  server.addHook('onRequest', (req, reply, done) => {
    void reply.headers(API_HEADERS).header('x-request-id', req.id);
    if (req.protocol === 'https') void reply.header('strict-transport-security', HSTS);
    done();
  });
  // A page (anything but JSON: the admin page, Swagger UI and their assets) gets helmet's full set.
  server.addHook('onSend', (_req, reply, payload, done) => {
    const type = reply.getHeader('content-type');
    if (typeof type !== 'string' || !type.startsWith('application/json')) void reply.headers(PAGE_HEADERS);
    done(null, payload);
  });
  return adapter;
}

type BodyParser = FastifyBodyParser<Buffer>;

/**
 * Request bodies, in this one place. The API reads JSON only (`jsonBody`). Every other content
 * type, or a body without one, reaches `otherMediaType`, which refuses it with 415: an HTML form
 * (`application/x-www-form-urlencoded`, `multipart/form-data`, `text/plain`) can post across
 * sites with the login cookie, and none of them is read. The one route that reads JSON whatever its
 * type, POST /auth/login, has it retyped before parsing (auth/login-body.ts); another would be given
 * its parser in `otherMediaType`, by its route (`req.routeOptions.url`). Registered through Nest
 * (`useBodyParser`), so that Nest adds neither its JSON nor its form parser.
 */
function registerBodyParsers(app: NestFastifyApplication): void {
  const server: FastifyInstance = app.getHttpAdapter().getInstance();
  server.removeAllContentTypeParsers();
  app.useBodyParser('application/json', { bodyLimit: BODY_LIMIT }, jsonBody(server));
  app.useBodyParser('*', { bodyLimit: BODY_LIMIT }, otherMediaType);
}

const otherMediaType: BodyParser = (_req, _body, done) => {
  done(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json.'), undefined);
};

/**
 * Browser clients on other origins (VoIPBIN's own console among them) may read every answer, as
 * VoIPBIN allows. Credentials travel in the Authorization header, never as cookies: the `token`
 * cookie stays same-site, so no answer ever allows credentials. A preflight is answered here,
 * before routing, so it never reaches the guard or the login throttle.
 */
function corsOptions(config: AppConfig): FastifyCorsOptions {
  return {
    origin: config.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'Accesskey-Expires'],
    credentials: false,
    maxAge: 600,
    // An OPTIONS without Origin is answered 204 as well, rather than with a text/plain 400.
    strictPreflight: false,
  };
}

function setupSwagger(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('VoIPBIN authentication and access keys')
    .setDescription(
      'Log in for a JWT, manage access keys, and authenticate with either. ' +
        'Authorize with one of: a Bearer JWT (or access key), `?token=<jwt>`, `?accesskey=<key>`.',
    )
    .setVersion('1.0')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'A login JWT, or an access key (vb_...)' },
      'bearer',
    )
    .addApiKey({ type: 'apiKey', in: 'query', name: 'token', description: 'A login JWT' }, 'token')
    .addApiKey({ type: 'apiKey', in: 'query', name: 'accesskey', description: 'An access key' }, 'accesskey')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    // What is typed into Authorize stays in the page's memory, as with the admin page: kept in
    // localStorage, a credential would outlive the tab and be readable by any script of this origin.
    swaggerOptions: { persistAuthorization: false },
  });
}

/**
 * Everything the HTTP layer needs besides the modules: shared by main.ts and the end-to-end tests,
 * so both run the same server. Call before `app.init()`.
 */
export async function configureApp(app: NestFastifyApplication): Promise<void> {
  registerBodyParsers(app);
  readLoginBodyAsJson(app.getHttpAdapter().getInstance());
  await app.register(fastifyCookie);
  await app.register(fastifyCors, corsOptions(app.get(AppConfig)));
  setupSwagger(app);
  await registerAdminPage(app);
  registerRequestHooks(app);
}

/**
 * Each answered request is logged and measured once, from one hook; an aborted one is logged.
 * While draining, every answer closes its connection (Node ends it after the response).
 */
function registerRequestHooks(app: NestFastifyApplication): void {
  const server = app.getHttpAdapter().getInstance();
  const log = app.get(RequestLog);
  const metrics = app.get(MetricsService);
  const draining = app.get(Draining);
  server.addHook('onSend', (_req, reply, payload, done) => {
    if (draining.active) void reply.header('connection', 'close');
    done(null, payload);
  });
  server.addHook('onResponse', (req, reply, done) => {
    log.completed(req, reply);
    metrics.observeRequest(req, reply);
    done();
  });
  server.addHook('onRequestAbort', (req, done) => {
    log.aborted(req);
    done();
  });
}
