import { Injectable } from '@nestjs/common';
import { ACCESS_KEY_PREFIX } from '../accesskeys/access-key-token.js';
import { AuthService } from './auth.service.js';
import type { IntrospectionDto } from './dto/introspect.dto.js';

/**
 * RFC 7662 introspection for other services. A credential is active exactly when it would
 * authenticate a request: AuthService's own checks decide, not a copy of them.
 */
@Injectable()
export class IntrospectionService {
  constructor(private readonly auth: AuthService) {}

  async introspect(token: string): Promise<IntrospectionDto> {
    const kind = token.startsWith(ACCESS_KEY_PREFIX) ? 'accesskey' : 'jwt';
    const verdict = await this.auth.validate({ kind, value: token });
    if (typeof verdict === 'string') return { active: false };
    return {
      active: true,
      customer_id: verdict.principal.customerId,
      username: verdict.username,
      permission: verdict.principal.permission,
      token_type: verdict.principal.via,
      exp: verdict.exp,
    };
  }
}
