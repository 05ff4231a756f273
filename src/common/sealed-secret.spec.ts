import { createCipheriv, createSecretKey, generateKeyPairSync, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { SigningKeys } from '../config/signing-keys.js';
import { SecretBox } from './sealed-secret.js';

const hs256 = (): SigningKeys => ({
  algorithm: 'HS256',
  key: createSecretKey(randomBytes(32)),
  publicKeys: [],
});

describe('SecretBox', () => {
  const keys = hs256();
  const box = new SecretBox(keys, 'webhook secret');

  it('opens what it sealed, for the same customer only', () => {
    const sealed = box.seal('customer-a', 'whsec_abc');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('whsec_abc');
    expect(box.open('customer-a', sealed)).toBe('whsec_abc');
    expect(box.open('customer-b', sealed)).toBeNull();
  });

  it('opens nothing altered, of another purpose or under another signing key', () => {
    const sealed = box.seal('customer-a', 'secret');
    const [version, iv, tag, body] = sealed.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] ^= 1;
    expect(box.open('customer-a', [version, iv, tag, flipped.toString('base64url')].join('.'))).toBeNull();
    expect(box.open('customer-a', `v2${sealed.slice(2)}`)).toBeNull();
    expect(box.open('customer-a', 'garbage')).toBeNull();
    expect(new SecretBox(keys, 'totp secret').open('customer-a', sealed)).toBeNull();
    expect(new SecretBox(hs256(), 'webhook secret').open('customer-a', sealed)).toBeNull();
  });

  it('seals under an ES256 signing key too', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const es = new SecretBox(
      { algorithm: 'ES256', key: privateKey, kid: 'k', publicKeys: [] },
      'totp secret',
    );
    expect(es.open('c', es.seal('c', 'JBSWY3DPEHPK3PXP'))).toBe('JBSWY3DPEHPK3PXP');
  });

  it('still opens a TOTP seed sealed as <iv>.<ciphertext>.<tag>, unbound to a customer', () => {
    const key = Buffer.from(hkdfSync('sha256', keys.key.export(), '', 'voipbin-auth totp secret', 32));
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update('JBSWY3DPEHPK3PXP', 'utf8'), cipher.final()]);
    const legacy = [iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.');
    expect(new SecretBox(keys, 'totp secret').open('any-customer', legacy)).toBe('JBSWY3DPEHPK3PXP');
  });
});
