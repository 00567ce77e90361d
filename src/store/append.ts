/**
 * The one retry policy for decisions: read, decide, append at the version read; when another writer
 * got there first, read again and decide again. `decide` must look at the events, so a retry never
 * repeats a fact. One stream (`appendDecided`) or several written in one transaction
 * (`appendDecidedAcross`: a decision that read more than the stream it writes).
 */
import type { EventStore, NewEvent, StoredEvent } from './port.ts';
import { ConcurrencyError } from './port.ts';

/** How many times a decision is read and made before giving up with ConcurrencyError. */
export const DECISION_ATTEMPTS = 20;

/**
 * Appends what `decide` returns for the stream's current events, re-reading and re-deciding when
 * another writer got there first. Returns the stream's last version after the decision (the version
 * read when `decide` returned nothing), without reading the stream back: for callers that only need
 * the decision written, or read their state afterwards anyway.
 */
export async function appendDecision(store: EventStore, stream: string, decide: (events: StoredEvent[]) => readonly NewEvent[], attempts = DECISION_ATTEMPTS): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const events = await store.read(stream);
    const next = decide(events);
    if (next.length === 0) return events.length;
    try {
      return await store.append(stream, events.length, next);
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }
  throw new ConcurrencyError(stream, -1);
}

/**
 * `appendDecision`, answering the stream's events after the decision: the events read when nothing was
 * appended, otherwise the stream read again (the appended events as stored: versions, positions, times).
 */
export async function appendDecided(
  store: EventStore,
  stream: string,
  decide: (events: StoredEvent[]) => readonly NewEvent[],
  attempts = DECISION_ATTEMPTS,
): Promise<StoredEvent[]> {
  let read: StoredEvent[] = [];
  const version = await appendDecision(
    store,
    stream,
    (events) => {
      read = events;
      return decide(events);
    },
    attempts,
  );
  return version === read.length ? read : store.read(stream);
}

export interface DecidedAcross {
  /** Every stream as the decision read it, in the order named. */
  read: StoredEvent[][];
  /** What was appended to each (none anywhere: the decision was to do nothing). */
  appended: NewEvent[][];
}

/**
 * A decision over several streams: `decide` gets each stream's events (in the order named) and returns
 * the events to append to each, in the same order. Every stream it read is held to the version read
 * (`appendMany`), also those it appends nothing to, so the decision is written only while all it read
 * is still so; otherwise everything is read and decided again. `first`, the streams as the caller has
 * just read them, spares the first attempt its reads.
 */
export async function appendDecidedAcross(
  store: EventStore,
  streams: readonly string[],
  decide: (events: StoredEvent[][]) => NewEvent[][],
  options: { first?: readonly (readonly StoredEvent[])[]; attempts?: number } = {},
): Promise<DecidedAcross> {
  const attempts = options.attempts ?? DECISION_ATTEMPTS;
  for (let i = 0; i < attempts; i++) {
    const read = i === 0 && options.first ? options.first.map((events) => [...events]) : await Promise.all(streams.map((stream) => store.read(stream)));
    const appended = decide(read);
    if (appended.every((events) => events.length === 0)) return { read, appended };
    try {
      const parts = streams.map((stream, s) => ({ stream, expectedVersion: read[s]?.length ?? 0, events: appended[s] ?? [] }));
      // One stream needs no more than the single append (the cheaper statement).
      const [only] = parts;
      if (parts.length === 1 && only) await store.append(only.stream, only.expectedVersion, only.events);
      else await store.appendMany(parts);
      return { read, appended };
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }
  throw new ConcurrencyError(streams.join(', '), -1);
}
