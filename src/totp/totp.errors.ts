import { ApiError } from '../common/api-error.js';

export const otpRequired = () =>
  new ApiError(401, 'OTP_REQUIRED', 'This account has a second factor: send "otp" with the login.');
export const otpInvalid = () =>
  new ApiError(401, 'OTP_INVALID', 'The one-time code or recovery code is wrong, or was used already.');
export const stepUpRequired = () =>
  new ApiError(
    401,
    'STEP_UP_REQUIRED',
    'This needs a login or POST /auth/step-up less than 10 minutes old, with the second factor.',
  );
export const totpAlreadyEnabled = () =>
  new ApiError(409, 'TOTP_ALREADY_ENABLED', 'A second factor is enabled already; disable it first.');
export const totpNotPending = () =>
  new ApiError(409, 'TOTP_NOT_PENDING', 'No enrolment to confirm: start one with POST /v1.0/customer/totp.');
export const totpNotEnabled = () => new ApiError(409, 'TOTP_NOT_ENABLED', 'No second factor is enabled.');
