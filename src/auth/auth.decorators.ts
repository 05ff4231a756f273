import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '../common/error-envelope.dto.js';
import type { Principal } from './principal.js';

export const IS_PUBLIC = 'auth:public';
export const REQUIRED_PERMISSION = 'auth:permission';

/** Opts a route out of the global guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * Documents a protected route (every route is protected by the global guard anyway) and, with
 * `anyOf`, requires one of these permission bits.
 */
export function Auth(anyOf?: number) {
  const decorators = [
    ApiBearerAuth('bearer'),
    ApiSecurity('token'),
    ApiSecurity('accesskey'),
    ApiUnauthorizedResponse({ description: 'No credential, or an invalid one.', type: ErrorEnvelopeDto }),
  ];
  if (anyOf !== undefined) {
    decorators.push(
      SetMetadata(REQUIRED_PERMISSION, anyOf),
      ApiForbiddenResponse({ description: 'The caller lacks the permission.', type: ErrorEnvelopeDto }),
    );
  }
  return applyDecorators(...decorators);
}

/** The authenticated caller. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal =>
    ctx.switchToHttp().getRequest<{ user: Principal }>().user,
);
