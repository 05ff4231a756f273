import { beforeEach, describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import passport from 'passport';
import { Strategy as CustomStrategy } from 'passport-custom';
import { ApiError } from '../common/api-error.js';
import { loadConfig } from '../config/app-config.js';
import { Permission } from '../customers/customer.entity.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ANY_SCOPE, Auth, Public } from '../common/auth.decorators.js';
import { Rights } from '../common/scopes.js';
import { AccessKeyStrategyGuard, AuthenticationGuard, JwtStrategyGuard } from './authentication.guard.js';
import type { Principal } from '../common/principal.js';

class Routes {
  @Public()
  open(this: void) {}

  @Auth(ANY_SCOPE)
  anyone(this: void) {}

  @Auth('accesskeys:write')
  keyManagers(this: void) {}

  @Auth('customer:write', { jwtOnly: true })
  jwtOnly(this: void) {}

  // A protected route that names no scope: refused, whoever calls.
  forgotten(this: void) {}
}

interface FakeRequest {
  headers: Record<string, string>;
  query: Record<string, string>;
  cookies: Record<string, string>;
  user?: Principal;
}

function call(handler: () => void, req: FakeRequest) {
  const headers: Record<string, string> = {};
  const reply = {
    header(name: string, value: string) {
      headers[name] = value;
      return reply;
    },
  };
  const context = {
    getHandler: () => handler,
    getClass: () => Routes,
    getType: () => 'http',
    getArgs: () => [req, reply],
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => reply, getNext: () => undefined }),
  } as unknown as ExecutionContext;
  return { context, headers };
}

type Verdict = Principal | null | Error | 'expired';

/** Stand-in strategies with the real ones' contract: fail for "not mine", error for a fault. */
let verdicts: { jwt: Verdict; accesskey: Verdict };
function register(name: 'jwt' | 'accesskey') {
  passport.use(
    name,
    new CustomStrategy((_req, done) => {
      const verdict = verdicts[name];
      if (verdict instanceof Error) done(verdict);
      else if (verdict === 'expired') done(null, false, { reason: 'expired' });
      else done(null, verdict ?? false);
    }),
  );
}

async function attempts(metrics: MetricsService): Promise<Record<string, number>> {
  const counted = await metrics.registry.getSingleMetric('auth_attempts_total')!.get();
  return Object.fromEntries(counted.values.map((v) => [`${v.labels.method}/${v.labels.result}`, v.value]));
}
register('jwt');
register('accesskey');

