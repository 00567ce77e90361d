/**
 * Stored events a store vouches for: those a memory store made from its own process's writers when it
 * was told to trust them (the backtest's store, which nothing outside the run writes to). The pipeline's
 * typed writers build their events with the streams' own types, so a reader may take such an event as
 * it is instead of checking it against its stream's zod schema again (streams.ts, week.ts). Events from
 * a database, a file or an untrusted store are always parsed.
 */
import type { StoredEvent } from './port.ts';

const trusted = new WeakSet<StoredEvent>();

/** Marks an event its store made from a writer of this process it trusts. */
export function vouchFor(event: StoredEvent): void {
  trusted.add(event);
}

/** Whether `event` came from a store that vouches for it (see vouchFor). */
export const isVouchedFor = (event: StoredEvent): boolean => trusted.has(event);
