/** Who is calling, as both strategies resolve it. */
export interface Principal {
  customerId: string;
  permission: number;
  via: 'jwt' | 'accesskey';
  accessKeyId?: string;
  /**
   * The key's secret of before a roll, in its grace period: it may read and make ordinary calls,
   * but not manage keys (routes marked `@CurrentSecretOnly()`), or it could roll the key again and
   * kill the secret that replaced it.
   */
  supersededSecret?: true;
}

/** Why a credential was refused (the answer is the same 401 either way; metrics tell them apart). */
export type AuthFailure = 'expired' | 'invalid';
