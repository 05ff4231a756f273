import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

/**
 * Seals TOTP secrets with AES-256-GCM under a key derived (HKDF-SHA256) from the service's JWT
 * signing key: a dump of the database alone does not give the secrets, and no new setting is needed.
 * Changing JWT_SECRET or JWT_PRIVATE_KEY makes the sealed secrets unreadable: enrolled customers
 * then need a super admin's password reset and to enrol again.
 */
export class TotpSecretBox {
  private readonly key: Buffer;

  constructor(signingKey: KeyObject) {
    const material =
      signingKey.type === 'secret'
        ? signingKey.export()
        : signingKey.export({ format: 'der', type: 'pkcs8' });
    this.key = Buffer.from(hkdfSync('sha256', material, '', 'voipbin-auth totp secret', 32));
  }

  seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.');
  }

  open(sealed: string): string {
    const [iv, body, tag] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  }
}
