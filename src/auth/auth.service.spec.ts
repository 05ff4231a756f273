import { describe, expect, it } from '@jest/globals';
import type { TotpService } from '../totp/totp.service.js';
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { generateAccessKeyToken, hashAccessKeyToken } from '../accesskeys/access-key-token.js';
import type { AccessKeyRepository, KeyCredential } from '../accesskeys/access-key.repository.js';
import type { NewNetworkRecorder } from '../accesskeys/new-network.recorder.js';
import type { LastUsedRecorder } from '../accesskeys/last-used.recorder.js';
import type { AuditRepository } from '../audit/audit.repository.js';
import { Clock } from '../common/clock.js';
import { loadConfig } from '../config/app-config.js';
import type { Customer } from '../customers/customer.entity.js';
import type { CustomerRepository, OwnProfile } from '../customers/customer.repository.js';
import type { Session } from '../sessions/session.entity.js';
import type { SessionRepository } from '../sessions/session.repository.js';
import { AccessKeyStrategy } from './access-key.strategy.js';
import { AuthService, type Authenticated } from './auth.service.js';
import { Rights } from '../common/scopes.js';
import { JwtTokens } from './jwt-tokens.js';

const config = loadConfig({ JWT_SECRET: 'y'.repeat(32) });
const live = { id: randomUUID(), username: 'alice', permission: 64, tokenGeneration: 2 } as Customer;

/** A live session of `live`. */
const session = {
  id: randomUUID(),
  customerId: live.id,
  tmCreate: new Date(),
  tmLastSeen: new Date(),
} as Session;

/** What the credential lookups read of the customer with the credential (the fields a test sets). */
function profileOf(customer: Customer): OwnProfile {
  const { id, username, permission } = customer;
  return { id, username, permission, totpEnabled: false } as OwnProfile;
}

/** An AuthService on repositories that find `customer` by id, `key` by its secret's hash and the live `sessions` by id. */
function authWith(
  customer: Customer | null,
  key: { token: string; credential: KeyCredential } | null = null,
  sessions: Session[] = [session],
) {
  const asked: string[] = [];
  const customers = {
    findLive: (id: string) => {
      asked.push(`customer:${id}`);
      return Promise.resolve(customer?.id === id ? customer : null);
    },
  } as unknown as CustomerRepository;
  const keys = {
    findCredential: (hash: string) => {
      asked.push(`key:${hash}`);
      return Promise.resolve(key !== null && hashAccessKeyToken(key.token) === hash ? key.credential : null);
    },
  } as unknown as AccessKeyRepository;
  const recorder = { record: () => false } as unknown as LastUsedRecorder;
  const liveSessions = {
    // The session joined with its customer, as the one query does: none once the customer is gone.
    findCredential: (id: string) => {
      asked.push(`session:${id}`);
      const found = sessions.find((s) => s.id === id && s.customerId === customer?.id);
      return Promise.resolve(
        found && customer
          ? {
              id: found.id,
              customerId: found.customerId,
              tmLastSeen: found.tmLastSeen,
              username: customer.username,
              permission: customer.permission,
              profile: profileOf(customer),
            }
          : null,
      );
    },
    seen: () => undefined,
  } as unknown as SessionRepository;
  const auth = new AuthService(
    customers,
    keys,
    recorder,
    liveSessions,
    new JwtTokens(config),
    new Clock(),
    {} as AuditRepository,
    { record: () => false } as unknown as NewNetworkRecorder,
    { enabled: () => Promise.resolve(false) } as unknown as TotpService,
  );
  return { auth, asked };
}

const profile = profileOf(live);

const keyOf = (overrides: Partial<KeyCredential> = {}) => ({
  token: generateAccessKeyToken(),
  credential: {
    id: randomUUID(),
    customerId: live.id,
    username: live.username,
    permission: live.permission,
    previous: false,
    tmExpire: new Date(Date.now() + 60_000),
    tmPreviousExpire: null,
    tmLastUsed: null,
    scopes: ['*:write'],
    allowedCidrs: [],
    quarantined: false,
    disabled: false,
    profile,
    ...overrides,
  },
});

describe('AuthService.validateJwt', () => {
  const exp = Math.floor(Date.now() / 1000) + 60;

  it("resolves a live customer to a JWT principal with its current permission, and the token's exp", async () => {
    const { auth } = authWith(live);
    await expect(auth.validateJwt({ sub: live.id, exp, gen: 2 })).resolves.toEqual({
      principal: { customerId: live.id, permission: 64, via: 'jwt', rights: Rights.forPermission(64) },
      username: 'alice',
      exp,
    });
  });

  it('refuses a customer that is gone, and a token without a session issued before the last password change', async () => {
    await expect(authWith(null).auth.validateJwt({ sub: live.id, exp, gen: 2 })).resolves.toBe('invalid');
    await expect(authWith(live).auth.validateJwt({ sub: live.id, exp, gen: 1 })).resolves.toBe('invalid');
    await expect(
      authWith(null).auth.validateJwt({ sub: live.id, exp, gen: 2, sid: session.id }),
    ).resolves.toBe('invalid');
  });

  it("answers for a token's session: live, it names it (whatever the generation); ended or another's, refused", async () => {
    await expect(
      authWith(live).auth.validateJwt({ sub: live.id, exp, gen: 1, sid: session.id }),
    ).resolves.toMatchObject({
      // With the profile the session's lookup read, which GET /v1.0/customer answers.
      principal: { customerId: live.id, via: 'jwt', sessionId: session.id, profile },
    });
    const ended = authWith(live, null, []);
    await expect(ended.auth.validateJwt({ sub: live.id, exp, gen: 2, sid: session.id })).resolves.toBe(
      'invalid',
    );
    expect(ended.asked).toEqual([`session:${session.id}`]);
    const another = authWith(live, null, [
      Object.assign({} as Session, session, { customerId: randomUUID() }),
    ]);
    await expect(another.auth.validateJwt({ sub: live.id, exp, gen: 2, sid: session.id })).resolves.toBe(
      'invalid',
    );
  });

  it('reads the token itself through JwtTokens for a credential of kind jwt, before any lookup', async () => {
    const { auth, asked } = authWith(live);
    await expect(auth.validate({ kind: 'jwt', value: 'not.a.jwt' })).resolves.toBe('invalid');
    expect(asked).toEqual([]);
    const token = new JwtTokens(config).sign(live, session);
    await expect(auth.validate({ kind: 'jwt', value: token })).resolves.toMatchObject({
      principal: { customerId: live.id, via: 'jwt' },
    });
  });
});

