import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import { AuthService } from './auth.service.js';
import { credentialOf } from './credentials.js';
import type { AuthFailure, Principal } from '../common/principal.js';

/** Access keys from `?accesskey=` or `Authorization: Bearer vb_...`. */
@Injectable()
export class AccessKeyStrategy extends PassportStrategy(Strategy, 'accesskey') {
  constructor(private readonly auth: AuthService) {
    super();
  }

  async validate(req: FastifyRequest): Promise<Principal | [false, { reason: AuthFailure }]> {
    const verdict = await this.auth.validateAccessKey(credentialOf(req)?.value ?? '', req.ip);
    return typeof verdict === 'string' ? [false, { reason: verdict }] : verdict.principal;
  }
}
