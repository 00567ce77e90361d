/**
 * The schedule of `council serve`: the weekly council, the checkpoints, the daily summary and the postmortem as slots
 * claimed exactly once in Postgres, proposal expiry on every tick, and the kill switch closing
 * positions as soon as trading is halted.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { CouncilApp } from '../app/index.ts';
import { createPgSlotClaims, type SlotClaims } from './claims.ts';
import { createSlotScheduler, type NextRun, type SlotResult } from './scheduler.ts';
import { type Slot, slotWeek } from './slots.ts';

export { nextSlots, slotsBetween, type Slot } from './slots.ts';

export interface StartSchedulerOptions {
  /** Issue #8's postmortem engine; until it is wired the postmortem slot only logs. */
  onPostmortem?: (week: string, at: Date) => Promise<void>;
  /** Default: the app's clock. */
  clock?: () => Date;
  /** Default: host:pid:random, so two processes on one host never share claims. */
  owner?: string;
  /** Default: slot_claims in the app's database. */
  claims?: SlotClaims;
  /** false: no timers at all, the caller drives `tick()` (tests, backtests). Default true. */
  cron?: boolean;
}

export interface RunningScheduler {
  stop(): Promise<void>;
  tick(): Promise<SlotResult[]>;
  nextRuns(count?: number): Promise<NextRun[]>;
}

/** `status`'s next slots and last runs, for a process that does not run the schedule itself. */
export function scheduleView(app: CouncilApp): () => Promise<NextRun[]> {
  const idle = async () => undefined;
  const view = createSlotScheduler({
    schedule: app.config.file.schedule,
    calendar: app.ports.calendar,
    claims: createPgSlotClaims(app.ports.database),
    jobs: { weekly: idle, checkpoint: idle, postmortem: idle, daily: idle },
    clock: app.clock.now,
    owner: 'status',
    logger: app.logger,
  });
  return () => view.nextRuns();
}

export function startScheduler(app: CouncilApp, opts: StartSchedulerOptions = {}): RunningScheduler {
  const { logger } = app;
  const clock = opts.clock ?? app.clock.now;
  const owner = opts.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 6)}`;
  const jobs = {
    weekly: async (slot: Slot) => {
      const halt = await app.isHalted();
      if (halt.halted) {
        logger.warn({ week: slotWeek(slot), by: halt.by }, 'trading is halted: the weekly council does not convene');
        return;
      }
      await app.run({ week: slotWeek(slot), by: 'scheduler', via: 'schedule' });
    },
    checkpoint: async (slot: Slot) => {
      await app.scheduledCheckpoint(slot.at);
    },
    /** After the close: the day's summary in the week's thread. */
    daily: async (slot: Slot) => {
      await app.dailySummary(slot.at);
    },
    postmortem: async (slot: Slot) => {
      if (opts.onPostmortem) await opts.onPostmortem(slotWeek(slot), slot.at);
      else logger.info({ week: slotWeek(slot) }, 'postmortem slot: no postmortem engine wired (startScheduler onPostmortem)');
    },
  };
  const scheduler = createSlotScheduler({
    schedule: app.config.file.schedule,
    calendar: app.ports.calendar,
    claims: opts.claims ?? createPgSlotClaims(app.ports.database),
    jobs,
    clock,
    owner,
    logger,
    sweep: async (now) => void (await app.expireDue(now)),
  });

  // A replay's council time is simulated: the wall clock would expire its proposals and run weeks it has no data
  // for, so offline the schedule is only shown (status), and `council checkpoint --at` / `backtest` drive time.
  const live = app.clock.mode === 'live';
  if (!live) logger.info('replay market data: scheduled slots are listed but not run; use council checkpoint --at or council backtest');

  // The kill switch closes positions at once; the next checkpoint would also close them if this process dies first.
  const detach = app.addSink({
    publish: async (notice) => {
      if (!live || notice.type !== 'halt_changed' || !notice.halted) return;
      app.scheduledCheckpoint(clock()).catch((error: unknown) => logger.error({ err: error }, 'kill switch: closing positions failed; the next checkpoint retries'));
    },
  });
  const restoreSchedule = app.provideSchedule(() => scheduler.nextRuns());
  if (opts.cron !== false && live) scheduler.start();
  return {
    tick: () => scheduler.tick(),
    nextRuns: (count) => scheduler.nextRuns(count),
    async stop() {
      detach();
      restoreSchedule();
      await scheduler.stop();
    },
  };
}
