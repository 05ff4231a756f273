import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { SigningKeys } from '../config/signing-keys.js';

/** A new secret as Standard Webhooks writes it: `whsec_` and the base64 of 24 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/**
 * The key that seals webhook secrets at rest, derived from the JWT signing key: a dump of the
 * database alone does not give the secrets away. A new signing key leaves them unreadable, and
 * customers then roll theirs.
 */
function sealingKey(keys: SigningKeys): Buffer {
  const material =
    keys.algorithm === 'HS256' ? keys.key.export() : keys.key.export({ format: 'der', type: 'pkcs8' });
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'voipbin-auth webhook secret', 32));
}

/** AES-256-GCM, bound to the customer: `v1.<iv>.<tag>.<ciphertext>`, base64url. */
export function sealSecret(keys: SigningKeys, customerId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(keys), iv);
  cipher.setAAD(Buffer.from(customerId));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** The secret, or null when it cannot be opened (sealed under another signing key, or altered). */
export function openSecret(keys: SigningKeys, customerId: string, sealed: string): string | null {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || body === undefined) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(keys), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(customerId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return null;
  }
}
