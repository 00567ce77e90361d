/**
 * The checkpoint use case: one evaluation of every open position against its invalidation rule and
 * indicators, at a time the clock chooses (now live; the next slot after the council's clock in a
 * replay) or the caller gives; and the expiry sweep of proposals nobody clicked in time.
 */
import { type CheckpointDeps, type CheckpointResult, expireDueProposals, runCheckpoint } from '../pipeline/checkpoint.ts';
import type { AppContext } from './context.ts';

export { nextCheckpointSlot } from './clock.ts';

export function checkpointDeps(ctx: AppContext): CheckpointDeps {
  const { store, proposals, broker, market, calendar, config, fault, council, news, settings } = ctx.deps;
  return {
    store,
    proposals,
    broker,
    market,
    calendar,
    fault,
    sink: ctx.sink,
    council: settings.council,
    accounts: config.accounts,
    checkpointTimes: config.file.schedule.checkpoints,
    requireExitApproval: config.file.exits.requireApproval,
    seats: council,
    news,
    limits: config.file.risk,
  };
}

/** The checkpoint time a bare `checkpoint` means (see CouncilClock.checkpointTime). */
export function defaultCheckpointTime(ctx: AppContext): Promise<Date> {
  return ctx.deps.clock.checkpointTime(ctx.deps.config.file.schedule.checkpoints);
}

/**
 * One checkpoint evaluation at `at` (default: now live; in a replay the next checkpoint slot after the
 * council's clock, never the data's end). A replay refuses a time outside its data, with the range.
 */
export async function checkpointAt(ctx: AppContext, at?: Date): Promise<CheckpointResult> {
  const when = at ?? (await defaultCheckpointTime(ctx));
  await ctx.deps.clock.assertTimeInData(when);
  return runCheckpoint(checkpointDeps(ctx), when);
}

/** A scheduled slot's checkpoint: at the slot, whatever the clock says (the schedule only runs live). */
export async function scheduledCheckpoint(ctx: AppContext, at: Date): Promise<CheckpointResult> {
  return runCheckpoint(checkpointDeps(ctx), at);
}

/** Expires every pending proposal whose approval window closed by `at`; the ids expired. */
export function expireDue(ctx: AppContext, at: Date): Promise<string[]> {
  return expireDueProposals(checkpointDeps(ctx), at);
}
