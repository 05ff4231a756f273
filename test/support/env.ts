export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 'admin-password-for-tests';
/** Where the specs' service says it is: the issuer and audience of its JWTs. */
export const TEST_PUBLIC_URL = 'http://localhost:3000';
export const METRICS_TOKEN = 'test-metrics-token-that-is-32-bytes-long';

/**
 * The configuration every spec's service runs with (in the test process or as a child process),
 * unless the spec sets its own. `TEST_AUTH_CACHE_TTL` chooses the credential cache: on (10 s) by
 * default, so every revocation spec exercises it; CI runs the specs once more with the production
 * default, 0.
 */
export const TEST_ENV: Readonly<Record<string, string>> = {
  JWT_SECRET: TEST_JWT_SECRET,
  ADMIN_USERNAME,
  ADMIN_PASSWORD,
  COOKIE_SECURE: 'false',
  // One public URL for every instance, whatever port each listens on, as behind a load balancer.
  PUBLIC_URL: TEST_PUBLIC_URL,
  METRICS_TOKEN,
  // Specs log in often from one address; the throttling spec sets its own limits.
  LOGIN_LIMIT_PER_IP: '100000',
  LOGIN_LIMIT_PER_USERNAME: '100000',
  LOGIN_LIMIT_PER_USERNAME_IP: '100000',
  AUTH_CACHE_TTL: process.env.TEST_AUTH_CACHE_TTL ?? '10',
  // The specs' webhook receivers listen on loopback; the SSRF spec sets it false.
  WEBHOOK_ALLOW_PRIVATE: 'true',
};
