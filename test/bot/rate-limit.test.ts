/** The per-principal token bucket both chat adapters use (issue 13, item 8), on an injected clock. */
import { describe, expect, it } from 'vitest';
import { createRateLimiter, createReadQueue } from '../../src/bot/rate-limit.ts';

describe('The rate limit per principal', () => {
  it('When a user sends more than the burst at once, Then the rest are refused until tokens come back, and another user is unaffected', () => {
    let now = 0;
    const limiter = createRateLimiter({ burst: 3, perSecond: 1, clock: () => now });
    expect([1, 2, 3, 4].map(() => limiter.take('slack:U1'))).toEqual([true, true, true, false]);
    expect(limiter.take('slack:U2')).toBe(true);
    now += 999;
    expect(limiter.take('slack:U1')).toBe(false);
    now += 1;
    expect(limiter.take('slack:U1')).toBe(true);
    now += 60_000;
    expect([1, 2, 3, 4].map(() => limiter.take('slack:U1'))).toEqual([true, true, true, false]);
  });

  it('When more principals than it keeps have come by, Then the least recent is forgotten (a full bucket again)', () => {
    const limiter = createRateLimiter({ burst: 1, perSecond: 0, clock: () => 0, maxPrincipals: 2 });
    expect(limiter.take('a')).toBe(true);
    expect(limiter.take('a')).toBe(false);
    limiter.take('b');
    limiter.take('c');
    expect(limiter.take('a')).toBe(true);
  });
});

describe('The read queue', () => {
  it('When more reads are offered than run and wait, Then the rest are turned away at once, and each waiting one runs when a slot frees', async () => {
    const queue = createReadQueue({ concurrency: 1, maxWaiting: 2, perSecond: 100, clock: () => 0 });
    const releases: (() => void)[] = [];
    const started: number[] = [];
    const offer = (n: number) =>
      queue.offer(
        () =>
          new Promise<void>((resolve) => {
            started.push(n);
            releases.push(resolve);
          }),
      );
    expect([1, 2, 3, 4].map(offer)).toEqual([true, true, true, false]);
    expect(started).toEqual([1]);
    releases.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([1, 2]);
  });

  it('When more reads are asked for in a second than it starts, Then the rest are turned away', () => {
    const queue = createReadQueue({ concurrency: 10, maxWaiting: 10, perSecond: 2, clock: () => 0 });
    expect([1, 2, 3].map(() => queue.offer(async () => {}))).toEqual([true, true, false]);
  });
});
