/**
 * Riding out a short database outage. A council run has paid for its model calls by the time it
 * appends their results, so dropping them at the first refused connection would pay twice; instead
 * the run's reads and appends wait, with a growing pause, for a bounded time, then fail cleanly.
 */
import { DatabaseUnavailableError, type EventStore } from './port.ts';

export interface OutageRetry {
  /** Pauses before each new attempt; their number bounds the attempts and their sum the wait. */
  delaysMs: readonly number[];
  onRetry?: (info: { error: DatabaseUnavailableError; attempt: number; delayMs: number }) => void;
}

/** About 50 s of waiting in all: a server restart or failover, not a long outage. */
export const OUTAGE_RETRY: OutageRetry = { delaysMs: [250, 500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000, 10_000] };

/**
 * `work()`, tried again through an outage. The first attempt is the promise `work` returns with only a
 * rejection handler added: every read and append of a council run passes through here, and an async
 * function around each cost a suspended frame and its promises per call. The waiting happens only after a
 * failure.
 */
export function retryUnavailable<T>(work: () => Promise<T>, policy: OutageRetry): Promise<T> {
  let first: Promise<T>;
  try {
    first = work();
  } catch (error) {
    first = Promise.reject(error);
  }
  return first.then(undefined, (error: unknown) => retryAfter(error, work, policy));
}

/** The attempts after the first failed with `error`. */
async function retryAfter<T>(error: unknown, work: () => Promise<T>, policy: OutageRetry): Promise<T> {
  let failure = error;
  for (let attempt = 0; ; attempt++) {
    const delayMs = policy.delaysMs[attempt];
    if (!(failure instanceof DatabaseUnavailableError) || delayMs === undefined) throw failure;
    policy.onRetry?.({ error: failure, attempt: attempt + 1, delayMs });
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    try {
      return await work();
    } catch (next) {
      failure = next;
    }
  }
}

/**
 * The store with every call retried through an outage. Retrying an append is safe: if the lost
 * attempt did commit, the retry meets ConcurrencyError, and appendDecided re-reads and decides nothing.
 */
export function retryingStore(store: EventStore, policy: OutageRetry): EventStore {
  return {
    append: (stream, expectedVersion, events) => retryUnavailable(() => store.append(stream, expectedVersion, events), policy),
    // Not retried: if the lost attempt did commit, nothing would tell, and the events would be recorded twice.
    appendAtHead: (stream, events) => store.appendAtHead(stream, events),
    // Every part carries an expected version: a lost attempt that did commit makes the retry fail as moved.
    appendMany: (appends) => retryUnavailable(() => store.appendMany(appends), policy),
    read: (stream, options) => retryUnavailable(() => store.read(stream, options), policy),
    readAll: (options) => retryUnavailable(() => store.readAll(options), policy),
    streams: (prefix) => retryUnavailable(() => store.streams(prefix), policy),
  };
}
