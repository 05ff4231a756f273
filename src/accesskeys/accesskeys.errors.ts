import { ApiError, type ErrorDetail } from '../common/api-error.js';

export const accessKeyNotFound = () =>
  ApiError.notFound('ACCESSKEY_NOT_FOUND', 'The access key was not found.');

export const accessKeyNotDisabled = () =>
  new ApiError(409, 'ACCESSKEY_NOT_DISABLED', 'The access key is not disabled.', [], 'FAILED_PRECONDITION');

export const accessKeyBroader = (details: ErrorDetail[]) =>
  new ApiError(
    403,
    'ACCESSKEY_BROADER',
    'An access key cannot manage a key that may do more, live longer or reach more networks than itself.',
    details,
  );

export const expireBeyondCaller = (until: Date) =>
  ApiError.invalidArgument([
    { field: 'expire', message: `expire must not outlive the calling key (${until.toISOString()})` },
  ]);

export const cidrsBeyondCaller = (networks: string[]) =>
  ApiError.invalidArgument([
    {
      field: 'allowed_cidrs',
      message: `allowed_cidrs must lie within the calling key's: ${networks.join(', ')}`,
    },
  ]);

export const expireBeyondPolicy = (maxLifetime: number) =>
  ApiError.invalidArgument([
    {
      field: 'expire',
      message: `expire must not be greater than ${maxLifetime}, the customer's key policy max_lifetime`,
    },
  ]);
