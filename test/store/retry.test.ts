/**
 * The outage retry: a call that meets DatabaseUnavailableError is tried again after each pause of the
 * policy, and fails with the last error once they are spent; any other error fails at once.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../src/store/memory.ts';
import { ConcurrencyError, DatabaseUnavailableError, type EventStore } from '../../src/store/port.ts';
import { retryingStore, retryUnavailable } from '../../src/store/retry.ts';

/** The store, refusing its first `outages` reads as unavailable (a wrapper: the store answers the rest). */
function flaky(inner: EventStore, outages: number): EventStore & { reads: number } {
  const store = {
    ...inner,
    reads: 0,
    read: async (stream: string) => {
      store.reads += 1;
      if (store.reads <= outages) throw new DatabaseUnavailableError('connection refused');
      return inner.read(stream);
    },
  };
  return store;
}

describe('Outage retry', () => {
  it('When the database is unavailable twice and then answers, Then the read is tried again after each pause and answers', async () => {
    const inner = createMemoryEventStore();
    await inner.append('s', 0, [{ type: 'A', data: {} }]);
    const store = flaky(inner, 2);
    const retries: number[] = [];
    const retrying = retryingStore(store, { delaysMs: [0, 0, 0], onRetry: ({ attempt }) => retries.push(attempt) });

    expect((await retrying.read('s')).map((e) => e.type)).toEqual(['A']);
    expect(store.reads).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('When the outage outlasts the pauses, Then the last DatabaseUnavailableError is thrown', async () => {
    const store = flaky(createMemoryEventStore(), 5);
    await expect(retryingStore(store, { delaysMs: [0, 0] }).read('s')).rejects.toThrow(DatabaseUnavailableError);
    expect(store.reads).toBe(3);
  });

  it('When the work fails otherwise (a lost race, or a throw before any promise), Then it is not tried again and the caller gets a rejection', async () => {
    let calls = 0;
    const lost = retryUnavailable(
      async () => {
        calls += 1;
        throw new ConcurrencyError('s', 0);
      },
      { delaysMs: [0] },
    );
    await expect(lost).rejects.toThrow(ConcurrencyError);
    expect(calls).toBe(1);
    const thrown = retryUnavailable(
      (): Promise<number> => {
        throw new RangeError('bad');
      },
      { delaysMs: [0] },
    );
    await expect(thrown).rejects.toThrow(RangeError);
  });
});
