import { ApiError } from '../common/api-error.js';

export const accessKeyNotFound = () =>
  ApiError.notFound('ACCESSKEY_NOT_FOUND', 'The access key was not found.');
