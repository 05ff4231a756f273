import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface JwtPublicKey {
  /** The key's RFC 7638 thumbprint: every instance derives the same kid from the same key. */
  kid: string;
  key: KeyObject;
}

/** What signs login JWTs, and what verifies them. */
export type SigningKeys =
  | { algorithm: 'HS256'; key: KeyObject; kid?: undefined; publicKeys: [] }
  | { algorithm: 'ES256'; key: KeyObject; kid: string; publicKeys: JwtPublicKey[] };

export const MIN_SECRET_BYTES = 32;

const PEM_BLOCK = /-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g;

/** PEM blocks from a variable; `\n` written literally (as .env files and CI secrets often do) counts as a newline. */
function pemBlocks(value: string): string[] {
  return value.replace(/\\n/g, '\n').match(PEM_BLOCK) ?? [];
}

const isP256 = (key: KeyObject) =>
  key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';

/** The RFC 7638 JWK thumbprint of an EC public key. */
export function jwkThumbprint(key: KeyObject): string {
  const { crv, kty, x, y } = key.export({ format: 'jwk' });
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}

export function hs256Keys(secret: string): SigningKeys {
  return { algorithm: 'HS256', key: createSecretKey(Buffer.from(secret)), publicKeys: [] };
}

/**
 * ES256 keys from JWT_PRIVATE_KEY and JWT_PREVIOUS_PUBLIC_KEYS, or the problems with them. The
 * messages name the variable but never quote it: it holds a private key.
 */
export function es256Keys(
  privatePem: string,
  previousPems: string | undefined,
  problems: string[],
): SigningKeys | undefined {
  let key: KeyObject | undefined;
  try {
    const blocks = pemBlocks(privatePem);
    key = blocks.length === 1 ? createPrivateKey(blocks[0]) : undefined;
  } catch {
    key = undefined;
  }
  if (key === undefined || !isP256(key)) {
    problems.push('JWT_PRIVATE_KEY must be one PEM EC P-256 (prime256v1) private key');
    key = undefined;
  }
  const previous: KeyObject[] = [];
  if (previousPems !== undefined) {
    const blocks = pemBlocks(previousPems);
    try {
      previous.push(...blocks.map((pem) => createPublicKey(pem)));
    } catch {
      previous.length = 0;
    }
    if (blocks.length === 0 || previous.length !== blocks.length || !previous.every(isP256)) {
      problems.push('JWT_PREVIOUS_PUBLIC_KEYS must be one or more PEM EC P-256 (prime256v1) public keys');
    }
  }
  if (key === undefined || problems.length > 0) return undefined;
  const publicKeys = [createPublicKey(key), ...previous].map((k) => ({ kid: jwkThumbprint(k), key: k }));
  // The same key listed twice would publish one kid twice.
  const unique = publicKeys.filter((k, i) => publicKeys.findIndex((o) => o.kid === k.kid) === i);
  return { algorithm: 'ES256', key, kid: unique[0].kid, publicKeys: unique };
}

/**
 * A development convenience: without JWT_SECRET, one is generated once and kept (mode 0600) in
 * `folder`, so tokens survive a restart. Production never gets here.
 */
export function developmentSecret(folder: string): string {
  const file = join(folder, 'jwt-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(folder, { recursive: true });
    const secret = randomBytes(48).toString('base64url');
    try {
      writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      // Another process wrote it first: use theirs.
      return readFileSync(file, 'utf8').trim();
    }
  }
}
