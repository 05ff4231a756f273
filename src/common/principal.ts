/** Who is calling, as both strategies resolve it. */
export interface Principal {
  customerId: string;
  permission: number;
  via: 'jwt' | 'accesskey';
  accessKeyId?: string;
}

/** Why a credential was refused (the answer is the same 401 either way; metrics tell them apart). */
export type AuthFailure = 'expired' | 'invalid';
