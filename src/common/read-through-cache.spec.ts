import { describe, expect, it } from '@jest/globals';
import { ReadThroughCache } from './read-through-cache.js';

interface Entry {
  id: string;
  owner: string;
}

/** A loader that counts its calls and answers what `answer` holds at the time. */
function loader<T>(answer: () => T | null | Error) {
  const counter = {
    calls: 0,
    load: () => {
      counter.calls++;
      const value = answer();
      return value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
    },
  };
  return counter;
}

const cache = (ttlMs = 10_000) => new ReadThroughCache<Entry>(100, () => ttlMs);

describe('ReadThroughCache', () => {
  it('reuses a found value, returned as it is (no promise), until it is deleted', async () => {
    const entries = cache();
    const a = loader(() => ({ id: 'a', owner: 'o1' }));
    await entries.get('a', a.load);
    expect(entries.get('a', a.load)).toEqual({ id: 'a', owner: 'o1' });
    expect(a.calls).toBe(1);
    entries.delete('other');
    await entries.get('a', a.load);
    expect(a.calls).toBe(1);
    entries.delete('a');
    await entries.get('a', a.load);
    expect(a.calls).toBe(2);
  });

  it('deletes what matches, and nothing else', async () => {
    const entries = cache();
    const a = loader(() => ({ id: 'a', owner: 'o1' }));
    const b = loader(() => ({ id: 'b', owner: 'o2' }));
    const touch = async () => {
      await entries.get('a', a.load);
      await entries.get('b', b.load);
    };
    await touch();
    entries.deleteWhere((entry) => entry.owner === 'o1');
    await touch();
    expect([a.calls, b.calls]).toEqual([2, 1]);
    entries.clear();
    await touch();
    expect([a.calls, b.calls]).toEqual([3, 2]);
  });

  it('never keeps a miss or a failed lookup', async () => {
    const entries = cache();
    let answer: Entry | null | Error = null;
    const k = loader(() => answer);
    await expect(Promise.resolve(entries.get('k', k.load))).resolves.toBeNull();
    answer = new Error('connection lost');
    await expect(Promise.resolve(entries.get('k', k.load))).rejects.toThrow('connection lost');
    answer = { id: 'k', owner: 'o' };
    await expect(Promise.resolve(entries.get('k', k.load))).resolves.toEqual(answer);
    expect(k.calls).toBe(3);
  });

  it('does not store what a lookup read before a deletion that happened while it ran', async () => {
    const entries = cache();
    let release: (value: Entry) => void = () => undefined;
    const stale = new Promise<Entry>((resolve) => (release = resolve));
    const pending = entries.get('k', () => stale);
    entries.delete('k'); // revoked while the lookup is on its way
    release({ id: 'k', owner: 'o' });
    await pending;
    const fresh = loader(() => null);
    await expect(Promise.resolve(entries.get('k', fresh.load))).resolves.toBeNull();
    expect(fresh.calls).toBe(1);
  });

  it('keeps nothing when its TTL is 0, and a value no longer than the TTL asked at the store', async () => {
    const off = cache(0);
    const k = loader(() => ({ id: 'k', owner: 'o' }));
    await off.get('k', k.load);
    await off.get('k', k.load);
    expect(k.calls).toBe(2);

    const short = cache(30);
    await short.get('k', k.load);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await short.get('k', k.load);
    expect(k.calls).toBe(4);
  });
});
