import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import pLimit from 'p-limit';

/** OWASP's argon2id parameters (19 MiB, t=2, p=1); argon2 hashes on the libuv pool, off the event loop. */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * Off the event loop is not enough: libuv's four threads hashing on a two-core machine leave the
 * event loop a fraction of a core, and every authenticated request waits. One hash per core but
 * one at a time; other logins queue here, so a storm of logins slows logins only.
 */
const hashing = pLimit(Math.max(1, availableParallelism() - 1));

export function hashPassword(password: string): Promise<string> {
  return hashing(() => argon2.hash(password, OPTIONS));
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await hashing(() => argon2.verify(hash, password));
  } catch {
    return false; // a malformed hash matches nothing
  }
}

/**
 * The stored hash of a customer created without a password: no argon2 hash, so no password matches
 * it, and login treats it as an unknown username (the same dummy verification, the same time).
 */
export const NO_PASSWORD = '';

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
