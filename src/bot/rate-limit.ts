/**
 * A token bucket per principal (`slack:U0123`, `discord:4567`), shared by the Slack and Discord
 * adapters (issue 13, item 8). A request takes one token; a principal with none left is told to slow
 * down, privately, and nothing else runs for it, so one member's flood costs the bot almost nothing
 * and never delays anybody else's click. Buckets live in memory: each replica limits what it serves.
 */

export interface RateLimitOptions {
  /** Requests a principal may send at once. */
  burst: number;
  /** Tokens given back per second. */
  perSecond: number;
  /** A monotonic clock in milliseconds; injected in tests. */
  clock?: () => number;
  /** Buckets kept at most (the least recently used are forgotten first; they have refilled by then). */
  maxPrincipals?: number;
}

export interface RateLimiter {
  /** Takes a token for `principal`: true when the request may go on. */
  take(principal: string): boolean;
}

/** A person typing or clicking, however busy, stays far inside this; a script does not. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 20, perSecond: 1 };

export const SLOW_DOWN = 'Slow down: too many council requests from you in a short time. Nothing was done; try again in a few seconds.';

export function createRateLimiter(options: RateLimitOptions = DEFAULT_RATE_LIMIT): RateLimiter {
  const clock = options.clock ?? (() => performance.now());
  const maxPrincipals = options.maxPrincipals ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(principal) {
      const now = clock();
      const bucket = buckets.get(principal) ?? { tokens: options.burst, at: now };
      bucket.tokens = Math.min(options.burst, bucket.tokens + ((now - bucket.at) / 1000) * options.perSecond);
      bucket.at = now;
      buckets.delete(principal);
      buckets.set(principal, bucket);
      if (buckets.size > maxPrincipals) buckets.delete(buckets.keys().next().value as string);
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}

/**
 * Read work that outlives its acknowledgement (a status), a few at a time. Unbounded, a flood queued
 * hundreds of status reads on the database's connections and the event loop, and an Approve behind
 * them waited seconds for its one append; bounded, the rest of a flood is told at once to retry.
 */
export interface ReadQueue {
  /** Starts `work` now or when a slot frees; false (nothing started) when too many are waiting. */
  offer(work: () => Promise<void>): boolean;
}

export const BUSY = 'The council is busy answering others right now. Nothing was done; try again in a few seconds.';

export interface ReadQueueOptions {
  concurrency: number;
  maxWaiting: number;
  /** Reads started per second at most, whoever asks: the CPU a flood of many members may take. */
  perSecond: number;
  clock?: () => number;
}

/**
 * Above what a desk asks for; a member's own flood is already cut by their bucket. Measured under a flood
 * on a loaded machine, two at a time let an Approve wait 2.3 s behind status reads, one at a time 0.1 s.
 */
export const DEFAULT_READS: ReadQueueOptions = { concurrency: 1, maxWaiting: 5, perSecond: 10 };

export function createReadQueue(options: ReadQueueOptions = DEFAULT_READS): ReadQueue {
  const waiting: (() => Promise<void>)[] = [];
  const pace = createRateLimiter({ burst: options.perSecond, perSecond: options.perSecond, clock: options.clock });
  let running = 0;
  const next = (): void => {
    const work = running < options.concurrency ? waiting.shift() : undefined;
    if (!work) return;
    running++;
    void work()
      .catch(() => {})
      .finally(() => {
        running--;
        next();
      });
  };
  return {
    offer(work) {
      if (waiting.length >= options.maxWaiting || !pace.take('reads')) return false;
      waiting.push(work);
      next();
      return true;
    },
  };
}
