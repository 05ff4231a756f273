import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ApiError } from './api-error.js';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('the page cursor', () => {
  it('round-trips a time to the millisecond and an id', () => {
    const cursor = { time: new Date('2026-12-01T10:15:30.123Z'), id: randomUUID() };
    const token = encodeCursor(cursor);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(token)).toEqual(cursor);
    const latest = { time: new Date('9999-12-31T23:59:59.999Z'), id: randomUUID() };
    expect(decodeCursor(encodeCursor(latest))).toEqual(latest);
  });

  it.each([
    ['2026-12-01T10:15:30.123000Z', '2026-12-01T10:15:30.123Z'],
    // Stored times are whole milliseconds: strictly before .123456 is before .124.
    ['2026-12-01T10:15:30.123456Z', '2026-12-01T10:15:30.124Z'],
    ['2026-12-01T10:15:30.123000001Z', '2026-12-01T10:15:30.124Z'],
    ['2026-12-01 10:15:30', '2026-12-01T10:15:30.000Z'],
    ['2026-12-01T19:15:30+09:00', '2026-12-01T10:15:30.000Z'],
    ['2026-12-01t05:15:30.5-05:00', '2026-12-01T10:15:30.500Z'],
    ['2024-02-29T00:00:00z', '2024-02-29T00:00:00.000Z'],
    ['9999-12-31T23:59:59.9999999Z', '9999-12-31T23:59:59.999Z'],
  ])("reads VoIPBIN's page_token %s as the rows created strictly before %s", (token, before) => {
    expect(decodeCursor(token)).toEqual({ time: new Date(before), id: null });
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['a day that does not exist', '2026-02-29T00:00:00Z'],
    ['a 60th second', '2026-12-01T10:15:60Z'],
    ['an offset of a day', '2026-12-01T10:15:30+24:00'],
    ['a time without seconds', '2026-12-01T10:15Z'],
    ['an id that is not a UUID', Buffer.from('[1,"x"]').toString('base64url')],
    ['a fractional time', Buffer.from(`[1.5,"${randomUUID()}"]`).toString('base64url')],
    ['a negative time', Buffer.from(`[-1,"${randomUUID()}"]`).toString('base64url')],
    ['an object', Buffer.from('{"t":1}').toString('base64url')],
    ['three items', Buffer.from(`[1,"${randomUUID()}",3]`).toString('base64url')],
    ['a time no Date holds', Buffer.from(`[${2 ** 53 - 1},"${randomUUID()}"]`).toString('base64url')],
    ['a time after year 9999', Buffer.from(`[253402300800000,"${randomUUID()}"]`).toString('base64url')],
  ])('refuses %s with a 400 naming page_token', (_label, token) => {
    let thrown: unknown;
    try {
      decodeCursor(token);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).getStatus()).toBe(400);
    expect((thrown as ApiError).details).toEqual([{ field: 'page_token', message: expect.any(String) }]);
  });
});
