/** Who is calling, as both strategies resolve it. */
export interface Principal {
  customerId: string;
  permission: number;
  via: 'jwt' | 'accesskey';
  accessKeyId?: string;
}
