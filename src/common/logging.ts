import {
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Params } from 'nestjs-pino';
import { pino, type Logger } from 'pino';
import { AppConfig } from '../config/app-config.js';

/** Query parameters whose values never reach a log line: credentials, by any spelling of the name. */
const SECRET_PARAMETER = /token|accesskey|password|secret/i;

/**
 * The URL as logged: the value of every credential-bearing query parameter is replaced. pino's
 * `redact` works on object paths and cannot reach inside the URL string, so it is rewritten here.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  // Parsed the way the server parses it, so `?%74oken=` is caught as `token` too.
  const params = new URLSearchParams(url.slice(q + 1));
  for (const name of new Set(params.keys())) {
    if (SECRET_PARAMETER.test(name)) params.set(name, '[REDACTED]');
  }
  return `${url.slice(0, q)}?${params.toString()}`;
}

/** The one pino instance of the application: nestjs-pino's logger and the request lines write to it. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** JSON lines; pretty output only for a person watching a terminal outside production. */
export function createRootLogger(
  config: AppConfig,
  pretty = !config.production && process.stdout.isTTY,
): Logger {
  return pino({
    level: config.logLevel,
    transport: pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
  });
}

/**
 * nestjs-pino as the application's logger, without its per-request middleware: under the Fastify
 * adapter that middleware runs through middie and halved the throughput of a whole request
 * (measured: /health 4-5k req/s with it, 9-12k without). The request line is written by a Fastify
 * hook instead (RequestLog).
 */
export function loggerParams(logger: Logger): Params {
  return { forRoutes: [], pinoHttp: { logger } };
}

/**
 * One line per request, when its answer is sent (or the client gave up): id, method, route
 * template, redacted URL, status, duration in ms. Headers are never logged: Authorization and
 * Cookie hold credentials.
 */
@Injectable()
export class RequestLog implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    // The admin command runs the modules without an HTTP server.
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addHook('onResponse', (req, reply, done) => {
      this.write(req, reply, 'request completed');
      done();
    });
    fastify.addHook('onRequestAbort', (req, done) => {
      this.write(req, null, 'request aborted');
      done();
    });
  }

  /** The last lines, before the process exits. */
  onApplicationShutdown(): void {
    this.logger.flush();
  }

  private write(req: FastifyRequest, reply: FastifyReply | null, message: string): void {
    const status = reply?.statusCode ?? null;
    const line = {
      request_id: req.id,
      req: { method: req.method, url: redactUrl(req.url) },
      route: req.routeOptions.url ?? null,
      res: { status },
      duration_ms: reply ? Math.round(reply.elapsedTime) : null,
    };
    if (status === null || status >= 500) this.logger.error(line, message);
    else this.logger.info(line, message);
  }
}

@Global()
@Module({
  providers: [
    {
      provide: ROOT_LOGGER,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => createRootLogger(config),
    },
    RequestLog,
  ],
  exports: [ROOT_LOGGER],
})
export class LoggingModule {}
