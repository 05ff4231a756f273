import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { isUUID } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config.js';
import { CustomersService } from '../customers/customers.service.js';
import { credentialOf } from './credentials.js';
import type { Principal } from './principal.js';

export interface JwtClaims {
  sub?: unknown;
  exp?: unknown;
  iat?: unknown;
  /** The customer's token generation at login; a password change moves it on. */
  gen?: unknown;
}

/** Login JWTs: HS256 only, `iss` checked, `exp` required, customer alive, issued since its last password change. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly customers: CustomersService,
  ) {
    super({
      jwtFromRequest: (req: FastifyRequest) => {
        const credential = credentialOf(req);
        return credential?.kind === 'jwt' ? credential.value : null;
      },
      // A KeyObject verifies far faster than a string secret; jsonwebtoken accepts it although
      // passport-jwt's typings do not.
      secretOrKey: config.jwt.key as unknown as string,
      algorithms: ['HS256'],
      issuer: config.jwt.issuer,
    });
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