describe('AuthService.validateAccessKey', () => {
  it('refuses a bad checksum or a bad shape before any lookup', async () => {
    const { auth, asked } = authWith(live, keyOf());
    const token = generateAccessKeyToken();
    const bad = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
    await expect(auth.validateAccessKey(bad)).resolves.toBe('invalid');
    await expect(auth.validateAccessKey('vb_short')).resolves.toBe('invalid');
    expect(asked).toEqual([]);
  });

  it('gives a key its scopes within what its customer may do now, until its expiry', async () => {
    const key = keyOf({ scopes: ['accesskeys:read', 'calls:write'] });
    const { auth, asked } = authWith(live, key);
    const verdict = await auth.validateAccessKey(key.token);
    expect(verdict).toEqual({
      principal: {
        customerId: live.id,
        permission: 64,
        via: 'accesskey',
        rights: expect.any(Rights),
        accessKeyId: key.credential.id,
        accessKeyPrefix: key.token.slice(0, 11),
        key: {
          scopes: ['accesskeys:read', 'calls:write'],
          allowedCidrs: [],
          expiresAt: key.credential.tmExpire,
        },
        // What GET /v1.0/customer answers, read with the key.
        profile,
      },
      username: 'alice',
      exp: Math.floor(key.credential.tmExpire.getTime() / 1000),
    });
    // The customer is a manager: its keys reach no keys, whatever their scopes say.
    expect((verdict as Authenticated).principal.rights.toScopes()).toEqual(['calls:write']);
    expect(asked).toEqual([`key:${hashAccessKeyToken(key.token)}`]);
  });

  it('refuses a key used from outside its networks, and takes it from inside', async () => {
    const key = keyOf({ allowedCidrs: ['203.0.113.0/24', '2001:db8::/32'] });
    const { auth } = authWith(live, key);
    await expect(auth.validateAccessKey(key.token, '198.51.100.7')).resolves.toBe('invalid');
    for (const ip of ['203.0.113.9', '::ffff:203.0.113.9', '2001:db8::1']) {
      await expect(auth.validateAccessKey(key.token, ip)).resolves.toMatchObject({ username: 'alice' });
    }
  });

  it('refuses a key the lookup does not find (unknown, deleted, or its customer deleted)', async () => {
    await expect(authWith(live).auth.validateAccessKey(generateAccessKeyToken())).resolves.toBe('invalid');
  });

  it('calls a disabled key disabled, however long it has left', async () => {
    const disabled = keyOf({ disabled: true });
    await expect(authWith(live, disabled).auth.validateAccessKey(disabled.token)).resolves.toBe('disabled');
  });

  it('calls an expired key expired, and a secret from before a roll once its grace is over', async () => {
    const expired = keyOf({ tmExpire: new Date(Date.now() - 1) });
    await expect(authWith(live, expired).auth.validateAccessKey(expired.token)).resolves.toBe('expired');
    const graceOver = keyOf({ previous: true, tmPreviousExpire: new Date(Date.now() - 1) });
    await expect(authWith(live, graceOver).auth.validateAccessKey(graceOver.token)).resolves.toBe('expired');
    const inGrace = keyOf({ previous: true, tmPreviousExpire: new Date(Date.now() + 30_000) });
    await expect(authWith(live, inGrace).auth.validateAccessKey(inGrace.token)).resolves.toMatchObject({
      principal: { accessKeyId: inGrace.credential.id },
      exp: Math.floor(inGrace.credential.tmPreviousExpire!.getTime() / 1000),
    });
  });

  it('AccessKeyStrategy leaves a JWT unlooked-up, and gives the guard the reason of a refusal', async () => {
    const key = keyOf();
    const { auth, asked } = authWith(live, key);
    const strategy = new AccessKeyStrategy(auth);
    const req = (query: Record<string, string>, authorization?: string) =>
      ({ headers: authorization ? { authorization } : {}, query, cookies: {} }) as unknown as FastifyRequest;
    await expect(strategy.validate(req({ token: 'eyJ.a.b' }))).resolves.toEqual([
      false,
      { reason: 'invalid' },
    ]);
    await expect(strategy.validate(req({}, 'Bearer eyJ.a.b'))).resolves.toEqual([
      false,
      { reason: 'invalid' },
    ]);
    expect(asked).toEqual([]);
    await expect(strategy.validate(req({ accesskey: key.token }))).resolves.toMatchObject({
      via: 'accesskey',
    });
  });
});
