import { LRUCache } from 'lru-cache';

/**
 * A bounded LRU in front of a lookup. Only found values are kept: a miss costs one lookup, and
 * caching misses would let anyone flush the cache with made-up keys. A failed lookup is thrown,
 * never kept. How long a value is kept is asked at each store (`ttlMs`); 0 keeps nothing.
 */
export class ReadThroughCache<V extends object> {
  private readonly entries: LRUCache<string, V>;
  /**
   * Moves on with every removal. A lookup that was under way when its value was removed may have
   * read it as it was before: it is not stored when the epoch moved meanwhile.
   */
  private epoch = 0;

  constructor(
    max: number,
    private readonly ttlMs: () => number,
  ) {
    this.entries = new LRUCache({ max });
  }

  /** The kept value, or the lookup's (a value when it was kept, so a hit costs no promise). */
  get(key: string, load: () => Promise<V | null>): V | Promise<V | null> {
    return this.entries.get(key) ?? this.through(key, load);
  }

  delete(key: string): void {
    this.epoch++;
    this.entries.delete(key);
  }

  deleteWhere(matches: (value: V) => boolean): void {
    this.epoch++;
    for (const [key, value] of this.entries.entries()) if (matches(value)) this.entries.delete(key);
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  private async through(key: string, load: () => Promise<V | null>): Promise<V | null> {
    const epoch = this.epoch;
    const found = await load();
    const ttl = this.ttlMs();
    if (found !== null && ttl > 0 && epoch === this.epoch) this.entries.set(key, found, { ttl });
    return found;
  }
}
