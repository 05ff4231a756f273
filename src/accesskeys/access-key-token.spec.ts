import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  checksum,
  generateAccessKeyToken,
  hashAccessKeyToken,
  isWellFormedAccessKeyToken,
} from './access-key-token.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const fromBase62 = (s: string) => s.split('').reduce((n, c) => n * 62 + BASE62.indexOf(c), 0);

describe('access-key tokens', () => {
  it('are vb_ + 32 base64url characters + a 6-character checksum, 41 in all', () => {
    const token = generateAccessKeyToken();
    expect(token).toHaveLength(41);
    expect(token).toMatch(/^vb_[A-Za-z0-9_-]{32}[0-9A-Za-z]{6}$/);
    expect(Buffer.from(token.slice(3, 35), 'base64url')).toHaveLength(24);
  });

  it('carry the base62 CRC32 of what precedes the checksum', () => {
    const token = generateAccessKeyToken();
    expect(fromBase62(token.slice(-6))).toBe(crc32(token.slice(0, -6)));
    expect(checksum('')).toBe('000000');
    expect(fromBase62(checksum('vb_x'))).toBe(crc32('vb_x'));
    expect(checksum('\u00ff'.repeat(9))).toHaveLength(6);
  });

  it('are different every time', () => {
    const tokens = new Set(Array.from({ length: 1000 }, generateAccessKeyToken));
    expect(tokens.size).toBe(1000);
  });

  it('are recognised only with the right shape and checksum', () => {
    const token = generateAccessKeyToken();
    expect(isWellFormedAccessKeyToken(token)).toBe(true);
    const flipped = token.slice(0, 10) + (token[10] === 'a' ? 'b' : 'a') + token.slice(11);
    expect(isWellFormedAccessKeyToken(flipped)).toBe(false);
    expect(isWellFormedAccessKeyToken(token.slice(0, -1))).toBe(false);
    expect(isWellFormedAccessKeyToken(`${token}0`)).toBe(false);
    expect(isWellFormedAccessKeyToken(`xx_${token.slice(3)}`)).toBe(false);
    expect(isWellFormedAccessKeyToken('')).toBe(false);
  });

  it('are stored as their SHA-256 in hex', () => {
    const token = generateAccessKeyToken();
    expect(hashAccessKeyToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashAccessKeyToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });
});
