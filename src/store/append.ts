import type { EventStore, NewEvent, StoredEvent } from './port.ts';
import { ConcurrencyError } from './port.ts';

/**
 * Appends what `decide` returns for the stream's current events, re-reading and re-deciding when
 * another writer got there first. `decide` must look at the events, so a retry never repeats a fact.
 */
export async function appendDecided(store: EventStore, stream: string, decide: (events: StoredEvent[]) => NewEvent[], attempts = 20): Promise<StoredEvent[]> {
  for (let i = 0; i < attempts; i++) {
    const events = await store.read(stream);
    const next = decide(events);
    if (next.length === 0) return events;
    try {
      await store.append(stream, events.length, next);
      return store.read(stream);
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }
  throw new ConcurrencyError(stream, -1);
}
