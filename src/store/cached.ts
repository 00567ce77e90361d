/**
 * A read cache of whole streams for a store this process alone writes to: the embedded PGlite database,
 * which the folder lock keeps to one process. PGlite runs every query synchronously in WASM on the event
 * loop, so re-reading the same streams (status, folds before every decision) delays everything else the
 * process does, chat acknowledgements included. Never use it where another process may write.
 */
import type { EventStore, StoredEvent } from './port.ts';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export function withStreamCache(inner: EventStore): EventStore {
  const cache = new Map<string, readonly StoredEvent[]>();
  // Bumped by every append to a stream, so a read that raced an append never caches what it saw.
  const generation = new Map<string, number>();
  const bump = (stream: string) => {
    generation.set(stream, (generation.get(stream) ?? 0) + 1);
    cache.delete(stream);
  };
  return {
    async append(stream, expectedVersion, events) {
      try {
        return await inner.append(stream, expectedVersion, events);
      } finally {
        bump(stream);
      }
    },
    async appendAtHead(stream, events) {
      try {
        return await inner.appendAtHead(stream, events);
      } finally {
        bump(stream);
      }
    },
    async appendMany(appends) {
      try {
        return await inner.appendMany(appends);
      } finally {
        for (const { stream } of appends) bump(stream);
      }
    },
    async read(stream) {
      const hit = cache.get(stream);
      if (hit) return [...hit];
      const before = generation.get(stream) ?? 0;
      // Frozen: a reader that mutated an event would corrupt every later read, so it fails loudly instead.
      const events = deepFreeze(await inner.read(stream));
      if ((generation.get(stream) ?? 0) === before) cache.set(stream, events);
      return [...events];
    },
    readAll: (options) => inner.readAll(options),
    streams: (prefix) => inner.streams(prefix),
  };
}
