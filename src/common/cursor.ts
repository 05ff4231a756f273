import { isUUID } from 'class-validator';
import { ApiError } from './api-error.js';

/**
 * A position in a newest-first list: after the row created at `time` with `id` (the tie-breaker,
 * so that rows created in the same millisecond are neither skipped nor repeated), or, with no id,
 * before `time`: every row created strictly earlier.
 */
export interface Cursor {
  time: Date;
  id: string | null;
}

/** The opaque `page_token`: base64url of `[milliseconds, id]`. */
export function encodeCursor(cursor: { time: Date; id: string }): string {
  return Buffer.from(JSON.stringify([cursor.time.getTime(), cursor.id])).toString('base64url');
}

/**
 * VoIPBIN's `page_token`: a time, such as the `tm_create` of the last item seen, as ISO 8601 (RFC
 * 3339): `2026-12-01T10:15:30.123456Z`, a space for the `T`, any fraction up to nanoseconds, `Z`,
 * an offset, or none (UTC).
 */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))?$/i;
/** The last millisecond both databases hold in a DATETIME(3) (and the last of a four-digit `toISOString()`). */
const LAST_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The rows created strictly before a VoIPBIN `page_token` time; null if it is not one. */
function timestampCursor(token: string): Cursor | null {
  const match = TIMESTAMP.exec(token);
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  const [fraction = '', , sign, offsetHours = '0', offsetMinutes = '0'] = match.slice(7);
  const time = new Date(0);
  time.setUTCFullYear(year!, month! - 1, day);
  time.setUTCHours(hour!, minute, second, Number(fraction.slice(0, 3).padEnd(3, '0')));
  const valid =
    time.getUTCFullYear() === year &&
    time.getUTCMonth() === month! - 1 &&
    time.getUTCDate() === day &&
    hour! < 24 &&
    minute! < 60 &&
    second! < 60 &&
    Number(offsetHours) < 24 &&
    Number(offsetMinutes) < 60;
  if (!valid) return null;
  const offset = (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  // Stored times are whole milliseconds: strictly before 02.000001 is at or before 02.000.
  const carry = /[1-9]/.test(fraction.slice(3)) ? 1 : 0;
  return { time: new Date(Math.min(time.getTime() - offset + carry, LAST_TIME)), id: null };
}

/** The position a `page_token` names: this service's opaque cursor, or VoIPBIN's time. */
export function decodeCursor(token: string): Cursor {
  const time = timestampCursor(token);
  if (time !== null) return time;
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      value[0] >= 0 &&
      value[0] <= LAST_TIME &&
      typeof value[1] === 'string' &&
      isUUID(value[1])
    ) {
      return { time: new Date(value[0] as number), id: value[1].toLowerCase() };
    }
  } catch {
    // Not base64url JSON: refused below like any other malformed cursor.
  }
  throw ApiError.invalidArgument([
    {
      field: 'page_token',
      message: 'page_token must be the next_page_token of a page, or an ISO 8601 time',
    },
  ]);
}
