import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { loadConfig } from '../config/app-config.js';
import type { Customer } from '../customers/customer.entity.js';
import { JwtTokens } from './jwt-tokens.js';

const SECRET = 'y'.repeat(32);
/** PUBLIC_URL's default, for PORT's. */
const PUBLIC_URL = 'http://localhost:3000';
const customer = { id: randomUUID(), username: 'alice', name: 'Alice', permission: 32, tokenGeneration: 3 };
const session = { id: randomUUID(), tmCreate: new Date('2026-12-01T10:00:00.500Z') };

describe('JwtTokens', () => {
  const tokens = new JwtTokens(loadConfig({ JWT_SECRET: SECRET }));

  it('signs what it verifies, with the customer claims, its token generation and the session', () => {
    const token = tokens.sign(customer as Customer, session);
    expect(tokens.verify(token)).toEqual({
      sub: customer.id,
      exp: expect.any(Number),
      gen: 3,
      sid: session.id,
      authTime: 1796119200,
    });
    expect(jwt.decode(token)).toMatchObject({ sid: session.id, auth_time: 1796119200, amr: ['pwd'] });
  });

  it('refuses a token whose sid is not a session id', () => {
    const signed = (sid: unknown) =>
      jwt.sign({ sid }, SECRET, {
        algorithm: 'HS256',
        issuer: PUBLIC_URL,
        audience: PUBLIC_URL,
        subject: customer.id,
        expiresIn: 60,
      });
    expect(tokens.verify(signed('not-a-uuid'))).toBe('invalid');
    expect(tokens.verify(signed(42))).toBe('invalid');
  });

  it('tells an expired token from an invalid one, and refuses a token without exp or with a non-UUID sub', () => {
    const sign = (claims: object, options: jwt.SignOptions = {}) =>
      jwt.sign(claims, SECRET, { algorithm: 'HS256', issuer: PUBLIC_URL, audience: PUBLIC_URL, ...options });
    expect(tokens.verify(sign({ sub: customer.id, exp: Math.floor(Date.now() / 1000) - 10 }))).toBe(
      'expired',
    );
    expect(tokens.verify(sign({ sub: customer.id }))).toBe('invalid');
    expect(tokens.verify(sign({ sub: 'admin' }, { expiresIn: 60 }))).toBe('invalid');
    expect(tokens.verify(sign({ sub: customer.id }, { expiresIn: 60, issuer: 'someone-else' }))).toBe(
      'invalid',
    );
    expect(tokens.verify(sign({ sub: customer.id }, { expiresIn: 60, algorithm: 'HS512' }))).toBe('invalid');
    expect(tokens.verify('garbage')).toBe('invalid');
  });

  it('signs for its public URL (issuer and audience), and refuses another audience or a crit header', () => {
    const claims = jwt.decode(tokens.sign(customer as Customer, session)) as jwt.JwtPayload;
    expect(claims).toMatchObject({ iss: PUBLIC_URL, aud: PUBLIC_URL });
    const sign = (options: jwt.SignOptions) =>
      jwt.sign({ sub: customer.id }, SECRET, {
        algorithm: 'HS256',
        issuer: PUBLIC_URL,
        audience: PUBLIC_URL,
        expiresIn: 60,
        ...options,
      });
    expect(tokens.verify(sign({}))).toEqual({ sub: customer.id, exp: expect.any(Number), gen: 0 });
    expect(tokens.verify(sign({ audience: 'https://elsewhere.example' }))).toBe('invalid');
    const critical = { alg: 'HS256', crit: ['exp'] } as unknown as jwt.JwtHeader;
    expect(tokens.verify(sign({ header: critical }))).toBe('invalid');
    const issuer = new JwtTokens(loadConfig({ JWT_SECRET: SECRET, JWT_ISSUER: 'https://auth.example.test' }));
    expect(jwt.decode(issuer.sign(customer as Customer, session))).toMatchObject({
      iss: 'https://auth.example.test',
    });
    expect(issuer.verify(sign({}))).toBe('invalid');
  });

  it('remembers a verified token until it expires, never one already expired', () => {
    const now = Date.now();
    const soon = { sub: customer.id, exp: Math.floor(now / 1000) + 2, gen: 0 };
    const old = { sub: customer.id, exp: Math.floor(now / 1000) - 1, gen: 0 };
    expect(tokens.known('soon')).toBeUndefined();
    tokens.accept('soon', soon);
    tokens.accept('old', old);
    expect(tokens.known('soon')).toEqual(soon);
    expect(tokens.known('old')).toBeUndefined();
    // Past its exp, whatever the memo's own clock says.
    expect(tokens.known('soon', now + 3_000)).toBeUndefined();
    expect(tokens.accept('no exp', { sub: customer.id })).toBeNull();
    expect(tokens.known('no exp')).toBeUndefined();
  });

  it('under ES256, verifies with the key the kid names and publishes the public keys only', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const es256 = new JwtTokens(
      loadConfig({ JWT_PRIVATE_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }),
    );
    const token = es256.sign(customer as Customer, session);
    expect(jwt.decode(token, { complete: true })?.header).toMatchObject({
      alg: 'ES256',
      kid: es256.jwks.keys[0].kid,
    });
    expect(es256.verify(token)).toMatchObject({ sub: customer.id });
    expect(es256.jwks.keys).toEqual([
      expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' }),
    ]);
    expect(JSON.stringify(es256.jwks)).not.toMatch(/"d"/);
    expect(tokens.jwks).toEqual({ keys: [] });
  });
});
