/**
 * Exactly-once slots in PostgreSQL (`slot_claims`). A claim is one statement: insert the slot, or take
 * it over when its holder's lease ran out before it completed. Only the holder renews or completes
 * a claim, so a process that comes back from a long pause cannot finish a slot another took over.
 */
import type { Queryable } from '../store/port.ts';
import type { Job, Slot } from './slots.ts';

export type SlotOutcome = 'done' | 'failed' | 'missed';

export interface SlotRun {
  job: Job;
  slot: string;
  claimedBy: string;
  attempts: number;
  outcome: SlotOutcome | null;
  completedAt: string | null;
  error: string | null;
}

export interface SlotClaims {
  /** true when this owner now holds the slot: it was free, or its last holder's lease expired unfinished. */
  claim(slot: Slot, owner: string, now: Date, leaseMs: number): Promise<boolean>;
  /** Extends the lease; false when the owner lost the slot (it must stop). */
  renew(slot: Slot, owner: string, now: Date, leaseMs: number): Promise<boolean>;
  /** Marks the slot finished; false when the owner no longer held it. */
  complete(slot: Slot, owner: string, now: Date, outcome: SlotOutcome, error?: string): Promise<boolean>;
  /** Slots of [from, to] already finished or held under a live lease: nothing to do for them. */
  settled(from: Date, to: Date, now: Date): Promise<Set<string>>;
  /** The latest finished slot of each job. */
  lastRuns(): Promise<SlotRun[]>;
}

export const slotKey = (slot: Slot): string => `${slot.job}@${slot.at.toISOString()}`;

export function createPgSlotClaims(db: Queryable): SlotClaims {
  return {
    async claim(slot, owner, now, leaseMs) {
      const rows = await db.query(
        `insert into slot_claims (job, slot, claimed_by, claimed_at, lease_until)
         values ($1, $2, $3, $4, $5)
         on conflict (job, slot) do update
           set claimed_by = excluded.claimed_by, claimed_at = excluded.claimed_at,
               lease_until = excluded.lease_until, attempts = slot_claims.attempts + 1
           where slot_claims.completed_at is null and slot_claims.lease_until < excluded.claimed_at
         returning job`,
        [slot.job, slot.at, owner, now, new Date(now.getTime() + leaseMs)],
      );
      return rows.length === 1;
    },

    async renew(slot, owner, now, leaseMs) {
      const rows = await db.query(
        `update slot_claims set lease_until = $4
         where job = $1 and slot = $2 and claimed_by = $3 and completed_at is null returning job`,
        [slot.job, slot.at, owner, new Date(now.getTime() + leaseMs)],
      );
      return rows.length === 1;
    },

    async complete(slot, owner, now, outcome, error) {
      const rows = await db.query(
        `update slot_claims set completed_at = $4, outcome = $5, error = $6
         where job = $1 and slot = $2 and claimed_by = $3 and completed_at is null returning job`,
        [slot.job, slot.at, owner, now, outcome, error ?? null],
      );
      return rows.length === 1;
    },

    async settled(from, to, now) {
      const rows = await db.query<{ job: Job; slot: Date }>(
        `select job, slot from slot_claims
         where slot >= $1 and slot <= $2 and (completed_at is not null or lease_until >= $3)`,
        [from, to, now],
      );
      return new Set(rows.map((r) => slotKey({ job: r.job, at: new Date(r.slot) })));
    },

    async lastRuns() {
      const rows = await db.query<{ job: Job; slot: Date; claimed_by: string; attempts: number; outcome: SlotOutcome | null; completed_at: Date | null; error: string | null }>(
        `select distinct on (job) job, slot, claimed_by, attempts, outcome, completed_at, error
         from slot_claims where completed_at is not null order by job, slot desc`,
      );
      return rows.map((r) => ({
        job: r.job,
        slot: new Date(r.slot).toISOString(),
        claimedBy: r.claimed_by,
        attempts: Number(r.attempts),
        outcome: r.outcome,
        completedAt: r.completed_at ? new Date(r.completed_at).toISOString() : null,
        error: r.error,
      }));
    },
  };
}
