import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { isUUID } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import jwt from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config.js';
import { CustomersService } from '../customers/customers.service.js';
import { CredentialCache, type VerifiedJwt } from './credential-cache.js';
import { credentialOf } from './credentials.js';
import { verificationKey, verifyOptions } from './jwt-keys.js';
import type { Principal } from './principal.js';

export interface JwtClaims {
  sub?: unknown;
  exp?: unknown;
  iat?: unknown;
  /** The customer's token generation at login; a password change moves it on. */
  gen?: unknown;
}

/**
 * Login JWTs: the configured algorithm only (HS256, or ES256 with the key its `kid` names), `iss`
 * checked, `exp` required, customer alive, issued since its last password change.
 *
 * passport-jwt checks a token's signature the first time this instance sees it; the verdict is kept
 * (CredentialCache) until min(exp, 60 s), and later requests with that token go straight to the
 * customer check, which is what revocation turns on.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly config: AppConfig,
    private readonly customers: CustomersService,
    private readonly cache: CredentialCache,
  ) {
    super({
      jwtFromRequest: (req: FastifyRequest) => credentialOf(req)?.value ?? null,
      // A KeyObject verifies far faster than a string secret; jsonwebtoken accepts it although
      // passport-jwt's typings do not. An error here fails the strategy (it does not throw).
      secretOrKeyProvider: (_req: unknown, token: string, done: (e: Error | null, key?: string) => void) => {
        const key = verificationKey(config.jwt, token);
        if (key === null) done(new Error('no key for this token'));
        else done(null, key as unknown as string);
      },
      passReqToCallback: true,
      ...verifyOptions(config.jwt),
    });
  }

  override authenticate(req: PassportRequest, options?: object): void {
    const token = credentialOf(req as unknown as FastifyRequest)?.value;
    const known = token ? this.cache.knownJwt(token, Date.now()) : undefined;
    if (known === undefined) return super.authenticate(req, options);
    this.principalFor(known).then(
      (principal) => (principal ? this.success(principal) : this.fail(401)),
      (error: Error) => this.error(error),
    );
  }

  /** Called by passport-jwt once the signature, algorithm, issuer and expiry are verified. */
  async validate(req: FastifyRequest, claims: JwtClaims): Promise<Principal | null> {
    const verified = asVerified(claims);
    if (verified === null) return null;
    this.cache.rememberJwt(credentialOf(req)!.value, verified, Date.now());
    return this.principalFor(verified);
  }

  /**
   * The same checks as authenticating a request with this token, for introspection: the signature
   * with the same key and options passport-jwt uses, then the customer.
   */
  async check(token: string): Promise<{ principal: Principal; exp: number } | null> {
    let verified = this.cache.knownJwt(token, Date.now());
    if (verified === undefined) {
      const key = verificationKey(this.config.jwt, token);
      if (key === null) return null;
      try {
        const claims = asVerified(jwt.verify(token, key, verifyOptions(this.config.jwt)) as JwtClaims);
        if (claims === null) return null;
        verified = claims;
      } catch {
        return null;
      }
      this.cache.rememberJwt(token, verified, Date.now());
    }
    const principal = await this.principalFor(verified);
    return principal && { principal, exp: verified.exp };
  }

  /** The customer behind verified claims, if it is alive and the token is of its current generation. */
  async principalFor(claims: VerifiedJwt): Promise<Principal | null> {
    const customer = await this.customers.findLive(claims.sub);
    if (customer === null || claims.gen !== customer.tokenGeneration) return null;
    return { customerId: customer.id, permission: customer.permission, via: 'jwt' };
  }
}

type PassportRequest = Parameters<Strategy['authenticate']>[0];

/** Claims this service issues: jsonwebtoken accepts a token without `exp`; we do not. */
function asVerified(claims: JwtClaims): VerifiedJwt | null {
  if (typeof claims.exp !== 'number' || typeof claims.sub !== 'string' || !isUUID(claims.sub)) return null;
  return { sub: claims.sub, exp: claims.exp, gen: typeof claims.gen === 'number' ? claims.gen : 0 };
}
