import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { JwtConfig } from '../config/app-config.js';

/** What verification requires beyond the key: the one configured algorithm, and our issuer. */
export function verifyOptions(config: JwtConfig): { algorithms: jwt.Algorithm[]; issuer: string } {
  return { algorithms: [config.algorithm], issuer: config.issuer };
}

/**
 * The key that may have signed this token: under HS256 the secret; under ES256 the public key its
 * header's `kid` names (the current key or one rotated out), or none for an unknown or missing kid.
 */
export function verificationKey(config: JwtConfig, token: string): KeyObject | null {
  if (config.algorithm === 'HS256') return config.key;
  const kid = (jwt.decode(token, { complete: true })?.header as { kid?: unknown } | undefined)?.kid;
  return config.publicKeys.find((k) => k.kid === kid)?.key ?? null;
}

/** The public keys as a JWKS document (RFC 7517); empty under HS256, whose secret is never published. */
export function jwks(config: JwtConfig): { keys: Record<string, string>[] } {
  return {
    keys: config.publicKeys.map(({ kid, key }) => {
      const { kty, crv, x, y } = key.export({ format: 'jwk' });
      return { kty: kty!, crv: crv!, x: x!, y: y!, kid, alg: 'ES256', use: 'sig' };
    }),
  };
}
