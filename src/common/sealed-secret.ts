import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { SigningKeys } from '../config/signing-keys.js';

/**
 * Seals the secrets the service must read back (TOTP seeds, webhook signing secrets): AES-256-GCM
 * under a key derived (HKDF-SHA256) for each purpose from the JWT signing key, bound to the customer
 * it belongs to. A dump of the database alone gives none of them away, and no new setting is needed.
 * A new signing key leaves them unreadable: customers then enrol again or roll the secret.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(keys: SigningKeys, purpose: 'totp secret' | 'webhook secret') {
    const material =
      keys.algorithm === 'HS256' ? keys.key.export() : keys.key.export({ format: 'der', type: 'pkcs8' });
    this.key = Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), `voipbin-auth ${purpose}`, 32));
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url. */
  seal(customerId: string, secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(customerId));
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return ['v1', ...[iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url'))].join('.');
  }

  /** The secret, or null when it cannot be opened (sealed under another signing key, or altered). */
  open(customerId: string, sealed: string): string | null {
    const parts = sealed.split('.');
    // `<iv>.<ciphertext>.<tag>`, not bound to a customer: TOTP seeds sealed before the version prefix.
    const [iv, tag, body, aad] =
      parts.length === 3 ? [parts[0], parts[2], parts[1], null] : [parts[1], parts[2], parts[3], customerId];
    if ((parts.length !== 3 && parts[0] !== 'v1') || body === undefined) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      if (aad !== null) decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      return null;
    }
  }
}