const jwtOf = (customerId: string, permission: number): Principal => ({
  customerId,
  permission,
  via: 'jwt',
  rights: Rights.forPermission(permission),
});
const alice = jwtOf('c1', Permission.CustomerAdmin);
const manager = jwtOf('c2', Permission.CustomerManager);
/** An admin's key with these scopes. */
const keyWith = (...scopes: string[]): Principal => ({
  ...alice,
  via: 'accesskey',
  rights: Rights.of(scopes).intersect(alice.rights),
});
const withToken = (): FakeRequest => ({ headers: { authorization: 'Bearer x.y.z' }, query: {}, cookies: {} });

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('AuthenticationGuard', () => {
  const guardCounting = (metrics: MetricsService) =>
    new AuthenticationGuard(
      new Reflector(),
      metrics,
      loadConfig({ JWT_SECRET: 'y'.repeat(32) }),
      new JwtStrategyGuard(),
      new AccessKeyStrategyGuard(),
    );
  const guard = guardCounting(new MetricsService());
  beforeEach(() => {
    verdicts = { jwt: null, accesskey: null };
  });

  it('lets a @Public() route through without a credential', async () => {
    const { context } = call(Routes.prototype.open, { headers: {}, query: {}, cookies: {} });
    await expect(guard.canActivate(context)).resolves.toBe(true);
  });

  it('answers AUTHENTICATION_REQUIRED when no credential is present', async () => {
    const { context } = call(Routes.prototype.anyone, { headers: {}, query: {}, cookies: {} });
    const error = await rejection(guard.canActivate(context));
    expect(error.getStatus()).toBe(401);
    expect(error.reason).toBe('AUTHENTICATION_REQUIRED');
  });

  it('answers INVALID_CREDENTIALS when every strategy fails', async () => {
    const { context } = call(Routes.prototype.anyone, withToken());
    const error = await rejection(guard.canActivate(context));
    expect(error.getStatus()).toBe(401);
    expect(error.reason).toBe('INVALID_CREDENTIALS');
  });

  it("runs only the strategy the credential's kind names", async () => {
    const key = (): FakeRequest => ({ headers: { authorization: 'Bearer vb_x' }, query: {}, cookies: {} });
    const keyPrincipal: Principal = { ...keyWith('*:write'), customerId: 'c9' };
    for (const [req, expected] of [
      [withToken(), alice],
      [key(), keyPrincipal],
    ] as const) {
      verdicts = { jwt: alice, accesskey: keyPrincipal };
      const { context } = call(Routes.prototype.anyone, req);
      await expect(guard.canActivate(context)).resolves.toBe(true);
      expect(req.user).toEqual(expected);
    }
    // No fallback to the other strategy when the credential's own fails.
    verdicts = { jwt: null, accesskey: keyPrincipal };
    expect(
      (await rejection(guard.canActivate(call(Routes.prototype.anyone, withToken()).context))).reason,
    ).toBe('INVALID_CREDENTIALS');
    verdicts = { jwt: alice, accesskey: null };
    expect((await rejection(guard.canActivate(call(Routes.prototype.anyone, key()).context))).reason).toBe(
      'INVALID_CREDENTIALS',
    );
  });

  it('passes a strategy fault on as it is, not as a 401', async () => {
    verdicts.jwt = new Error('database down');
    const { context } = call(Routes.prototype.anyone, withToken());
    await expect(guard.canActivate(context)).rejects.toThrow('database down');
  });

  it("answers PERMISSION_DENIED when the caller's customer may not, INSUFFICIENT_SCOPE when only its key's scopes stand in the way", async () => {
    verdicts.jwt = manager;
    const denied = await rejection(
      guard.canActivate(call(Routes.prototype.keyManagers, withToken()).context),
    );
    expect([denied.getStatus(), denied.reason]).toEqual([403, 'PERMISSION_DENIED']);

    verdicts.jwt = alice;
    await expect(guard.canActivate(call(Routes.prototype.keyManagers, withToken()).context)).resolves.toBe(
      true,
    );
    verdicts.jwt = jwtOf('c3', Permission.ProjectSuperAdmin);
    await expect(guard.canActivate(call(Routes.prototype.keyManagers, withToken()).context)).resolves.toBe(
      true,
    );

    const key = (): FakeRequest => ({ headers: { authorization: 'Bearer vb_x' }, query: {}, cookies: {} });
    verdicts.accesskey = keyWith('*:read');
    const scoped = await rejection(guard.canActivate(call(Routes.prototype.keyManagers, key()).context));
    expect([scoped.getStatus(), scoped.reason, scoped.details]).toEqual([
      403,
      'INSUFFICIENT_SCOPE',
      [{ field: 'scope', message: 'accesskeys:write' }],
    ]);
    expect(scoped.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="accesskeys:write"',
    );
    verdicts.accesskey = keyWith('accesskeys:write');
    await expect(guard.canActivate(call(Routes.prototype.keyManagers, key()).context)).resolves.toBe(true);
  });

  it('refuses a key on a route for login JWTs only, and every caller on a route that names no scope', async () => {
    verdicts = { jwt: alice, accesskey: keyWith('*:write') };
    const key = (): FakeRequest => ({ headers: { authorization: 'Bearer vb_x' }, query: {}, cookies: {} });
    await expect(guard.canActivate(call(Routes.prototype.jwtOnly, withToken()).context)).resolves.toBe(true);
    expect((await rejection(guard.canActivate(call(Routes.prototype.jwtOnly, key()).context))).reason).toBe(
      'PERMISSION_DENIED',
    );
    expect(
      (await rejection(guard.canActivate(call(Routes.prototype.forgotten, withToken()).context))).reason,
    ).toBe('PERMISSION_DENIED');
  });

  it('counts each outcome under its credential kind and result, and a fault not at all', async () => {
    const counting = new MetricsService();
    const counted = guardCounting(counting);
    const key = (): FakeRequest => ({ headers: {}, query: { accesskey: 'vb_x' }, cookies: {} });
    const attempt = (req: FakeRequest) => counted.canActivate(call(Routes.prototype.anyone, req).context);

    verdicts = { jwt: alice, accesskey: null };
    await attempt(withToken());
    verdicts = { jwt: null, accesskey: keyWith('*:write') };
    await attempt(key());
    await attempt(key());
    verdicts = { jwt: null, accesskey: 'expired' };
    await rejection(attempt(key()));
    verdicts = { jwt: null, accesskey: null };
    await rejection(attempt(withToken()));
    await rejection(attempt({ headers: {}, query: {}, cookies: {} }));
    verdicts = { jwt: new Error('database down'), accesskey: null };
    await expect(attempt(withToken())).rejects.toThrow('database down');

    expect(await attempts(counting)).toEqual({
      'jwt/ok': 1,
      'accesskey/ok': 2,
      'accesskey/expired': 1,
      'jwt/invalid': 1,
      'none/missing': 1,
    });
  });
});
