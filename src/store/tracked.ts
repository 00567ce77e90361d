/**
 * Counts the appends made through this process, so a read model can tell at no cost whether anything
 * it was built from may have moved (`status` caches its view on it). On the embedded database, which
 * one process alone writes (the folder lock), that count sees every change; on PostgreSQL other
 * processes may write too, so a reader adds the database's head position to it.
 */
import type { EventStore } from './port.ts';

const counts = new WeakMap<EventStore, () => number>();

export function trackAppends(inner: EventStore): EventStore {
  let appends = 0;
  const store: EventStore = {
    async append(stream, expectedVersion, events) {
      try {
        return await inner.append(stream, expectedVersion, events);
      } finally {
        appends++;
      }
    },
    async appendAtHead(stream, events) {
      try {
        return await inner.appendAtHead(stream, events);
      } finally {
        appends++;
      }
    },
    async appendMany(parts) {
      try {
        return await inner.appendMany(parts);
      } finally {
        appends++;
      }
    },
    read: (stream) => inner.read(stream),
    readAll: (options) => inner.readAll(options),
    streams: (prefix) => inner.streams(prefix),
  };
  counts.set(store, () => appends);
  return store;
}

/** Appends made through a tracked store so far (any attempt, failed ones too); undefined when the store is not tracked. */
export function appendCount(store: EventStore): number | undefined {
  return counts.get(store)?.();
}
