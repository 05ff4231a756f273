import { isUUID } from 'class-validator';
import { ApiError } from './api-error.js';

/** A position in a newest-first list: the last row's creation time and id (the tie-breaker). */
export interface Cursor {
  time: Date;
  id: string;
}

/** The last millisecond of year 9999: later times have no DATETIME, nor a `toISOString()` of four digits. */
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The opaque `page_token`: base64url of `[milliseconds, id]`. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.time.getTime(), cursor.id])).toString('base64url');
}

export function decodeCursor(token: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      value[0] >= 0 &&
      value[0] <= LATEST &&
      typeof value[1] === 'string' &&
      isUUID(value[1])
    ) {
      return { time: new Date(value[0] as number), id: value[1].toLowerCase() };
    }
  } catch {
    // Not base64url JSON: refused below like any other malformed cursor.
  }
  throw ApiError.invalidArgument([
    { field: 'page_token', message: 'page_token is not a cursor this service issued' },
  ]);
}
