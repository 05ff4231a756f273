import { ApiError } from '../common/api-error.js';
import { ANY_SCOPE } from '../common/auth.decorators.js';
import { Permission } from '../common/permission.js';
import type { Principal } from '../common/principal.js';
import { Rights } from '../common/scopes.js';

/** Whether a caller may call a route, and if not, why. */
export type Verdict = 'allowed' | 'jwt-only' | 'insufficient-scope' | 'permission-denied';

/**
 * The one rule, for the guard and for explaining it: a route that only a login JWT may call refuses
 * keys; a caller whose rights allow the route's scope may call it. A key whose customer may do it
 * but whose scopes do not lacks a scope; anyone else lacks the permission.
 */
export function authorization(principal: Principal, scope: string, jwtOnly: boolean): Verdict {
  if (jwtOnly && principal.via !== 'jwt') return 'jwt-only';
  if (scope === ANY_SCOPE || principal.rights.allows(scope)) return 'allowed';
  if (principal.via === 'accesskey' && Rights.forPermission(principal.permission).allows(scope)) {
    return 'insufficient-scope';
  }
  return 'permission-denied';
}

/** The permissions that grant a scope, the narrowest first, as a person reads them. */
const GRANTS: [number, string][] = [
  [Permission.CustomerManager, 'customer manager (permission 64)'],
  [Permission.CustomerAdmin, 'customer admin (permission 32)'],
  [Permission.ProjectSuperAdmin, 'super admin (permission 1)'],
];

/** The refusal of a verdict other than allowed and insufficient-scope, saying what would be allowed. */
export function denial(verdict: 'jwt-only' | 'permission-denied', scope: string): ApiError {
  if (verdict === 'jwt-only') {
    return ApiError.permissionDenied(
      'Only a login JWT (POST /auth/login) may do this; an access key may not.',
    );
  }
  const grants = GRANTS.filter(([bits]) => scope === ANY_SCOPE || Rights.forPermission(bits).allows(scope));
  const who = grants.map(([, name]) => name).join(' or ');
  return ApiError.permissionDenied(
    `This needs ${scope}, which only a ${who} has; the caller's customer is not one.`,
  );
}
