import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { isUUID } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import jwt from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config.js';
import { CustomersService } from '../customers/customers.service.js';
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
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly config: AppConfig,
    private readonly customers: CustomersService,
  ) {
    super({
      jwtFromRequest: (req: FastifyRequest) => {
        const credential = credentialOf(req);
        return credential?.kind === 'jwt' ? credential.value : null;
      },
      // A KeyObject verifies far faster than a string secret; jsonwebtoken accepts it although
      // passport-jwt's typings do not. An error here fails the strategy (it does not throw).
      secretOrKeyProvider: (_req: unknown, token: string, done: (e: Error | null, key?: string) => void) => {
        const key = verificationKey(config.jwt, token);
        if (key === null) done(new Error('no key for this token'));
        else done(null, key as unknown as string);
      },
      ...verifyOptions(config.jwt),
    });
  }

  /**
   * The same checks as authenticating a request with this token, for introspection: the signature
   * with the same key and options passport-jwt uses, then `validate`.
   */
  async check(token: string): Promise<{ principal: Principal; exp: number } | null> {
    const key = verificationKey(this.config.jwt, token);
    if (key === null) return null;
    let claims: JwtClaims;
    try {
      claims = jwt.verify(token, key, verifyOptions(this.config.jwt)) as JwtClaims;
    } catch {
      return null;
    }
    const principal = await this.validate(claims);
    return principal && { principal, exp: claims.exp as number };
  }

  async validate(claims: JwtClaims): Promise<Principal | null> {
    // jsonwebtoken accepts a token without `exp`; we do not.
    if (typeof claims.exp !== 'number' || typeof claims.sub !== 'string' || !isUUID(claims.sub)) {
      return null;
    }
    const customer = await this.customers.findLive(claims.sub);
    if (customer === null || (claims.gen ?? 0) !== customer.tokenGeneration) return null;
    return { customerId: customer.id, permission: customer.permission, via: 'jwt' };
  }
}
