import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import { AccessKeysService } from '../accesskeys/accesskeys.service.js';
import { credentialOf } from './credentials.js';
import type { Principal } from './principal.js';

/** Access keys from `?accesskey=` or `Authorization: Bearer vb_...`. */
@Injectable()
export class AccessKeyStrategy extends PassportStrategy(Strategy, 'accesskey') {
  constructor(private readonly accessKeys: AccessKeysService) {
    super();
  }

  async validate(req: FastifyRequest): Promise<Principal | null | [false, { expired: true }]> {
    const verdict = await this.accessKeys.authenticate(credentialOf(req)?.value ?? '');
    // A failure with its reason, for the guard's metrics; the answer is the same 401.
    return verdict === 'expired' ? [false, { expired: true }] : verdict;
  }
}
