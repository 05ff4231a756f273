import { Injectable } from '@nestjs/common';
import { ACCESS_KEY_PREFIX } from '../accesskeys/access-key-token.js';
import { AccessKeysService } from '../accesskeys/accesskeys.service.js';
import { CustomersService } from '../customers/customers.service.js';
import type { IntrospectionDto } from './dto/introspect.dto.js';
import { JwtStrategy } from './jwt.strategy.js';
import type { Principal } from './principal.js';

/**
 * RFC 7662 introspection for other services. A credential is active exactly when it would
 * authenticate a request: the JWT strategy's and the access-key service's own checks decide, not a
 * copy of them.
 */
@Injectable()
export class IntrospectionService {
  constructor(
    private readonly jwt: JwtStrategy,
    private readonly accessKeys: AccessKeysService,
    private readonly customers: CustomersService,
  ) {}

  async introspect(token: string): Promise<IntrospectionDto> {
    let verdict: { principal: Principal; exp: number } | null;
    if (token.startsWith(ACCESS_KEY_PREFIX)) {
      const key = await this.accessKeys.check(token);
      verdict =
        key === null || key === 'expired'
          ? null
          : { principal: key.principal, exp: Math.floor(key.expiresAt.getTime() / 1000) };
    } else {
      verdict = await this.jwt.check(token);
    }
    if (verdict === null) return { active: false };
    // For the username; also catches a customer deleted since the check.
    const customer = await this.customers.findLive(verdict.principal.customerId);
    if (customer === null) return { active: false };
    return {
      active: true,
      customer_id: customer.id,
      username: customer.username,
      permission: verdict.principal.permission,
      token_type: verdict.principal.via,
      exp: verdict.exp,
    };
  }
}
