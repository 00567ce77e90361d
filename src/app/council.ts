/**
 * The council use case: what a run request would do (runPlan), convening a week (run), and a week's
 * run as every channel answers "already run" (weekSummary).
 */
import { randomUUID } from 'node:crypto';
import { ProposalError } from '../domain/proposal.ts';
import { cleanQuestion } from '../domain/question.ts';
import { mondayOf } from '../market/time.ts';
import { isHalted } from '../pipeline/execution.ts';
import type { NewsBrief } from '../pipeline/research.ts';
import { type PipelineDeps, runCouncil } from '../pipeline/run.ts';
import { foldWeek, type WeekState, weekStream } from '../pipeline/week.ts';
import { userErrorText } from '../redact.ts';
import { OUTAGE_RETRY } from '../store/retry.ts';
import type { Principal } from './authoriser.ts';
import type { AppContext } from './context.ts';

/** What a run request would do (runPlan). */
export type RunPlan = { kind: 'new' | 'resume' | 'done'; week: string; state: WeekState };

export interface RunRequest {
  week?: string;
  query?: string;
  by?: Principal;
  via?: string;
}

/** A week's run, as the channels answer a request for a week already run. */
export interface WeekSummary {
  week: string;
  runId: string;
  requestedBy: string | null;
  via: string | null;
  query: string | null;
  outcome: 'proposal' | 'no_quorum' | 'no_orders' | 'in progress';
  decision: { instrument: string; direction: string; conviction: number; horizon: string } | null;
  /** The proposal's status now (PENDING, APPROVED, EXECUTED, REJECTED, EXPIRED, ...), from its own stream. */
  proposal: {
    id: string;
    status: string;
    expiresAt: string;
    approvedBy: { by: string; at: string; via: string } | null;
    rejected: { by: string; at: string; reason: string | null } | null;
  } | null;
}

export async function weekState(ctx: AppContext, week: string): Promise<WeekState> {
  return foldWeek(await ctx.deps.store.read(weekStream(ctx.deps.settings.council, week)));
}

/**
 * What a run request for a week would do, before anything is started: answer with the week already run
 * (`done`, whatever the guards say: it is an answer, not a run), continue an interrupted one (`resume`) or
 * convene it (`new`). Refused, as a user error: a week the clock says cannot be convened (after the
 * current one; on replay data, outside the data) and any run while trading is halted.
 */
export async function runPlan(ctx: AppContext, request: { week?: string }): Promise<RunPlan> {
  const { clock, store, settings } = ctx.deps;
  const week = request.week ? mondayOf(request.week) : await clock.defaultWeek();
  const state = await weekState(ctx, week);
  if (state.completed) return { kind: 'done', week, state };
  await clock.assertConvenable(week);
  const halt = await isHalted(store, settings.council);
  if (halt.halted)
    throw new ProposalError(
      'HALTED',
      `trading is halted (by ${halt.by ?? 'an approver'} at ${halt.at ?? 'an unknown time'}): no council runs until an approver resumes (/council resume)`,
    );
  return { kind: state.started ? 'resume' : 'new', week, state };
}

/** What the pipeline runs a week on, from the application's parts (a run adds its ids, faults and retries). */
function pipelineDeps(ctx: AppContext): Omit<PipelineDeps, 'newId'> {
  const { deps, sink } = ctx;
  const { store, proposals, market, news, calendar, broker, council, settings } = deps;
  return { store, proposals, market, news, calendar, broker, council, sink, settings };
}

/**
 * Convenes the council for a week (see runPlan for what is refused). `query` is the desk's question:
 * cleaned here once (domain/question.ts) and recorded on the run with who asked and through which channel.
 * A week already run returns its state unchanged.
 */
