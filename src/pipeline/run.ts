/**
 * runCouncil: research -> pitches (parallel) -> blind peer review (parallel) -> chairman -> a PENDING
 * proposal. A small loop over the week decider: read the week's events, ask nextStep what is left, run
 * that step (its stage returns events; WeekRun appends what the week does not hold yet), repeat. A run
 * killed anywhere resumes from those events, repeating no finished step (per seat, so no model is paid
 * twice). Also here: opening a new attempt at a week that ended without quorum.
 */
import { appendDecided } from '../store/append.ts';
import type { EventStore } from '../store/port.ts';
import type { RunRequest } from './stages/start.ts';
import { weekStream } from './streams.ts';
import { nextStep } from './week-decider.ts';
import { type PipelineDeps, WeekRun } from './week-run.ts';
import { foldWeek, type RunRetried, type WeekState } from './week.ts';
import { UserFacingError } from '../domain/errors.ts';

export type { PipelineSettings } from './settings.ts';
export { chairLabels, LABELS } from './stages/anonymise.ts';
export type { RunRequest } from './stages/start.ts';
export { proposalStream } from './streams.ts';
export { identities, reviewTable, totalUsage } from './week-views.ts';
export type { PipelineDeps } from './week-run.ts';

export async function runCouncil(deps: PipelineDeps, request: RunRequest): Promise<WeekState> {
  const run = await WeekRun.open(deps, request);
  for (;;) {
    const step = nextStep(run.state, run.rules);
    if (step.kind === 'done') return run.state;
    await run.take(step);
  }
}

/** A week that may not be retried: it has no finished attempt without quorum. */
export class RetryError extends UserFacingError {
  readonly code = 'NOT_RETRYABLE';
}

/**
 * Opens a new attempt at a week whose last attempt ended without quorum (after the cause, a wrong URL
 * or key, is fixed): a RunRetried event beside the failed attempt, after which runCouncil starts the
 * week afresh with a new run id. A week never run is left as it is; one in progress or with a
 * decision is refused.
 */
export async function retryWeek(store: EventStore, council: string, week: string, now: Date): Promise<{ retried: boolean; previousRunId?: string }> {
  const stream = weekStream(council, week);
  let previousRunId: string | undefined;
  let refusal: string | undefined;
  await appendDecided(store, stream, (events) => {
    const state = foldWeek(events);
    previousRunId = undefined;
    refusal = undefined;
    if (!state.started) return [];
    if (!state.completed) {
      refusal = `week ${week} has a run in progress (${state.started.runId}); run it without --retry to resume it`;
      return [];
    }
    if (state.completed.outcome !== 'no_quorum') {
      refusal = `week ${week} already ended with ${state.completed.outcome === 'proposal' ? `proposal ${state.proposal?.proposalId}` : 'no orders to place'}; --retry is only for a week without quorum`;
      return [];
    }
    previousRunId = state.started.runId;
    const retried: RunRetried = { previousRunId, previousOutcome: state.completed.outcome, attempt: state.attempts.length + 2, at: now.toISOString() };
    return [{ type: 'RunRetried', data: retried }];
  });
  if (refusal) throw new RetryError(refusal);
  return previousRunId ? { retried: true, previousRunId } : { retried: false };
}
