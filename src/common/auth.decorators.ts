import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import { ApiError } from './api-error.js';
import { ApiErrors } from './api-errors.decorator.js';
import { DATABASE_UNAVAILABLE } from './error-envelope.js';
import type { Principal } from './principal.js';

export const IS_PUBLIC = 'auth:public';
export const REQUIRED_SCOPE = 'auth:scope';
export const JWT_ONLY = 'auth:jwt-only';
/** What `@Auth` is given for a route any authenticated caller may call, whatever its scopes. */
export const ANY_SCOPE = 'any';
export const CURRENT_SECRET_ONLY = 'auth:current-secret-only';

export const keyQuarantined = () =>
  new ApiError(
    403,
    'KEY_QUARANTINED',
    'This key was reported leaked and is quarantined: it may read, not write. Replace it with a new key.',
  );

export const supersededSecret = () =>
  new ApiError(
    403,
    'SUPERSEDED_SECRET',
    "This key's secret was replaced by a roll: until its grace period ends it may read, not manage keys.",
  );

/** Opts a route out of the global guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * A protected route and the scope it needs (`resource:read` or `resource:write`, or ANY_SCOPE),
 * and whether only a login JWT may call it, which the global guard enforces: every route that is not `@Public()` must have one, or the guard
 * refuses it. Documented in Swagger (`x-required-scope`) with the errors of authentication, which
 * reads the database, and of a missing scope.
 */
export function Auth(scope: string, options: { jwtOnly?: boolean } = {}) {
  const errors = [ApiError.authenticationRequired(), ApiError.invalidCredentials(), DATABASE_UNAVAILABLE];
  if (scope !== ANY_SCOPE) errors.push(ApiError.insufficientScope([scope]));
  if (scope !== ANY_SCOPE || options.jwtOnly) errors.push(ApiError.permissionDenied());
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPE, scope),
    // A route a leaked key must never reach (taking the account over): login JWTs only.
    SetMetadata(JWT_ONLY, options.jwtOnly === true),
    ApiExtension('x-required-scope', scope),
    ApiBearerAuth('bearer'),
    ApiSecurity('token'),
    ApiSecurity('accesskey'),
    ApiErrors(...errors),
  );
}

/**
 * A route that manages keys: the secret a roll replaced, still good during its grace period, is
 * refused here (403), so that whoever holds only the old secret cannot roll the key again, delete
 * it or make keys of its own.
 */
export const CurrentSecretOnly = () =>
  applyDecorators(SetMetadata(CURRENT_SECRET_ONLY, true), ApiErrors(supersededSecret()));

/** The authenticated caller. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal =>
    ctx.switchToHttp().getRequest<{ user: Principal }>().user,
);
