import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config.js';

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

/** What the HTTP layer leaves on the raw request for the log line (see app.setup.ts). */
export interface LoggedRequest extends IncomingMessage {
  originalUrl?: string;
  /** The route template (`/v1.0/accesskeys/:id`), never the raw path. */
  route?: string;
}

/**
 * nestjs-pino: one JSON object per line, one line per request (id, method, route, redacted URL,
 * status, duration in ms). Headers are not logged at all: Authorization and Cookie hold credentials.
 * Pretty output only for a person watching a terminal outside production.
 */
export function loggerParams(config: AppConfig, pretty = !config.production && process.stdout.isTTY): Params {
  return {
    // nestjs-pino's default pattern (`{/*splat}`) matches no request under the Fastify adapter.
    forRoutes: [{ path: '*path', method: RequestMethod.ALL }],
    pinoHttp: {
      level: config.logLevel,
      transport: pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
      // Log lines inside a request carry its id only; the request line carries the rest.
      quietReqLogger: true,
      wrapSerializers: false,
      customAttributeKeys: { reqId: 'request_id', responseTime: 'duration_ms' },
      serializers: {
        // middie strips the matched prefix from `url`; `originalUrl` is what the client sent.
        req: (req: LoggedRequest) => ({
          method: req.method,
          url: redactUrl(req.originalUrl ?? req.url ?? ''),
        }),
        res: (res: ServerResponse) => ({ status: res.statusCode }),
      },
      customProps: (req: IncomingMessage) => ({ route: (req as LoggedRequest).route ?? null }),
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      customSuccessMessage: () => 'request completed',
      customErrorMessage: () => 'request failed',
    },
  };
}
