/**
 * Chat requests already seen (issue 13, item 4), shared by every replica through the `seen_requests`
 * table: `claim(key)` is true for the first caller only, within a 10-minute window (twice Slack's
 * 5-minute signature window). A process-local memory in front of the table answers repeats this
 * process already saw without a database round trip, so a replay flood costs no writes.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from './port.ts';

export const SEEN_WINDOW_MS = 10 * 60_000;

export interface SeenRequests {
  /** true when no replica has claimed `key` in the window (the caller may act); false for a repeat. */
  claim(key: string): Promise<boolean>;
  /** The same answer from this process's memory only: for requests that change nothing (no write). */
  claimLocally(key: string): boolean;
  /** Whether this process saw `key` within the window (records nothing). */
  seenHere(key: string): boolean;
}

export interface SeenRequestsOptions {
  /** The wall clock (Slack's timestamps are wall-clock time); injected in tests. */
  clock?: () => number;
  windowMs?: number;
  /** How many keys the local memory keeps (oldest forgotten first). */
  localLimit?: number;
  /** How often expired rows are deleted, at most. */
  sweepEveryMs?: number;
}

/** Keys are stored hashed: fixed length, and nothing of the request itself is kept. */
const digest = (key: string) => createHash('sha256').update(key).digest('base64url');

export function createSeenRequests(db: Queryable, options: SeenRequestsOptions = {}): SeenRequests {
  const clock = options.clock ?? Date.now;
  const windowMs = options.windowMs ?? SEEN_WINDOW_MS;
  const localLimit = options.localLimit ?? 50_000;
  const sweepEveryMs = options.sweepEveryMs ?? 60_000;
  // key -> when it was seen; a Map iterates in insertion order, so the first entries are the oldest.
  const local = new Map<string, number>();
  let lastSweep = Number.NEGATIVE_INFINITY;

  const seenLocally = (key: string, now: number): boolean => {
    const at = local.get(key);
    if (at !== undefined && now - at < windowMs) return true;
    local.delete(key);
    local.set(key, now);
    while (local.size > localLimit) local.delete(local.keys().next().value as string);
    return false;
  };

  const seenHere = (hashed: string, now: number) => {
    const at = local.get(hashed);
    return at !== undefined && now - at < windowMs;
  };

  return {
    seenHere(key) {
      return seenHere(digest(key), clock());
    },
    claimLocally(key) {
      return !seenLocally(digest(key), clock());
    },
    async claim(key) {
      const hashed = digest(key);
      const now = clock();
      if (seenHere(hashed, now)) return false;
      const cutoff = new Date(now - windowMs);
      // A row older than the window is a different request's history: it may be claimed again.
      const rows = await db.query(
        `insert into seen_requests (key, seen_at) values ($1, $2)
         on conflict (key) do update set seen_at = excluded.seen_at where seen_requests.seen_at < $3
         returning key`,
        [hashed, new Date(now), cutoff],
      );
      seenLocally(hashed, now);
      if (now - lastSweep >= sweepEveryMs) {
        lastSweep = now;
        await db.query('delete from seen_requests where seen_at < $1', [cutoff]);
      }
      return rows.length === 1;
    },
  };
}
