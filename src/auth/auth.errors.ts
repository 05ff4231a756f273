import { ApiError } from '../common/api-error.js';

export const tooManyLoginAttempts = (seconds: number) =>
  new ApiError(
    429,
    'RATE_LIMIT_EXCEEDED',
    `Too many failed logins; retry in ${seconds} seconds.`,
    [],
    undefined,
    { 'retry-after': String(seconds) },
  );

export const crossSiteRequest = () =>
  new ApiError(
    403,
    'CROSS_SITE_REQUEST',
    'A request authenticated by the token cookie that changes something must come from this origin; ' +
      'other clients send the token as Authorization: Bearer.',
  );
