/**
 * The slot scheduler. node-cron wakes it at each job's times (in the schedule's time zone) and once a
 * minute; every wake-up is the same `tick`: list the slots due within the grace window (slots.ts), drop
 * those finished or held under a live lease, apply the missed-slot policy, and run the rest under a
 * claim in Postgres, renewing the lease while the job runs. A process that dies mid-slot stops renewing,
 * so another replica (or the next start) takes the slot over within one lease plus one minute.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../logger.ts';
import type { TradingCalendar } from '../market/calendar.ts';
import { type SlotClaims, type SlotOutcome, type SlotRun, slotKey } from './claims.ts';
import { cronExpressions, JOBS, type Job, nextSlots, type Schedule, type Slot, slotsBetween } from './slots.ts';

/** How late a slot may start and still count as on time (the once-a-minute sweep, with slack). */
export const ON_TIME_MS = 2 * 60_000;

/**
 * node-cron only wakes the scheduler; the tick decides what is due. So a late wake-up (a busy process,
 * a paused VM) still ticks, up to 55 s late (node-cron's default drops it after 1 s), and a wake-up
 * missed altogether is not worth a warning: the next tick, within a minute, finds the slot in the grace
 * window and applies the missed-slot policy. Without these, a slow process wrote one node-cron warning
 * per missed minute to the console.
 */
const CRON_OPTIONS = { missedExecutionTolerance: 55_000, suppressMissedWarning: true } as const;

export interface SlotSchedulerDeps {
  schedule: Schedule;
  calendar: TradingCalendar;
  claims: SlotClaims;
  jobs: Record<Job, (slot: Slot) => Promise<void>>;
  clock: () => Date;
  /** This process, as recorded in slot_claims.claimed_by. */
  owner: string;
  logger: Logger;
  /** Runs at every tick before the slots (expiring due proposals); its failure never blocks them. */
  sweep?: (now: Date) => Promise<void>;
}

export interface SlotResult {
  job: Job;
  at: string;
  outcome: SlotOutcome;
  error?: string;
}

export interface NextRun {
  job: Job;
  at: string;
  lastRun: SlotRun | null;
}

export interface SlotScheduler {
  /** One pass: runs (or marks missed) every due slot this process can claim; returns what it did. */
  tick(): Promise<SlotResult[]>;
  /** Starts the node-cron tasks and runs a first tick at once (picking up what a dead process left). */
  start(): void;
  /** Stops the tasks and waits for running slots to finish; a tick in flight starts no further slot. */
  stop(): Promise<void>;
  /** The next slots (each job's next one at least), each with its job's last finished run. */
  nextRuns(count?: number): Promise<NextRun[]>;
  /** Resolves once no tick is in flight (tests step a fake clock only when the scheduler is idle). */
  idle(): Promise<void>;
}

