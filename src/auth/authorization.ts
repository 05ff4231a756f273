import { ANY_SCOPE } from '../common/auth.decorators.js';
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
