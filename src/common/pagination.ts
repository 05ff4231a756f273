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
 * table with `tm_create` and `id`, ending in its WHERE clause; one row more than the page is asked
 * for, to tell whether another page follows (see `pageOf`).
 */
export function newestFirst(select: string, parameters: unknown[], page: PageRequest): [string, unknown[]] {
  const order = ' ORDER BY tm_create DESC, id DESC LIMIT ?';
  if (page.after === null) return [select + order, [...parameters, page.size + 1]];
  const time = sqlDatetime(page.after.time);
  return [
    `${select} AND (tm_create < ? OR (tm_create = ? AND id < ?))${order}`,
    [...parameters, time, time, page.after.id, page.size + 1],
  ];
}

/** The page from the rows `newestFirst` fetched. */
export function pageOf<T extends { tmCreate: Date; id: string }>(rows: T[], page: PageRequest): Page<T> {
  const shown = rows.slice(0, page.size);
  const last = shown.at(-1);
  const more = rows.length > page.size && last !== undefined;
  return { rows: shown, nextPageToken: more ? encodeCursor({ time: last.tmCreate, id: last.id }) : '' };
}
