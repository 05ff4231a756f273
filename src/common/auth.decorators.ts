import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { ApiError } from './api-error.js';
import { ApiErrors } from './api-errors.decorator.js';
import { DATABASE_UNAVAILABLE } from './error-envelope.js';
import type { Principal } from './principal.js';

export const IS_PUBLIC = 'auth:public';
export const REQUIRED_PERMISSION = 'auth:permission';
export const CURRENT_SECRET_ONLY = 'auth:current-secret-only';

export const supersededSecret = () =>
  new ApiError(
    403,
    'SUPERSEDED_SECRET',
    "This key's secret was replaced by a roll: until its grace period ends it may read, not manage keys.",
  );

/** Opts a route out of the global guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * Documents a protected route (every route is protected by the global guard anyway) and, with
 * `anyOf`, requires one of these permission bits. The errors listed are those of authentication
 * itself, which reads the database (a key, or the customer behind a JWT).
 */
export function Auth(anyOf?: number) {
  const errors = [ApiError.authenticationRequired(), ApiError.invalidCredentials(), DATABASE_UNAVAILABLE];
  const decorators = [ApiBearerAuth('bearer'), ApiSecurity('token'), ApiSecurity('accesskey')];
  if (anyOf !== undefined) {
    decorators.push(SetMetadata(REQUIRED_PERMISSION, anyOf));
    errors.push(ApiError.permissionDenied());
  }
  return applyDecorators(...decorators, ApiErrors(...errors));
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
