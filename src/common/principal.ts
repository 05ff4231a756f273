import type { OwnProfile } from '../customers/customer.entity.js';
import type { Rights } from './scopes.js';

/** Who is calling, as both strategies resolve it. */
export interface Principal {
  customerId: string;
  /** The customer's permission bits, as they are now. */
  permission: number;
  via: 'jwt' | 'accesskey';
  /** What the caller may do: a customer's rights, or a key's scopes within its customer's rights. */
  rights: Rights;
  accessKeyId?: string;
  /** A login JWT's session (`sid`); absent for a key, and for a JWT signed before sessions existed. */
  sessionId?: string;
  /** A login JWT's `auth_time` (seconds since the epoch): how fresh its factors are, for step-up. */
  authTime?: number;
  /** The first characters of the key's secret that was presented (as `token_prefix` shows them). */
  accessKeyPrefix?: string;
  /**
   * The key's secret of before a roll, in its grace period: it may read and make ordinary calls,
   * but not manage keys (routes marked `@CurrentSecretOnly()`), or it could roll the key again and
   * kill the secret that replaced it.
   */
  supersededSecret?: true;
  /** A key a leak report quarantined (leak_action `quarantine`): its rights are read only. */
  quarantined?: true;
  /** A key's own limits, which any key it mints or manages must keep within. */
  key?: KeyLimits;
  /**
   * The customer's profile, as GET /v1.0/customer answers it, read with the credential in its one
   * statement (and cached with it, so dropped by the same `customer` revocation every change of the
   * customer publishes). Absent for a JWT without a session: that route reads it then.
   */
  readonly profile?: OwnProfile;
}

interface KeyLimits {
  /** Its scopes as stored (normalised). */
  scopes: string[];
  /** Its allowed networks; empty: anywhere. */
  allowedCidrs: string[];
  /** When the secret it was called with stops working. */
  expiresAt: Date;
}

/** Why a credential was refused (the answer is the same 401 either way; metrics tell them apart). */
export type AuthFailure = 'expired' | 'invalid' | 'disabled';
