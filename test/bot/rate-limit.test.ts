/** The per-principal token bucket both chat adapters use (issue 13, item 8), on an injected clock. */
import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/bot/rate-limit.ts';

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
