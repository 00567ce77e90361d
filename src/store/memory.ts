/**
 * An event store held in process memory: the same port and the same rules (expected versions,
 * ConcurrencyError, global order) as the SQL store, for runs that need no durability, such as a
 * backtest, where PGlite's per-statement cost would dominate. A store told to `trust` its writers (the
 * backtest's own, which only the run's code appends to) vouches for its events (trusted.ts), so readers
 * skip their schema check.
 */
import { ConcurrencyError, type Database, type EventStore, type NewEvent, type ReadAllOptions, type ReadOptions, type StoredEvent } from './port.ts';

// appendMany's rules, shared with the SQL store.
import { distinctStreams, type StreamAppend } from './port.ts';
import { frozenAsJson, frozenJsonCopy } from './json-copy.ts';
import { vouchFor } from './trusted.ts';

export interface MemoryStoreOptions {
  /**
   * Every writer is this process's typed code (a backtest's store, nothing else appends to it): the
   * events read back need no schema check, and data already in JSON's shape is frozen and kept as it is
   * instead of copied (the writer must not change it afterwards; a frozen object throws if it tries). Leave unset where raw events may be appended (tests do).
   */
  trust?: boolean;
}

export function createMemoryEventStore(clock: () => Date = () => new Date(), options: MemoryStoreOptions = {}): EventStore {
  const streams = new Map<string, StoredEvent[]>();
  const all: StoredEvent[] = [];
  // For each prefix streams() was asked about: its streams in name order (each entry frozen, replaced
  // when its stream grows) and the frozen answer last given, shared by callers until the prefix changes.
  type Listed = Readonly<{ stream: string; version: number }>;
  const indexes = new Map<string, { entries: Listed[]; answer: readonly Listed[] | undefined }>();

  function relist(stream: string, version: number): void {
    for (const [prefix, index] of indexes) {
      if (!stream.startsWith(prefix)) continue;
      const { entries } = index;
      let lo = 0;
      let hi = entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((entries[mid] as Listed).stream < stream) lo = mid + 1;
        else hi = mid;
      }
      const entry = Object.freeze({ stream, version });
      if (entries[lo]?.stream === stream) entries[lo] = entry;
      else entries.splice(lo, 0, entry);
      index.answer = undefined;
    }
  }

  /** Throws unless the append is well formed and its stream is at the expected version. */
  function check({ stream, expectedVersion }: StreamAppend): void {
    if (stream.length === 0) throw new RangeError('stream must not be empty');
    if (!Number.isInteger(expectedVersion) || expectedVersion < 0) {
      throw new RangeError(`expectedVersion must be a whole number >= 0, got ${expectedVersion}`);
    }
    if ((streams.get(stream)?.length ?? 0) !== expectedVersion) throw moved(stream, expectedVersion);
  }

  /**
   * The ConcurrencyError of a lost race, without stack frames: the writer re-reads and decides again, and
   * the message names the stream. Seats recording in parallel lose thousands of races in a backtest, and
   * capturing each stack cost ~1% of the run (issue 21).
   */
  function moved(stream: string, expectedVersion: number): ConcurrencyError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new ConcurrencyError(stream, expectedVersion);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  /** Appends to a stream already checked to be at `expectedVersion`. */
  function write(stream: string, expectedVersion: number, events: readonly NewEvent[]): number {
    if (events.length === 0) return expectedVersion;
    const current = streams.get(stream) ?? [];
    // What the SQL store would store (a JSON round trip: undefined dropped, dates as strings), frozen, so
    // readers share events without copying and none can edit the log.
    // A trusted writer's data is taken as it is when it is already what the copy would give (frozenAsJson).
    const recordedAt = Object.freeze(clock());
    const asStored = options.trust ? frozenAsJson : frozenJsonCopy;
    const stored = events.map((e, i): StoredEvent => {
      const event: StoredEvent = {
        stream,
        version: expectedVersion + i + 1,
        globalPosition: String(all.length + i + 1),
        type: e.type,
        data: asStored(e.data),
        meta: asStored(e.meta ?? {}) as Record<string, unknown>,
        recordedAt,
      };
      return Object.freeze(options.trust ? vouchFor(event) : event);
    });
    // Readers get copies, so the stream's own array can grow in place.
    if (current.length === 0) streams.set(stream, current);
    current.push(...stored);
    all.push(...stored);
    relist(stream, current.length);
    return expectedVersion + events.length;
  }

  const store: EventStore = {
    async append(stream: string, expectedVersion: number, events: readonly NewEvent[]): Promise<number> {
      check({ stream, expectedVersion, events });
      return write(stream, expectedVersion, events);
    },

    async appendMany(appends: readonly StreamAppend[]): Promise<number[]> {
      distinctStreams(appends);
      // Every version is checked before anything is written, in one event loop turn: all or nothing.
      for (const a of appends) check(a);
      return appends.map((a) => write(a.stream, a.expectedVersion, a.events));
    },

    async appendAtHead(stream: string, events: readonly NewEvent[]): Promise<number> {
      if (stream.length === 0) throw new RangeError('stream must not be empty');
      // One event loop turn from read to write: nothing can append in between.
      return store.append(stream, streams.get(stream)?.length ?? 0, events);
    },

    async read(stream: string, options: ReadOptions = {}): Promise<StoredEvent[]> {
      const after = options.after ?? 0;
      if (!Number.isInteger(after) || after < 0) throw new RangeError(`after must be a whole number >= 0, got ${after}`);
      // A copy of the part asked for: the stream's own array grows in place.
      return (streams.get(stream) ?? []).slice(after);
    },

    async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
      if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 0)) {
        throw new RangeError(`limit must be a whole number >= 0, got ${options.limit}`);
      }
      // Global position n is the event at index n - 1, so the events after a position start at its index.
      const from = options.after === undefined ? 0 : Math.min(all.length, Math.max(0, Number(BigInt(options.after))));
      const types = options.types ? new Set(options.types) : undefined;
      const out: StoredEvent[] = [];
      for (let i = from; i < all.length; i++) {
        const e = all[i] as StoredEvent;
        if (options.limit !== undefined && out.length >= options.limit) break;
        if (options.streamPrefix !== undefined && !e.stream.startsWith(options.streamPrefix)) continue;
        if (types && !types.has(e.type)) continue;
        out.push(e);
      }
      return out;
    },

    async streams(prefix: string): Promise<{ stream: string; version: number }[]> {
      let index = indexes.get(prefix);
      if (!index) {
        const entries = [...streams.entries()]
          .filter(([name]) => name.startsWith(prefix))
          .map(([stream, events]): Listed => Object.freeze({ stream, version: events.length }))
          .sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
        index = { entries, answer: undefined };
        indexes.set(prefix, index);
      }
      // Frozen like the events: every caller shares one answer until a stream under the prefix moves.
      index.answer ??= Object.freeze(index.entries.slice());
      return index.answer as { stream: string; version: number }[];
    },
  };
  return store;
}

/**
 * A database with no SQL behind it, for the backtest, whose events live in memory: honest about its
 * kind, and refusing every query with the reason.
 */
export function memoryDatabase(): Database {
  const refuse = async (): Promise<never> => {
    throw new Error('the backtest keeps its events in memory and has no database');
  };
  return { kind: 'memory', query: refuse, execute: refuse, tx: refuse, close: async () => {} };
}
