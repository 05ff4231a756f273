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

/** The second factor is not in the state the request needs: a precondition, as VoIPBIN names it. */
const wrongState = (reason: string, message: string) =>
  new ApiError(409, reason, message, [], 'FAILED_PRECONDITION');

export const totpAlreadyEnabled = () =>
  wrongState('TOTP_ALREADY_ENABLED', 'A second factor is enabled already; disable it first.');
export const totpNotPending = () =>
  wrongState('TOTP_NOT_PENDING', 'No enrolment to confirm: start one with POST /v1.0/customer/totp.');
export const totpNotEnabled = () => wrongState('TOTP_NOT_ENABLED', 'No second factor is enabled.');
