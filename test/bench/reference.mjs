#!/usr/bin/env node
// Reference servers (Fastify alone, NestJS alone, NestJS with Passport), for the bench to measure beside the
// service in the same run: each answers GET /v1.0/customer with the same ~200-byte JSON as the bare
// node:http baseline. Usage:
//   node test/bench/reference.mjs <kind> <port> [<access key> <jwt secret> [<mysql url>]]
//   fastify        Fastify alone
//   http-mysql     bare node:http + one mysql2 prepared statement per request: the service's
//                  credential lookup (key and customer together, by the key's hash), no entities
//   fastify-mysql  Fastify alone + the same statement
//   nest           NestJS on Fastify, no authentication
//   nest-guard     NestJS on Fastify + a plain guard, the key in an in-memory Map
//   nest-custom    NestJS on Fastify + @nestjs/passport with passport-custom, the key in a Map
//   nest-jwt       NestJS on Fastify + @nestjs/passport with passport-jwt (HS256, a KeyObject)
//   nest-custom-ops  nest-custom + what this service puts on every answer, done as the
//                  service does it: request id, security headers (app.useSecurityHeaders),
//                  `cache-control: no-store`, a pino line per request, a prom-client histogram
//   nest-custom-ops-async   the same, the line through pino's asynchronous destination (buffered)
//   nest-custom-ops-worker  the same, the line through a worker-thread transport (pino.transport)
//   nest-custom-ops-errors  the same, a line only for 4xx/5xx answers (LOG_REQUESTS=errors): none here
import { createHash, createSecretKey, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import mysql from 'mysql2';
import { pino } from 'pino';
import { Histogram, Registry } from 'prom-client';
import { Controller, Get, Injectable, Module, UnauthorizedException } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import Fastify from 'fastify';
import { Strategy as CustomStrategy } from 'passport-custom';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';

const [kind, port, accessKey = '', secret = '', mysqlUrl = ''] = process.argv.slice(2);
const BODY = {
  id: randomUUID(),
  username: 'bench-admin',
  name: 'Administrator',
  detail: 'created at first start',
  permission: 33,
  tm_create: new Date().toISOString(),
  tm_update: null,
  tm_delete: null,
};
const keys = new Map([[accessKey, { id: BODY.id }]]);
const bearer = (req) => /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];

function decorate(target, member, ...decorators) {
  if (member === undefined) return decorators.reduce((cls, d) => d(cls) ?? cls, target);
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, member);
  for (const d of decorators) d(target.prototype, member, descriptor);
}

class CustomerController {
  get() {
    return BODY;
  }
}
decorate(CustomerController, 'get', Get('customer'));
decorate(CustomerController, undefined, Controller('v1.0'));

class PlainGuard {
  canActivate(context) {
    const req = context.switchToHttp().getRequest();
    const principal = keys.get(bearer(req));
    if (!principal) throw new UnauthorizedException();
    req.user = principal;
    return true;
  }
}

class MapStrategy extends PassportStrategy(CustomStrategy, 'map') {
  validate(req) {
    return keys.get(bearer(req)) ?? null;
  }
}

class KeyObjectJwtStrategy extends PassportStrategy(JwtStrategy, 'jwt') {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: createSecretKey(Buffer.from(secret)),
      algorithms: ['HS256'],
    });
  }
  validate(claims) {
    return claims;
  }
}

const guards = {
  nest: [],
  'nest-guard': [{ provide: APP_GUARD, useClass: decorate(PlainGuard, undefined, Injectable()) }],
  'nest-custom': [
    decorate(MapStrategy, undefined, Injectable()),
    { provide: APP_GUARD, useClass: AuthGuard('map') },
  ],
  'nest-custom-ops': [
    decorate(MapStrategy, undefined, Injectable()),
    { provide: APP_GUARD, useClass: AuthGuard('map') },
  ],
  ...Object.fromEntries(
    ['async', 'worker', 'errors'].map((log) => [
      `nest-custom-ops-${log}`,
      [decorate(MapStrategy, undefined, Injectable()), { provide: APP_GUARD, useClass: AuthGuard('map') }],
    ]),
  ),
  'nest-jwt': [
    decorate(KeyObjectJwtStrategy, undefined, Injectable()),
    { provide: APP_GUARD, useClass: AuthGuard('jwt') },
  ],
};

