import { ApiError } from '../common/api-error.js';

export const customerNotFound = () => ApiError.notFound('CUSTOMER_NOT_FOUND', 'The customer was not found.');

const refused = (reason: string, message: string) =>
  new ApiError(409, reason, message, [], 'FAILED_PRECONDITION');

export const cannotDemoteSelf = () =>
  refused('CANNOT_DEMOTE_SELF', 'A super admin cannot remove its own super-admin bit.');

export const cannotDeleteSelf = () => refused('CANNOT_DELETE_SELF', 'A super admin cannot delete itself.');

export const lastSuperAdmin = () =>
  refused('LAST_SUPER_ADMIN', 'This is the last live super admin: it cannot be demoted or deleted.');

/** `field`: where the username came from (the username, or the email that stands for it). */
export const usernameTaken = (field: 'username' | 'email' = 'username') =>
  new ApiError(409, 'USERNAME_TAKEN', 'This username is taken.', [{ field, message: `${field} is taken` }]);

export const noUsername = (field: 'username' | 'email' = 'username') =>
  ApiError.invalidArgument([
    field === 'username'
      ? { field, message: 'username must be given, or an email to be the username' }
      : { field, message: 'email cannot be a username (1..255 of A-Z a-z 0-9 . _ @ + -): give a username' },
  ]);

export const wrongOldPassword = () =>
  ApiError.invalidArgument([{ field: 'old_password', message: 'old_password is not the current password' }]);

export const passwordChanged = () =>
  new ApiError(409, 'PASSWORD_CHANGED', 'The password was changed meanwhile; log in again.', [], 'ABORTED');
