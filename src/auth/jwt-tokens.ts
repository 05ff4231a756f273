import { randomUUID, type KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { AppConfig, type JwtConfig } from '../config/app-config.js';
import type { Customer } from '../customers/customer.entity.js';
import type { JwksDto } from './dto/introspect.dto.js';
import type { AuthFailure } from '../common/principal.js';

/** The claims of a token whose signature, algorithm, issuer and expiry were verified. */
export interface VerifiedJwt {
  sub: string;
  /** Seconds since the epoch. */
  exp: number;
  /** The customer's token generation at login; a password change moves it on. */
  gen: number;
  /** The login session; absent in a token signed before sessions existed. */
  sid?: string;
  /** When the customer last gave their factors (seconds since the epoch). */
  authTime?: number;
}

/** A verified token's payload, before its claims are checked to be ours. */
export interface JwtClaims {
  sub?: unknown;
  exp?: unknown;
  gen?: unknown;
  sid?: unknown;
  auth_time?: unknown;
}

/** Verified tokens remembered; a token's entry is a few hundred bytes. */
const VERDICTS = 10_000;
/** A verdict on a signature never changes: the bound is for memory, not for revocation. */
const VERDICT_TTL_MS = 60_000;

/** A verification error's reason: an expired token is told apart, for the metrics. */
export const failureOf = (error: unknown): AuthFailure =>
  error instanceof jwt.TokenExpiredError ? 'expired' : 'invalid';

/**
 * Login JWTs: signing, verification and the published keys. Verification accepts the configured
 * algorithm only (HS256, or ES256 with the key the token's `kid` names), our `iss` and `aud`, no
 * `crit` header (RFC 7515 §4.1.11: we understand no extension, so a token that needs one is
 * refused), and requires `exp`. A token whose signature was verified once is remembered until
 * min(exp, 60 s), so later requests with it skip the signature and go straight to the customer
 * check, which is what revocation turns on. The memo holds whatever AUTH_CACHE_TTL says: it caches
 * no revocable state.
 */
@Injectable()
export class JwtTokens {
  readonly verifyOptions: { algorithms: jwt.Algorithm[]; issuer: string; audience: string };
  /** The public keys as a JWKS document (RFC 7517); empty under HS256, whose secret is never published. */
  readonly jwks: JwksDto;
  private readonly config: JwtConfig;
  private readonly verdicts = new LRUCache<string, VerifiedJwt>({ max: VERDICTS, ttl: VERDICT_TTL_MS });

  constructor(config: AppConfig) {
    this.config = config.jwt;
    this.verifyOptions = {
      algorithms: [config.jwt.algorithm],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
    };
    this.jwks = {
      keys: config.jwt.publicKeys.map(({ kid, key }) => {
        const { kty, crv, x, y } = key.export({ format: 'jwk' });
        return { kty: kty!, crv: crv!, x: x!, y: y!, kid, alg: 'ES256', use: 'sig' };
      }),
    };
  }

  /**
   * A login's token: the customer, its session (`sid`), when and how it authenticated (`auth_time`,
   * seconds; `amr`, RFC 8176).
   */
  sign(
    customer: Pick<Customer, 'id' | 'username' | 'name' | 'permission' | 'tokenGeneration'>,
    session: { id: string; tmCreate: Date },
    factors: { amr: string[]; authTime: Date } = { amr: ['pwd'], authTime: session.tmCreate },
  ): string {
    const { id, username, name, permission } = customer;
    return jwt.sign(
      {
        customer: { id, username, name, permission },
        gen: customer.tokenGeneration,
        sid: session.id,
        auth_time: Math.floor(factors.authTime.getTime() / 1000),
        amr: factors.amr,
      },
      this.config.key,
      {
        algorithm: this.config.algorithm,
        // jsonwebtoken refuses an undefined keyid: HS256 tokens carry none.
        ...(this.config.kid === undefined ? {} : { keyid: this.config.kid }),
        expiresIn: this.config.expiresIn,
        issuer: this.config.issuer,
        audience: this.config.audience,
        subject: id,
        jwtid: randomUUID(),
      },
    );
  }

  /** How long a token works. */
  get lifetimeMs(): number {
    return this.config.expiresIn * 1000;
  }

  /**
   * The key that may have signed this token: under HS256 the secret; under ES256 the public key its
   * header's `kid` names (the current key or one rotated out). None for an unknown or missing kid,
   * and none for a token with a `crit` header, whatever it lists.
   */
  keyFor(token: string): KeyObject | null {
    const header = jwt.decode(token, { complete: true })?.header as
      { kid?: unknown; crit?: unknown } | undefined;
    if (header === undefined || header.crit !== undefined) return null;
    if (this.config.algorithm === 'HS256') return this.config.key;
    return this.config.publicKeys.find((k) => k.kid === header.kid)?.key ?? null;
  }

  /** The claims of a token verified before on this instance, while it has not expired. */
  known(token: string, nowMs = Date.now()): VerifiedJwt | undefined {
    const hit = this.verdicts.get(token);
    return hit !== undefined && hit.exp * 1000 > nowMs ? hit : undefined;
  }

  /**
   * After the signature, algorithm, issuer and expiry were verified: the claims, if they are of a
   * token this service issues (jsonwebtoken accepts a token without `exp`; we do not), remembered.
   */
  accept(token: string, claims: JwtClaims): VerifiedJwt | null {
    if (typeof claims.exp !== 'number' || typeof claims.sub !== 'string' || !isUUID(claims.sub)) return null;
    if (claims.sid !== undefined && (typeof claims.sid !== 'string' || !isUUID(claims.sid))) return null;
    const verified: VerifiedJwt = {
      sub: claims.sub,
      exp: claims.exp,
      gen: typeof claims.gen === 'number' ? claims.gen : 0,
      ...(claims.sid !== undefined && { sid: claims.sid }),
      ...(typeof claims.auth_time === 'number' && { authTime: claims.auth_time }),
    };
    const ttl = Math.min(VERDICT_TTL_MS, verified.exp * 1000 - Date.now());
    if (ttl > 0) this.verdicts.set(token, verified, { ttl });
    return verified;
  }

  /** The whole verification, with the same key and options passport-jwt is given. */
  verify(token: string): VerifiedJwt | AuthFailure {
    const known = this.known(token);
    if (known !== undefined) return known;
    const key = this.keyFor(token);
    if (key === null) return 'invalid';
    try {
      return this.accept(token, jwt.verify(token, key, this.verifyOptions) as JwtClaims) ?? 'invalid';
    } catch (error) {
      return failureOf(error);
    }
  }
}
