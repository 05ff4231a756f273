import { hash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * Access-key tokens: `vb_` + 32 base64url characters (24 random bytes, 192 bits) + a 6-character
 * base62 CRC32 of what precedes it, 41 characters in all. The checksum lets a typo or a random
 * string be refused without a database lookup, and lets secret scanners recognise the format
 * (https://github.blog/engineering/behind-githubs-new-authentication-token-formats/).
 */
export const ACCESS_KEY_PREFIX = 'vb_';
export const TOKEN_PREFIX_LENGTH = 11;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SHAPE = /^vb_[A-Za-z0-9_-]{32}[0-9A-Za-z]{6}$/;

/** CRC32 of `body` in base62, left-padded to 6 characters (62^6 > 2^32). */
export function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export function generateAccessKeyToken(): string {
  const body = ACCESS_KEY_PREFIX + randomBytes(24).toString('base64url');
  return body + checksum(body);
}

/** The right shape and a matching checksum: worth a database lookup. */
export function isWellFormedAccessKeyToken(token: string): boolean {
  return SHAPE.test(token) && checksum(token.slice(0, -6)) === token.slice(-6);
}

/** What is stored and looked up: SHA-256 (hex). A fast hash suits 192 random bits. */
export function hashAccessKeyToken(token: string): string {
  return hash('sha256', token, 'hex');
}
