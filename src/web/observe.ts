/**
 * The hooks the metrics are fed through, kept apart from prom-client so the composition root can wrap
 * the event store and the slot claims without loading it: commands other than serve pass no hooks.
 */
import type { SlotClaims } from '../scheduler/claims.ts';
import { ConcurrencyError, type EventStore, type NewEvent } from '../store/port.ts';

export interface MetricsHooks {
  /** Counts what the events say (called with what was appended). */
  observeEvents(stream: string, events: readonly NewEvent[]): void;
  observeAppend(seconds: number, result: 'ok' | 'conflict' | 'error'): void;
  observeSlot(job: string, outcome: string): void;
}

/** The event store, timing every append and counting what it appended. */
export function observedStore(store: EventStore, metrics: MetricsHooks): EventStore {
  return {
    ...store,
    read: (stream) => store.read(stream),
    readAll: (options) => store.readAll(options),
    streams: (prefix) => store.streams(prefix),
    async append(stream, expectedVersion, events) {
      const started = performance.now();
      try {
        const version = await store.append(stream, expectedVersion, events);
        metrics.observeAppend((performance.now() - started) / 1000, 'ok');
        metrics.observeEvents(stream, events);
        return version;
      } catch (error) {
        metrics.observeAppend((performance.now() - started) / 1000, error instanceof ConcurrencyError ? 'conflict' : 'error');
        throw error;
      }
    },
    async appendMany(appends) {
      const started = performance.now();
      try {
        const versions = await store.appendMany(appends);
        metrics.observeAppend((performance.now() - started) / 1000, 'ok');
        for (const { stream, events } of appends) if (events.length > 0) metrics.observeEvents(stream, events);
        return versions;
      } catch (error) {
        metrics.observeAppend((performance.now() - started) / 1000, error instanceof ConcurrencyError ? 'conflict' : 'error');
        throw error;
      }
    },
    // Refusals are appended at a stream's head (no expected version): timed and counted the same way.
    async appendAtHead(stream, events) {
      const started = performance.now();
      try {
        const version = await store.appendAtHead(stream, events);
        metrics.observeAppend((performance.now() - started) / 1000, 'ok');
        metrics.observeEvents(stream, events);
        return version;
      } catch (error) {
        metrics.observeAppend((performance.now() - started) / 1000, 'error');
        throw error;
      }
    },
  };
}

/** The scheduler's claims, counting each slot this process completes by job and outcome. */
export function observedClaims(claims: SlotClaims, metrics: MetricsHooks): SlotClaims {
  return {
    ...claims,
    claim: (...args) => claims.claim(...args),
    renew: (...args) => claims.renew(...args),
    settled: (...args) => claims.settled(...args),
    lastRuns: () => claims.lastRuns(),
    async complete(slot, owner, now, outcome, error) {
      const held = await claims.complete(slot, owner, now, outcome, error);
      if (held) metrics.observeSlot(slot.job, outcome);
      return held;
    },
  };
}
