/**
 * The schedule of `council serve`: the weekly council, the checkpoints and the postmortem as slots
 * claimed exactly once in Postgres, proposal expiry on every tick, and the kill switch closing
 * positions as soon as trading is halted.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { App } from '../app.ts';
import { type CheckpointDeps, type CheckpointResult, expireDueProposals, runCheckpoint } from '../pipeline/checkpoint.ts';
import { ProposalError } from '../domain/proposal.ts';
import { isHalted } from '../pipeline/execution.ts';
import { nyDate, nyDateTime, nyTime } from '../market/time.ts';
import { createPgSlotClaims, type SlotClaims } from './claims.ts';
import { createSlotScheduler, type NextRun, type SlotResult } from './scheduler.ts';
import { type Slot, slotWeek } from './slots.ts';

export { nextSlots, slotsBetween, type Slot } from './slots.ts';

export interface StartSchedulerOptions {
  /** Issue #8's postmortem engine; until it is wired the postmortem slot only logs. */
  onPostmortem?: (week: string, at: Date) => Promise<void>;
  /** Default: the App's clock. */
  clock?: () => Date;
  /** Default: host:pid:random, so two processes on one host never share claims. */
  owner?: string;
  /** Default: slot_claims in the App's database. */
  claims?: SlotClaims;
  /** false: no timers at all, the caller drives `tick()` (tests, backtests). Default true. */
  cron?: boolean;
}

export interface RunningScheduler {
  stop(): Promise<void>;
  tick(): Promise<SlotResult[]>;
  nextRuns(count?: number): Promise<NextRun[]>;
}

export function checkpointDeps(app: App): CheckpointDeps {
  const { store, broker, market, calendar, config, fault } = app.deps;
  return {
    store,
    broker,
    market,
    calendar,
    fault,
    sink: app.sink,
    council: app.councilId,
    accounts: app.accounts,
    checkpointTimes: config.file.schedule.checkpoints,
    requireExitApproval: config.file.exits.requireApproval,
    seats: app.deps.council,
    news: app.deps.news,
    limits: config.file.risk,
  };
}

/**
 * One checkpoint evaluation at `at` (default: now live; in a replay the next checkpoint slot after the
 * council's clock, never the data's end). A replay refuses a time outside its data, with the range.
 */
export async function checkpointAt(app: App, at?: Date): Promise<CheckpointResult> {
  const when = at ?? (await defaultCheckpointTime(app));
  await app.assertTimeInData(when);
  return runCheckpoint(checkpointDeps(app), when);
}

/** The first checkpoint slot strictly after `after`, inside a session (an early close drops the later slots). */
export function nextCheckpointSlot(calendar: App['deps']['calendar'], times: readonly string[], after: Date): Date {
  const sorted = [...times].sort();
  let day = nyDate(after);
  if (!calendar.isTradingDay(day)) day = calendar.nextTradingDay(day);
  for (let i = 0; i < 10; i++, day = calendar.nextTradingDay(day)) {
    const close = calendar.sessionClose(day);
    for (const t of sorted) {
      const slot = nyDateTime(day, t);
      if (t < close && slot.getTime() > after.getTime()) return slot;
    }
  }
  throw new Error(`no checkpoint slot after ${after.toISOString()}`);
}

async function defaultCheckpointTime(app: App): Promise<Date> {
  if (!app.deps.simulatedTime) return app.deps.clock();
  const clock = await app.replayClock();
  // Nothing acted on yet: the first slot of the week a bare `run` convenes.
  const after = clock.at ?? nyDateTime(await app.defaultWeek(), '08:00');
  const slot = nextCheckpointSlot(app.deps.calendar, app.deps.config.file.schedule.checkpoints, after);
  const range = await app.dataRange();
  if (nyDate(slot) > range.last) {
    throw new ProposalError(
      'NOT_FOUND',
      `the council's clock is at ${nyDate(after)} ${nyTime(after)} ET; its next checkpoint slot (${nyDate(slot)} ${nyTime(slot)}) is after the market data: ${app.rangeText(range)}`,
    );
  }
  return slot;
}

/** `status`'s next slots and last runs, for a process that does not run the schedule itself. */
export function scheduleView(app: App): () => Promise<NextRun[]> {
  const { config, calendar, db, logger, clock } = app.deps;
  const idle = async () => undefined;
  const view = createSlotScheduler({
    schedule: config.file.schedule,
    calendar,
    claims: createPgSlotClaims(db),
    jobs: { weekly: idle, checkpoint: idle, postmortem: idle },
    clock,
    owner: 'status',
    logger,
  });
  return () => view.nextRuns();
}

export function startScheduler(app: App, opts: StartSchedulerOptions = {}): RunningScheduler {
  const { logger, calendar, config, store } = app.deps;
  const clock = opts.clock ?? app.deps.clock;
  const owner = opts.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 6)}`;
  const deps = checkpointDeps(app);
  const jobs = {
    weekly: async (slot: Slot) => {
      const halt = await isHalted(store, app.councilId);
      if (halt.halted) {
        logger.warn({ week: slotWeek(slot), by: halt.by }, 'trading is halted: the weekly council does not convene');
        return;
      }
      await app.run({ week: slotWeek(slot), by: 'scheduler', via: 'schedule' });
    },
    checkpoint: async (slot: Slot) => {
      await runCheckpoint(deps, slot.at);
    },
    postmortem: async (slot: Slot) => {
      if (opts.onPostmortem) await opts.onPostmortem(slotWeek(slot), slot.at);
      else logger.info({ week: slotWeek(slot) }, 'postmortem slot: no postmortem engine wired (startScheduler onPostmortem)');
    },
  };
  const scheduler = createSlotScheduler({
    schedule: config.file.schedule,
    calendar,
    claims: opts.claims ?? createPgSlotClaims(app.deps.db),
    jobs,
    clock,
    owner,
    logger,
    sweep: async (now) => void (await expireDueProposals(deps, now)),
  });

  // A replay's council time is simulated: the wall clock would expire its proposals and run weeks it has no data
  // for, so offline the schedule is only shown (status), and `council checkpoint --at` / `backtest` drive time.
  const live = !app.deps.simulatedTime;
  if (!live) logger.info('replay market data: scheduled slots are listed but not run; use council checkpoint --at or council backtest');

  // The kill switch closes positions at once; the next checkpoint would also close them if this process dies first.
  const detach = app.addSink({
    publish: async (notice) => {
      if (!live || notice.type !== 'halt_changed' || !notice.halted) return;
      runCheckpoint(deps, clock()).catch((error: unknown) => logger.error({ err: error }, 'kill switch: closing positions failed; the next checkpoint retries'));
    },
  });
  const previousNextRuns = app.nextRuns;
  app.nextRuns = () => scheduler.nextRuns();
  if (opts.cron !== false && live) scheduler.start();
  return {
    tick: () => scheduler.tick(),
    nextRuns: (count) => scheduler.nextRuns(count),
    async stop() {
      detach();
      app.nextRuns = previousNextRuns;
      await scheduler.stop();
    },
  };
}
