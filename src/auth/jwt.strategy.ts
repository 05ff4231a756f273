import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-jwt';
import { AuthService, type Authenticated } from './auth.service.js';
import { credentialOf } from './credentials.js';
import { failureOf, JwtTokens, type JwtClaims } from './jwt-tokens.js';
import type { AuthFailure, Principal } from '../common/principal.js';

type PassportRequest = Parameters<Strategy['authenticate']>[0];

/**
 * Login JWTs, verified by passport-jwt with JwtTokens' key and options. A token JwtTokens has
 * verified before skips passport-jwt's signature check. Every failure carries its reason.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly tokens: JwtTokens,
    private readonly auth: AuthService,
  ) {
    super({
      jwtFromRequest: (req: FastifyRequest) => credentialOf(req)?.value ?? null,
      // jsonwebtoken accepts a KeyObject although passport-jwt's typings do not. An error here fails
      // the strategy (it does not throw).
      secretOrKeyProvider: (_req: unknown, token: string, done: (e: Error | null, key?: string) => void) => {
        const key = tokens.keyFor(token);
        if (key === null) done(new Error('no key for this token'));
        else done(null, key as unknown as string);
      },
      passReqToCallback: true,
      ...tokens.verifyOptions,
    });
  }

  override authenticate(req: PassportRequest, options?: object): void {
    // passport-jwt fails with jsonwebtoken's errors, validate() with a reason: the guard is told
    // the reason only.
    const fail = this.fail.bind(this) as unknown as (info: { reason: AuthFailure }) => void;
    this.fail = ((info?: unknown) =>
      fail(isRefusal(info) ? info : { reason: failureOf(info) })) as typeof this.fail;
    const token = credentialOf(req as unknown as FastifyRequest)?.value;
    const known = token ? this.tokens.known(token) : undefined;
    if (known === undefined) return super.authenticate(req, options);
    this.auth.validateJwt(known).then(
      (verdict) =>
        typeof verdict === 'string' ? fail({ reason: verdict }) : this.success(verdict.principal),
      (error: Error) => this.error(error),
    );
  }

  /** Called by passport-jwt once the signature, algorithm, issuer and expiry are verified. */
  async validate(
    req: FastifyRequest,
    claims: JwtClaims,
  ): Promise<Principal | [false, { reason: AuthFailure }]> {
    const verified = this.tokens.accept(credentialOf(req)!.value, claims);
    const verdict: Authenticated | AuthFailure =
      verified === null ? 'invalid' : await this.auth.validateJwt(verified);
    return typeof verdict === 'string' ? [false, { reason: verdict }] : verdict.principal;
  }
}

const isRefusal = (info: unknown): info is { reason: AuthFailure } =>
  typeof info === 'object' && info !== null && 'reason' in info;