export function createSlotScheduler(deps: SlotSchedulerDeps): SlotScheduler {
  const { schedule, calendar, claims, clock, owner, logger } = deps;
  const leaseMs = schedule.leaseSeconds * 1000;
  const graceMs = schedule.missed.graceMinutes * 60_000;
  const running = new Set<string>();
  const inflight = new Set<Promise<unknown>>();
  const tasks: ScheduledTask[] = [];
  // Once stop() is called no slot is started or marked: one still pending is the next start's to run or miss.
  let stopping = false;

  async function runSlot(slot: Slot): Promise<SlotResult | undefined> {
    const key = slotKey(slot);
    if (stopping || running.has(key) || !(await claims.claim(slot, owner, clock(), leaseMs))) return undefined;
    running.add(key);
    const beat = setInterval(
      () => {
        claims
          .renew(slot, owner, clock(), leaseMs)
          .then((held) => held || logger.warn({ slot: key }, 'lost the lease on a running slot; another process may take it over'))
          .catch((err: unknown) => logger.warn({ err, slot: key }, 'could not renew a slot lease'));
      },
      Math.max(1000, Math.floor(leaseMs / 3)),
    );
    beat.unref?.();
    const at = slot.at.toISOString();
    try {
      logger.info({ job: slot.job, slot: at }, 'slot started');
      await deps.jobs[slot.job](slot);
      await claims.complete(slot, owner, clock(), 'done');
      logger.info({ job: slot.job, slot: at }, 'slot done');
      return { job: slot.job, at, outcome: 'done' };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error({ err: error, job: slot.job, slot: at }, 'slot failed');
      await claims.complete(slot, owner, clock(), 'failed', message.slice(0, 2000));
      return { job: slot.job, at, outcome: 'failed', error: message };
    } finally {
      clearInterval(beat);
      running.delete(key);
    }
  }

  async function markMissed(slot: Slot, now: Date): Promise<SlotResult | undefined> {
    if (stopping || !(await claims.claim(slot, owner, now, leaseMs))) return undefined;
    const why = `not run: missed-slot policy ${schedule.missed.policy}`;
    await claims.complete(slot, owner, now, 'missed', why);
    logger.warn({ job: slot.job, slot: slot.at.toISOString() }, why);
    return { job: slot.job, at: slot.at.toISOString(), outcome: 'missed', error: why };
  }

  /** Which of a job's pending slots run and which are given up, oldest first. */
  function triage(slots: readonly Slot[], latestDue: Slot | undefined, now: Date): { run: Slot[]; miss: Slot[] } {
    switch (schedule.missed.policy) {
      case 'run-all':
        return { run: [...slots], miss: [] };
      case 'run-latest':
        // Only the job's latest slot is worth running late; an older one is superseded even when the latest is busy elsewhere.
        return { run: slots.filter((s) => s === latestDue), miss: slots.filter((s) => s !== latestDue) };
      case 'skip': {
        const late = (s: Slot) => now.getTime() - s.at.getTime() > ON_TIME_MS;
        return { run: slots.filter((s) => !late(s)), miss: slots.filter(late) };
      }
      default: {
        const never: never = schedule.missed.policy;
        return never;
      }
    }
  }

  async function tick(): Promise<SlotResult[]> {
    const now = clock();
    try {
      await deps.sweep?.(now);
    } catch (error) {
      logger.error({ err: error }, 'the scheduler sweep failed');
    }
    const from = new Date(now.getTime() - graceMs);
    const due = slotsBetween(schedule, calendar, from, now);
    if (due.length === 0) return [];
    const settled = await claims.settled(from, now, now);
    const pending = due.filter((s) => !settled.has(slotKey(s)) && !running.has(slotKey(s)));
    const perJob = await Promise.all(
      JOBS.map(async (job) => {
        const { run, miss } = triage(
          pending.filter((s) => s.job === job),
          due.filter((s) => s.job === job).pop(),
          now,
        );
        const results: (SlotResult | undefined)[] = [];
        for (const slot of miss) results.push(await markMissed(slot, now));
        for (const slot of run) results.push(await runSlot(slot));
        return results;
      }),
    );
    return perJob.flat().filter((r): r is SlotResult => r !== undefined);
  }

  function fire(): void {
    if (stopping) return;
    const pass = tick().catch((error: unknown) => logger.error({ err: error }, 'scheduler tick failed'));
    inflight.add(pass);
    void pass.finally(() => inflight.delete(pass));
  }

  return {
    tick,
    start() {
      for (const { job, expression } of cronExpressions(schedule))
        tasks.push(cron.schedule(expression, fire, { ...CRON_OPTIONS, timezone: schedule.timezone, name: `council:${job}:${expression}` }));
      tasks.push(cron.schedule('* * * * *', fire, { ...CRON_OPTIONS, timezone: schedule.timezone, name: 'council:sweep' }));
      fire();
    },
    async stop() {
      stopping = true;
      for (const task of tasks.splice(0)) await task.destroy();
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
    async idle() {
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
    async nextRuns(count = 6) {
      const upcoming = nextSlots(schedule, calendar, clock(), 64);
      const firsts = JOBS.map((job) => upcoming.find((s) => s.job === job)).filter((s): s is Slot => s !== undefined);
      const chosen = [...new Set([...upcoming.slice(0, count), ...firsts])].sort((a, b) => a.at.getTime() - b.at.getTime());
      const last = new Map((await claims.lastRuns()).map((r) => [r.job, r]));
      return chosen.map((s) => ({ job: s.job, at: s.at.toISOString(), lastRun: last.get(s.job) ?? null }));
    },
  };
}
