import { Injectable } from '@nestjs/common';
import { ACCESS_KEY_PREFIX } from '../accesskeys/access-key-token.js';
import { AuthService } from './auth.service.js';
import type { IntrospectionDto } from './dto/introspect.dto.js';

/**
 * RFC 7662 introspection for other services. A credential is active exactly when it would
 * authenticate a request: AuthService's own checks decide, not a copy of them. `scope` is what it
 * may do now (a key's scopes within its customer's rights), and a key's `allowed_cidrs` the networks
 * it may be used from, for the services behind the API to enforce.
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
      scope: verdict.principal.rights.toScopes().join(' '),
      ...(verdict.principal.key && { allowed_cidrs: verdict.principal.key.allowedCidrs }),
      ...(verdict.principal.quarantined && { quarantined: true }),
    };
  }
}
