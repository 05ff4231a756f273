import { STATUS_CODES } from 'node:http';
import { HttpException, type LoggerService } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isCommitOutcomeUnknown, isDatabaseUnavailable } from './database-errors.js';
import { ApiError, type ErrorDetail } from './api-error.js';
import { newRequestId } from './request-id.js';

export interface ErrorEnvelope {
  error: {
    status: string;
    reason: string;
    message: string;
    request_id: string;
    details: ErrorDetail[];
  };
}

/** Fastify's own errors (raised while reading the body, before any handler), by code. */
const FASTIFY_ERRORS: Readonly<Record<string, [number, string, string]>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON_BODY', 'The request body is not valid JSON.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_JSON_BODY', 'The request body is empty.'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE', 'The request body is too large.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    'Send the request body as application/json.',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'INVALID_ARGUMENT', 'The Content-Length header is wrong.'],
  // Raised by the router, before any route is matched.
  FST_ERR_BAD_URL: [400, 'INVALID_URL', 'The request path is not a valid URL.'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'URI_TOO_LONG', 'A segment of the request path is too long.'],
};

/** Errors of Node's HTTP parser, raised before any request exists, by code. */
const CLIENT_ERRORS: Readonly<Record<string, [number, string, string]>> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request was not received in time.'],
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'The request headers are too large.'],
};
const MALFORMED: [number, string, string] = [400, 'INVALID_REQUEST', 'The request is not valid HTTP.'];

const GENERIC: Readonly<Record<number, [string, string]>> = {
  400: ['INVALID_ARGUMENT', 'The request is invalid.'],
  401: ['AUTHENTICATION_REQUIRED', 'Authentication is required.'],
  403: ['PERMISSION_DENIED', 'The caller is not allowed to do this.'],
  404: ['ROUTE_NOT_FOUND', 'No route matches this method and path.'],
  405: ['METHOD_NOT_ALLOWED', 'This method is not allowed on this path.'],
  413: ['PAYLOAD_TOO_LARGE', 'The request body is too large.'],
  415: ['UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json.'],
  429: ['RATE_LIMIT_EXCEEDED', 'Too many requests; retry later.'],
};

const INTERNAL = new ApiError(500, 'INTERNAL', 'An internal error occurred.');
export const DATABASE_UNAVAILABLE = ApiError.databaseUnavailable();
const COMMIT_UNCERTAIN = new ApiError(
  503,
  'COMMIT_OUTCOME_UNKNOWN',
  'The database stopped answering while this change was being committed: it may have been applied. Read it back before retrying.',
);

/** Whatever was thrown, the ApiError to answer with; `null` when it is unexpected (a 500). */
function classify(exception: unknown): ApiError | null {
  if (exception instanceof ApiError) return exception;
  // Before any other database fault: the commit's lost connection is one too.
  if (isCommitOutcomeUnknown(exception)) return COMMIT_UNCERTAIN;
  if (isDatabaseUnavailable(exception)) return DATABASE_UNAVAILABLE;
  // Fastify's own errors arrive wrapped by Nest in an HttpException, as its cause.
  const raw = exception as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = raw?.code ?? raw?.cause?.code;
  if (typeof code === 'string' && code in FASTIFY_ERRORS) {
    const [status, reason, message] = FASTIFY_ERRORS[code];
    return new ApiError(status, reason, message);
  }
  const status =
    exception instanceof HttpException
      ? exception.getStatus()
      : (exception as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const [reason, message] = GENERIC[status] ?? GENERIC[400];
    return new ApiError(status, reason, message);
  }
  return null;
}

/**
 * The whole HTTP answer to an error of the HTTP parser (a malformed request, headers too large,
 * one too slow), written on the connection before it is closed: no request exists to answer
 * through. The envelope carries an id of its own and nothing of what was sent.
 */
export function clientErrorResponse(code: string | undefined): string {
  const [status, reason, message] = (code !== undefined && CLIENT_ERRORS[code]) || MALFORMED;
  const requestId = newRequestId();
  const error = new ApiError(status, reason, message);
  const body = JSON.stringify({
    error: { status: error.statusName, reason, message, request_id: requestId, details: [] },
  } satisfies ErrorEnvelope);
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Renders any error as the envelope of docs/api.md. Unexpected errors are logged with their stack here,
 * server-side only; the body never carries a stack, SQL, or the request URL (it may hold a credential).
 */
export function sendError(
  reply: FastifyReply,
  req: FastifyRequest,
  exception: unknown,
  logger: LoggerService,
): void {
  let error = classify(exception);
  if (error === null) {
    logger.error(
      `${req.method} ${req.routeOptions?.url ?? '(no route)'} failed [${req.id}]`,
      (exception as Error | null)?.stack ?? String(exception),
    );
    error = INTERNAL;
  } else if (error === DATABASE_UNAVAILABLE || error === COMMIT_UNCERTAIN) {
    logger.warn(
      `${req.method} ${req.routeOptions?.url ?? ''} ${error.reason} [${req.id}]: ${(exception as Error).message}`,
    );
  }
  const status = error.getStatus();
  const body: ErrorEnvelope = {
    error: {
      status: error.statusName,
      reason: error.reason,
      message: error.message,
      request_id: req.id,
      details: error.details,
    },
  };
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  if (status === 503) reply.header('retry-after', '5');
  // JSON whatever the route would have answered (a route's @Header content type is set before it runs).
  void reply
    .status(status)
    .type('application/json; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(body);
}
