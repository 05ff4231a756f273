import { ApiError } from '../common/api-error.js';

export const customerNotFound = () => ApiError.notFound('CUSTOMER_NOT_FOUND', 'The customer was not found.');

const refused = (reason: string, message: string) =>
  new ApiError(409, reason, message, [], 'FAILED_PRECONDITION');

export const cannotDemoteSelf = () =>
  refused('CANNOT_DEMOTE_SELF', 'A super admin cannot remove its own super-admin bit.');

export const cannotDeleteSelf = () => refused('CANNOT_DELETE_SELF', 'A super admin cannot delete itself.');

export const lastSuperAdmin = () =>
  refused('LAST_SUPER_ADMIN', 'This is the last live super admin: it cannot be demoted or deleted.');

export const usernameTaken = () =>
  new ApiError(409, 'USERNAME_TAKEN', 'This username is taken.', [
    { field: 'username', message: 'username is taken' },
  ]);

export const wrongOldPassword = () =>
  ApiError.invalidArgument([{ field: 'old_password', message: 'old_password is not the current password' }]);
