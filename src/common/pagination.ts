import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { decodeCursor, encodeCursor, type Cursor } from './cursor.js';
import { MAX_PAGE_SIZE } from './page.dto.js';

export interface Page<T> {
  rows: T[];
  nextPageToken: string;
}

/**
 * One page of a newest-first list, by cursor (never OFFSET): ordered by creation time then id, so
 * rows created in the same millisecond are neither skipped nor repeated. The query's alias must
 * name an entity with `tmCreate` and `id`.
 */
export async function newestFirst<T extends ObjectLiteral & { tmCreate: Date; id: string }>(
  query: SelectQueryBuilder<T>,
  pageSize = MAX_PAGE_SIZE,
  pageToken?: string,
): Promise<Page<T>> {
  const size = Math.min(pageSize, MAX_PAGE_SIZE);
  const alias = query.alias;
  query
    .orderBy(`${alias}.tmCreate`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .limit(size + 1);
  if (pageToken) {
    query.andWhere(
      `(${alias}.tmCreate < :time OR (${alias}.tmCreate = :time AND ${alias}.id < :id))`,
      decodeCursor(pageToken),
    );
  }
  return pageFrom(await query.getMany(), size, (row) => ({ time: row.tmCreate, id: row.id }));
}

/**
 * A page from rows fetched newest first, one more than `size` asked for: that one only says
 * whether another page follows.
 */
export function pageFrom<T>(rows: T[], size: number, cursorOf: (row: T) => Cursor): Page<T> {
  const page = rows.slice(0, size);
  const last = page.at(-1);
  return { rows: page, nextPageToken: rows.length > size && last ? encodeCursor(cursorOf(last)) : '' };
}
