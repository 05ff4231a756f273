import { ApiError } from '../common/api-error.js';

export const tooManyLoginAttempts = (seconds: number) =>
  new ApiError(429, 'RATE_LIMIT_EXCEEDED', `Too many login attempts; retry in ${seconds} seconds.`);
