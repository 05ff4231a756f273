import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '../common/principal.js';
import { TotpService } from './totp.service.js';

/**
 * Runs after authentication (a global guard): for an enrolled customer, the route needs a login
 * JWT whose factors were given under 10 minutes ago (else 401 STEP_UP_REQUIRED). An access key
 * has no auth_time and cannot step up.
 */
@Injectable()
export class StepUpGuard implements CanActivate {
  constructor(private readonly totp: TotpService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const principal = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (principal !== undefined) await this.totp.requireFresh(principal);
    return true;
  }
}
