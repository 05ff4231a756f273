import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { MemoryCounters } from './login-throttle.js';

const rejection = (promise: Promise<RateLimiterRes>) =>
  promise.then(
    () => undefined,
    (res: unknown) => res,
  );

describe('MemoryCounters', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: Date.UTC(2026, 11, 1) });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('counts in a fixed window, refusing past its points, and starts afresh when the window ends', async () => {
    const counters = new MemoryCounters({ points: 2, duration: 60, max: 10 });
    await expect(counters.consume('k')).resolves.toMatchObject({ consumedPoints: 1, remainingPoints: 1 });
    jest.advanceTimersByTime(30_000);
    await expect(counters.consume('k')).resolves.toMatchObject({ consumedPoints: 2, msBeforeNext: 30_000 });
    const refused = await rejection(counters.consume('k'));
    expect(refused).toBeInstanceOf(RateLimiterRes);
    expect(refused).toMatchObject({ consumedPoints: 3, remainingPoints: 0 });
    jest.advanceTimersByTime(30_000);
    await expect(counters.consume('k')).resolves.toMatchObject({ consumedPoints: 1, msBeforeNext: 60_000 });
  });

  it('gives points back within the window only, never below nothing', async () => {
    const counters = new MemoryCounters({ points: 1, duration: 60, max: 10 });
    await counters.consume('k');
    await counters.reward('k');
    await expect(counters.consume('k')).resolves.toMatchObject({ consumedPoints: 1 });
    jest.advanceTimersByTime(60_000);
    // The window ended: a late give-back does not open the next one in credit.
    await counters.reward('k');
    await counters.reward('k');
    await expect(counters.consume('k')).resolves.toMatchObject({ consumedPoints: 1 });
    await expect(rejection(counters.consume('k'))).resolves.toBeInstanceOf(RateLimiterRes);
  });

  it('keeps at most `max` counters, forgetting the least recently used', async () => {
    const counters = new MemoryCounters({ points: 1, duration: 60, max: 100 });
    await counters.consume('kept');
    for (let i = 0; i < 1000; i++) {
      await counters.consume(`flood-${i}`);
      if (i % 50 === 0) await rejection(counters.consume('kept'));
    }
    // Used all along: still counted (and refused).
    await expect(rejection(counters.consume('kept'))).resolves.toBeInstanceOf(RateLimiterRes);
    // Among the first of the flood: forgotten, so counted afresh.
    await expect(counters.consume('flood-0')).resolves.toMatchObject({ consumedPoints: 1 });
  });
});
