/**
 * Stored events a store vouches for: those a memory store made from its own process's writers when it
 * was told to trust them (the backtest's store, which nothing outside the run writes to). The pipeline's
 * typed writers build their events with the streams' own types, so a reader may take such an event as
 * it is instead of checking it against its stream's zod schema again (streams.ts, week.ts). Events from
 * a database, a file or an untrusted store are always parsed.
 */
import type { StoredEvent } from './port.ts';

/**
 * The mark: a property under a symbol of this module's own, not enumerable, so a copy of the event
 * (a spread, Object.assign, JSON) is not vouched for. (A WeakSet of the events cost more: ten years of
 * backtest put ~48k in it, each an ephemeron the collector walks.)
 */
const VOUCHED = Symbol('vouched for');

/** Marks an event its store made from a writer of this process it trusts (before the store freezes it). */
export function vouchFor<E extends StoredEvent>(event: E): E {
  Object.defineProperty(event, VOUCHED, { value: true });
  return event;
}

/** Whether `event` came from a store that vouches for it (see vouchFor). */
export const isVouchedFor = (event: StoredEvent): boolean => (event as { [VOUCHED]?: true })[VOUCHED] === true;
