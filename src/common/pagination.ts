import { decodeCursor, encodeCursor, type Cursor } from './cursor.js';
import { MAX_PAGE_SIZE } from './page.dto.js';
import { sqlDatetime } from './sql-time.js';

/** Which page a list request asks for. */
export interface PageRequest {
  size: number;
  after: Cursor | null;
}

export interface Page<T> {
  rows: T[];
  nextPageToken: string;
}

export function pageRequest(pageSize = MAX_PAGE_SIZE, pageToken?: string): PageRequest {
  return { size: Math.min(pageSize, MAX_PAGE_SIZE), after: pageToken ? decodeCursor(pageToken) : null };
}

/**
 * One page of a newest-first list, by cursor (never OFFSET): ordered by creation time then id, so
 * rows created in the same millisecond are neither skipped nor repeated. `select` is plain SQL on a
 * table with `tm_create` and `id`, ending in its WHERE clause.
 */
export function newestFirst(select: string, parameters: unknown[], page: PageRequest): [string, unknown[]] {
  const order = ' ORDER BY tm_create DESC, id DESC LIMIT ?';
  if (page.after === null) return [select + order, [...parameters, page.size]];
  const time = sqlDatetime(page.after.time);
  if (page.after.id === null) {
    return [`${select} AND tm_create < ?${order}`, [...parameters, time, page.size]];
  }
  return [
    `${select} AND (tm_create < ? OR (tm_create = ? AND id < ?))${order}`,
    [...parameters, time, time, page.after.id, page.size],
  ];
}

/**
 * The page from the rows `newestFirst` fetched. As VoIPBIN's lists do, every page with rows leads
 * on, even the last; the page after it is empty and ends with `""`: clients loop until `result` is
 * empty.
 */
export function pageOf<T extends { tmCreate: Date; id: string }>(rows: T[]): Page<T> {
  const last = rows.at(-1);
  return { rows, nextPageToken: last ? encodeCursor({ time: last.tmCreate, id: last.id }) : '' };
}
