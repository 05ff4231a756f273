import fastifyCookie from '@fastify/cookie';
import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { registerAdminPage } from './admin/admin-page.js';
import { readLoginBodyAsJson } from './auth/login-body.js';
import { RequestLog } from './common/logging.js';
import { requestIdFor } from './common/request-id.js';
import { AppConfig } from './config/app-config.js';
import { Draining } from './health/draining.js';
import { MetricsService } from './metrics/metrics.service.js';

const BODY_LIMIT = 100 * 1024;

/** `trustProxy`: whom to believe about X-Forwarded-For (the client IP that login throttling counts). */
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
  });
  // Every answer carries the request id, errors answered before any handler included.
  adapter.getInstance().addHook('onRequest', (req, reply, done) => {
    void reply.header('x-request-id', req.id);
    done();
  });
  return adapter;
}

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
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
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
    swaggerOptions: { persistAuthorization: true },
  });
}

/**
 * Everything the HTTP layer needs besides the modules: shared by main.ts and the end-to-end tests,
 * so both run the same server. Call before `app.init()`.
 */
export async function configureApp(app: NestFastifyApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();

  // JSON only: a text/plain body is answered 415 rather than parsed as a string.
  fastify.removeContentTypeParser('text/plain');
  readLoginBodyAsJson(fastify);

  await app.register(fastifyCookie);
  await app.register(fastifyCors, corsOptions(app.get(AppConfig)));
  app.useSecurityHeaders({
    // helmet's defaults, less `upgrade-insecure-requests`: served over plain HTTP on any host but
    // localhost, that directive makes the browser fetch the admin page's and Swagger UI's own
    // scripts over HTTPS, which fails. Both pages load only same-origin, relative URLs, so the
    // directive protects nothing here.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    referrerPolicy: { policy: 'no-referrer' },
  });
  setupSwagger(app);
  await registerAdminPage(app);
  registerRequestHooks(app);
}

/**
 * Each answered request is logged and measured once, from one hook; an aborted one is logged.
 * While draining, every answer closes its connection (Node ends it after the response).
 */
function registerRequestHooks(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const log = app.get(RequestLog);
  const metrics = app.get(MetricsService);
  const draining = app.get(Draining);
  fastify.addHook('onSend', (_req, reply, payload, done) => {
    if (draining.active) void reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    log.completed(req, reply);
    metrics.observeRequest(req, reply);
    done();
  });
  fastify.addHook('onRequestAbort', (req, done) => {
    log.aborted(req);
    done();
  });
}
