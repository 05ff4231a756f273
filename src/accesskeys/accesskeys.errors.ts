import { ApiError } from '../common/api-error.js';

export const accessKeyNotFound = () =>
  ApiError.notFound('ACCESSKEY_NOT_FOUND', 'The access key was not found.');

export const accessKeyChanged = () =>
  new ApiError(409, 'ACCESSKEY_CHANGED', 'The key was rolled or deleted meanwhile; retry.', [], 'ABORTED');
