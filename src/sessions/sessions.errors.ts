import { ApiError } from '../common/api-error.js';

export const sessionNotFound = () =>
  ApiError.notFound('SESSION_NOT_FOUND', 'The session was not found, or has ended.');
