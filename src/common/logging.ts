import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LoggerModule } from 'nestjs-pino';
import { pino, type Logger } from 'pino';
import { AppConfig } from '../config/app-config.js';

/** Query parameters whose values never reach a log line: credentials, by any spelling of the name. */
const SECRET_PARAMETER = /token|accesskey|password|secret/i;

/**
 * The URL as logged: the value of every credential-bearing query parameter is replaced. pino's
 * `redact` works on object paths and cannot reach inside the URL string, so it is rewritten here.
 */
function redactUrl(url: string): string {
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
const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** JSON lines; pretty output only for a person watching a terminal outside production. */
function createRootLogger(config: AppConfig, pretty = !config.production && process.stdout.isTTY): Logger {
  return pino({
    level: config.logLevel,
    transport: pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
  });
}

/**
 * One line per request, when its answer is sent (or the client gave up): id, method, route
 * template, redacted URL, status, duration in ms. Headers are never logged: Authorization and
 * Cookie hold credentials. With LOG_REQUESTS=errors, a 2xx or 3xx answer writes none.
 */
@Injectable()
export class RequestLog implements OnApplicationShutdown {
  private readonly errorsOnly: boolean;

  constructor(
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    config: AppConfig,
  ) {
    this.errorsOnly = config.logRequests === 'errors';
  }

  completed(req: FastifyRequest, reply: FastifyReply): void {
    this.write(req, reply, 'request completed');
  }

  aborted(req: FastifyRequest): void {
    this.write(req, null, 'request aborted');
  }

  /** The last lines, before the process exits. */
  onApplicationShutdown(): void {
    this.logger.flush();
  }

  private write(req: FastifyRequest, reply: FastifyReply | null, message: string): void {
    const status = reply?.statusCode ?? null;
    if (this.errorsOnly && status !== null && status < 400) return;
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

/**
 * nestjs-pino as the application's logger, on the one pino instance the request lines are written
 * to too. Its own per-request middleware is off (`forRoutes: []`): the request line comes from a
 * Fastify hook instead (app.setup.ts, RequestLog); docs/performance.md says why.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    const logger = createRootLogger(config);
    return {
      module: LoggingModule,
      global: true,
      imports: [LoggerModule.forRoot({ forRoutes: [], pinoHttp: { logger } })],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }, RequestLog],
      exports: [ROOT_LOGGER, RequestLog],
    };
  }
}
