import { HttpException, HttpStatus } from '@nestjs/common';

/** One offending field of a rejected request. */
export interface ErrorDetail {
  field: string;
  message: string;
}

/** The `status` word of the envelope for each HTTP status this service answers with. */
const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'INVALID_ARGUMENT',
  408: 'DEADLINE_EXCEEDED',
  409: 'ALREADY_EXISTS',
  413: 'INVALID_ARGUMENT',
  414: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  431: 'INVALID_ARGUMENT',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/**
 * An error with everything the envelope needs. Services throw these (or plain Nest exceptions,
 * which the filter maps); the filter alone renders them.
 */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly reason: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** The envelope's `status`, when not the usual one for the HTTP status. */
    readonly statusName: string = STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT'),
    /** Headers the answer carries besides the envelope's own. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message, status);
  }

  static invalidArgument(details: ErrorDetail[], message = 'The request is invalid.'): ApiError {
    return new ApiError(HttpStatus.BAD_REQUEST, 'INVALID_ARGUMENT', message, details);
  }

  static invalidId(): ApiError {
    return new ApiError(HttpStatus.BAD_REQUEST, 'INVALID_ID', 'The id must be a UUID.', [
      { field: 'id', message: 'id must be a UUID' },
    ]);
  }

  static authenticationRequired(): ApiError {
    return new ApiError(
      HttpStatus.UNAUTHORIZED,
      'AUTHENTICATION_REQUIRED',
      'Authentication is required: send a token or an access key.',
    );
  }

  static invalidCredentials(): ApiError {
    return new ApiError(
      HttpStatus.UNAUTHORIZED,
      'INVALID_CREDENTIALS',
      'The provided credentials are invalid.',
    );
  }

  static permissionDenied(message = 'The caller is not allowed to do this.'): ApiError {
    return new ApiError(HttpStatus.FORBIDDEN, 'PERMISSION_DENIED', message);
  }

  /**
   * The caller's scopes do not allow this (RFC 6750 §3.1): the scopes it lacks are in `details`
   * and in `WWW-Authenticate`.
   */
  static insufficientScope(missing: string[], field = 'scope'): ApiError {
    return new ApiError(
      HttpStatus.FORBIDDEN,
      'INSUFFICIENT_SCOPE',
      `This needs ${missing.join(' ')}, which the caller's scopes do not hold.`,
      missing.map((scope) => ({ field, message: scope })),
      'PERMISSION_DENIED',
      { 'www-authenticate': `Bearer error="insufficient_scope", scope="${missing.join(' ')}"` },
    );
  }

  static databaseUnavailable(): ApiError {
    return new ApiError(
      HttpStatus.SERVICE_UNAVAILABLE,
      'DATABASE_UNAVAILABLE',
      'The database is unavailable; retry shortly.',
    );
  }

  static notFound(reason: string, message: string): ApiError {
    return new ApiError(HttpStatus.NOT_FOUND, reason, message);
  }
}
