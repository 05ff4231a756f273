import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

/** OWASP's argon2id parameters (19 MiB, t=2, p=1); argon2 hashes on the libuv pool, off the event loop. */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false; // a malformed hash matches nothing
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * A hash no password matches, verified when the username is unknown so that both login failures
 * cost the same time and an attacker cannot tell which usernames exist.
 */
export function unknownUserHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url'));
  return dummyHash;
}

/** A generated password: 20 URL-safe characters (120 bits). */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}
