import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * The public keys of a secret-scanning partner program, from the document GitHub publishes
 * (https://api.github.com/meta/public_keys/secret_scanning):
 * `{"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}`. Every key listed verifies,
 * current or not: GitHub signs with the current one and lists the rotated ones for a while.
 */
export function parseScanningKeys(document: string): Map<string, KeyObject> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw new Error('is not JSON');
  }
  const list = (parsed as { public_keys?: unknown } | null)?.public_keys;
  if (!Array.isArray(list)) throw new Error('has no "public_keys" list');
  const keys = new Map<string, KeyObject>();
  for (const entry of list as { key_identifier?: unknown; key?: unknown }[]) {
    if (typeof entry?.key_identifier !== 'string' || typeof entry.key !== 'string') {
      throw new Error('has an entry without a "key_identifier" and a "key"');
    }
    let key: KeyObject;
    try {
      key = createPublicKey(entry.key);
    } catch {
      throw new Error(`key ${entry.key_identifier} is not a PEM public key`);
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`key ${entry.key_identifier} is not an ECDSA P-256 key`);
    }
    keys.set(entry.key_identifier, key);
  }
  return keys;
}