export async function run(ctx: AppContext, request: RunRequest): Promise<WeekState> {
  const plan = await runPlan(ctx, request);
  if (plan.kind === 'done') return plan.state;
  const { week } = plan;
  const { deps, sink, redactor } = ctx;
  const pipeline: PipelineDeps = {
    ...pipelineDeps(ctx),
    newId: () => randomUUID(),
    fault: deps.fault,
    outageRetry: {
      ...OUTAGE_RETRY,
      onRetry: ({ error, attempt, delayMs }: { error: Error; attempt: number; delayMs: number }) =>
        deps.logger.warn({ err: error, week, attempt, delayMs }, 'council run: database unavailable, waiting to retry'),
    },
  };
  try {
    return await runCouncil(pipeline, { week, query: cleanQuestion(request.query), asOf: deps.clock.decisionTime(week), requestedBy: request.by, via: request.via });
  } catch (error) {
    const state = foldWeek(await deps.store.read(weekStream(deps.settings.council, week)).catch(() => []));
    // A user-facing error shows its message; anything else (an upstream's text above all) only its class and an id.
    const text = userErrorText(error, { logger: deps.logger, redact: redactor }, `council run ${week}`);
    const errorId = text.kind === 'internal' ? text.errorId : randomUUID().slice(0, 8);
    if (text.kind === 'user') deps.logger.error({ err: redactor.value(error), errorId, week }, 'council run failed');
    await sink.publish({ type: 'run_failed', week, runId: state.started?.runId ?? null, errorId, message: text.kind === 'user' ? text.message : text.summary });
    throw error;
  }
}

/** A recorded run, as the application convenes it again (CouncilApp.replay): its id, week, question, time and news. */
export interface RecordedRun {
  runId: string;
  week: string;
  query?: string;
  asOf: Date;
  requestedBy?: string;
  via?: string;
  /** A run recorded before the question was fenced replays with the prompts it sent then. */
  inlineQuestion: boolean;
  /** The researchers read the news the run read, not what the source says now. */
  news?: NewsBrief;
}

/**
 * Convenes a recorded run again (`council run --replay`), on the application the composition root built
 * for it: the same run id, question, decision time and news, the seats answering from the recording.
 */
export async function replay(ctx: AppContext, recorded: RecordedRun): Promise<WeekState> {
  await runCouncil(
    { ...pipelineDeps(ctx), newId: () => recorded.runId, recordedNews: recorded.news },
    { week: recorded.week, query: recorded.query, asOf: recorded.asOf, requestedBy: recorded.requestedBy, via: recorded.via, inlineQuestion: recorded.inlineQuestion },
  );
  return weekState(ctx, recorded.week);
}

/** A week's run as every channel answers "already run": who asked, the decision, and the proposal's real status now. */
export async function weekSummary(ctx: AppContext, week: string, known?: WeekState): Promise<WeekSummary | undefined> {
  const state = known ?? (await weekState(ctx, week));
  const s = state.started;
  if (!s) return undefined;
  const created = state.proposal;
  const proposal = created ? await ctx.deps.proposals.load(created.proposalId) : undefined;
  const d = state.decision?.decision;
  return {
    week,
    runId: s.runId,
    requestedBy: s.requestedBy ?? null,
    via: s.via ?? null,
    query: s.query,
    outcome: state.completed?.outcome ?? 'in progress',
    decision: d ? { instrument: d.instrument, direction: d.direction, conviction: d.conviction, horizon: d.horizon } : null,
    proposal:
      created && proposal
        ? {
            id: created.proposalId,
            status: proposal.exists ? proposal.status : 'PENDING',
            expiresAt: created.expiresAt,
            approvedBy: proposal.approvedBy ?? null,
            rejected: proposal.rejected ?? null,
          }
        : null,
  };
}

/**
 * Loads what the first council would otherwise load mid-run (every symbol's history), so a server
 * answers chat at full speed from its first minute. A replay's CSVs parse synchronously.
 */
export async function warm(ctx: AppContext): Promise<void> {
  const { clock, market, settings, proposals, broker } = ctx.deps;
  const asOf = clock.now();
  await Promise.all([...settings.universe, 'VIX'].map((symbol) => market.bars({ symbol, asOf, limit: 1 }).catch(() => [])));
  // Proposals still waiting for their click: the broker keeps ready what sending them will need.
  for (const state of await proposals.list()) if (state.status === 'PENDING') void broker.anticipate?.(state.orders, new Date(state.expiresAt));
}
