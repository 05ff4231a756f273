import { createHmac, createPublicKey, sign, timingSafeEqual, verify } from 'node:crypto';
import type { SigningKeys } from '../config/signing-keys.js';

/** Where verification of a pruned chain starts: the last pruned event, and when it was pruned. */
export interface Checkpoint {
  customerId: string;
  sequence: number;
  hash: string;
  tmCreate: Date;
}

const payloadOf = (c: Checkpoint) =>
  Buffer.from(
    JSON.stringify(['audit-checkpoint', c.customerId, c.sequence, c.hash, c.tmCreate.toISOString()]),
  );

/**
 * Signs a checkpoint with the key that signs login JWTs: HMAC-SHA256 with the HS256 secret, or
 * ECDSA P-256 with the ES256 private key (which anyone can check with the JWKS's public key).
 */
export function signCheckpoint(keys: SigningKeys, checkpoint: Checkpoint): string {
  const payload = payloadOf(checkpoint);
  if (keys.algorithm === 'HS256') return createHmac('sha256', keys.key).update(payload).digest('base64url');
  return sign('sha256', payload, { key: keys.key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}

/** Whether `signature` is this deployment's over the checkpoint (ES256: by the current or a previous key). */
export function checkpointSigned(keys: SigningKeys, checkpoint: Checkpoint, signature: string): boolean {
  const given = Buffer.from(signature, 'base64url');
  const payload = payloadOf(checkpoint);
  if (keys.algorithm === 'HS256') {
    const expected = createHmac('sha256', keys.key).update(payload).digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  return [createPublicKey(keys.key), ...keys.publicKeys.map((k) => k.key)].some((key) =>
    verify('sha256', payload, { key, dsaEncoding: 'ieee-p1363' }, given),
  );
}