/** The operations features, all of them unless REFERENCE_OPS lists some (rid,headers,log,histogram). */
const OPS = new Set((process.env.REFERENCE_OPS ?? 'rid,headers,log,histogram').split(','));

/** The request log of each -ops kind: where its lines go (all to stdout), and which are written. */
function requestLogger() {
  if (kind.endsWith('-worker'))
    return pino(pino.transport({ target: 'pino/file', options: { destination: 1 } }));
  if (kind.endsWith('-async')) return pino(pino.destination({ dest: 1, sync: false }));
  return pino();
}

function operations(fastify) {
  const logger = requestLogger();
  const errorsOnly = kind.endsWith('-errors');
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'duration',
    labelNames: ['method', 'route', 'status_code'],
    registers: [new Registry()],
  });
  if (OPS.has('rid')) {
    fastify.addHook('onRequest', (req, reply, done) => {
      reply.header('x-request-id', req.id);
      reply.header('cache-control', 'no-store');
      done();
    });
  }
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url;
    if (OPS.has('log') && (!errorsOnly || reply.statusCode >= 400))
      logger.info(
        {
          request_id: req.id,
          req: { method: req.method, url: req.url },
          route,
          res: { status: reply.statusCode },
          duration_ms: Math.round(reply.elapsedTime),
        },
        'request completed',
      );
    if (OPS.has('histogram'))
      histogram.observe(
        { method: req.method, route, status_code: reply.statusCode },
        reply.elapsedTime / 1000,
      );
    done();
  });
}

/** The service's access-key lookup (accesskeys/access-key.repository.ts), word for word. */
const FIND_BY_TOKEN_HASH = `SELECT k.id, k.customer_id, k.token_hash, k.tm_expire, k.tm_previous_expire,
    k.tm_last_used, k.scopes, k.allowed_cidrs, k.quarantined, c.username, c.permission
  FROM access_keys k INNER JOIN customers c ON c.id = k.customer_id
  WHERE (k.token_hash = ? OR k.previous_token_hash = ?) AND k.tm_delete IS NULL AND c.tm_delete IS NULL`;

/** The caller's key and customer, one prepared statement on a pool the size of the service's. */
function keyLookup() {
  const pool = mysql.createPool({ uri: mysqlUrl, connectionLimit: 10, timezone: 'Z' });
  return (req) =>
    new Promise((resolve, reject) => {
      const hash = createHash('sha256')
        .update(bearer(req) ?? '')
        .digest('hex');
      pool.execute(FIND_BY_TOKEN_HASH, [hash, hash], (error, rows) =>
        error ? reject(error) : resolve(rows[0]),
      );
    });
}

if (kind === 'http-mysql') {
  const lookup = keyLookup();
  const body = JSON.stringify(BODY);
  createServer((req, res) => {
    lookup(req).then(
      (row) => {
        res.writeHead(row ? 200 : 401, { 'content-type': 'application/json; charset=utf-8' });
        res.end(row ? body : '{}');
      },
      () => {
        res.writeHead(503);
        res.end();
      },
    );
  }).listen(Number(port), '127.0.0.1');
} else if (kind === 'fastify-mysql') {
  const lookup = keyLookup();
  const app = Fastify();
  app.get('/v1.0/customer', async (req, reply) => {
    if (!(await lookup(req))) return reply.code(401).send({});
    return BODY;
  });
  await app.listen({ port: Number(port), host: '127.0.0.1' });
} else if (kind === 'fastify') {
  const app = Fastify();
  app.get('/v1.0/customer', async () => BODY);
  await app.listen({ port: Number(port), host: '127.0.0.1' });
} else if (guards[kind]) {
  class AppModule {}
  decorate(AppModule, undefined, Module({ controllers: [CustomerController], providers: guards[kind] }));
  const ops = kind.includes('-ops');
  const adapter = new FastifyAdapter(
    ops && OPS.has('rid')
      ? { genReqId: () => `req_${randomUUID().replaceAll('-', '')}`, requestIdHeader: false }
      : {},
  );
  if (ops) operations(adapter.getInstance());
  const app = await NestFactory.create(AppModule, adapter, { logger: false });
  if (ops && OPS.has('headers')) {
    app.useSecurityHeaders({
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
      referrerPolicy: { policy: 'no-referrer' },
    });
  }
  await app.listen(Number(port), '127.0.0.1');
} else {
  console.error(`unknown reference server: ${kind}`);
  process.exit(2);
}
