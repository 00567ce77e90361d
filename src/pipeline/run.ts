/**
 * runCouncil: research -> pitches (parallel) -> blind peer review (parallel) -> chairman -> a PENDING
 * proposal. A small loop over the week decider: read the week's events, ask nextStep what is left,
 * run that stage (stages/*.ts return events), append what the week does not hold yet, repeat. A run
 * killed anywhere resumes from those events, repeating no finished step (per seat, so no model is
 * paid twice); each milestone's notice is published again on resume, and its fault point called.
 */
import type { Broker } from '../brokers/port.ts';
import { decideProposal, foldProposal, type ProposalEvent } from '../domain/proposal.ts';
import { type Decision, RUBRIC, type Rubric, rubricAverage } from '../domain/schemas.ts';
import { EXIT_PREFIX } from '../domain/sizing.ts';
import type { TradingCalendar } from '../market/calendar.ts';
import type { NewsSource } from '../market/news.ts';
import type { MarketData } from '../market/port.ts';
import type { ReleaseCalendar } from '../market/releases.ts';
import { appendDecided } from '../store/append.ts';
import type { EventStore } from '../store/port.ts';
import { ConcurrencyError } from '../store/port.ts';
import { type OutageRetry, retryingStore } from '../store/retry.ts';
import { loadProposals } from './execution.ts';
import type { Identity, NoticeSink, PitchCard, ReviewRow } from './notices.ts';
import type { NewsBrief } from './research.ts';
import { addUsage, NO_USAGE, type Usage } from './seat-result.ts';
import type { Council } from './seats.ts';
import type { PipelineSettings } from './settings.ts';
import { proposalStream, weekStream } from './streams.ts';
import { chairLabels, type SeatLabel } from './stages/anonymise.ts';
import { chair } from './stages/chair.ts';
import { type PitchInput, pitch } from './stages/pitch.ts';
import { propose } from './stages/propose.ts';
import { research } from './stages/research.ts';
import { review } from './stages/review.ts';
import { type RunRequest, startRun } from './stages/start.ts';
import { isRecorded, nextStep, type Step, validPitches, type WeekRules } from './week-decider.ts';
import { evolve, foldWeek, type ProposalCreated, type RunRetried, type WeekEvent, type WeekOutcome, type WeekState } from './week.ts';

export type { PipelineSettings } from './settings.ts';
export type { RunRequest } from './stages/start.ts';
export { chairLabels, LABELS } from './stages/anonymise.ts';
export { proposalStream } from './streams.ts';

export interface PipelineDeps {
  store: EventStore;
  market: MarketData;
  calendar: TradingCalendar;
  /** The week's news for the research (absent: the pack says no news source is configured). */
  news?: NewsSource;
  /** A replay's news: what the recorded run read, given again instead of asking the source. */
  recordedNews?: NewsBrief;
  /** The release calendar; default the bundled one (market-data/calendar). */
  releases?: ReleaseCalendar;
  broker: Broker;
  council: Council;
  sink: NoticeSink;
  settings: PipelineSettings;
  newId: () => string;
  /** Fault injection for crash tests: called at each stage boundary with its name. */
  fault?: (point: string) => void;
  /** The run's reads and appends wait this long through a database outage before failing the run. */
  outageRetry?: OutageRetry;
}

export function totalUsage(s: WeekState): Usage {
  return [s.research?.usage ?? NO_USAGE, ...[...s.pitches.values()].map((p) => p.usage), ...[...s.reviews.values()].map((r) => r.usage), s.decision?.usage ?? NO_USAGE].reduce(
    addUsage,
    NO_USAGE,
  );
}

/**
 * The milestones a run announces, in order: each publishes its notice (if any) and calls its fault
 * point once per process, before the first step that comes after it.
 */
const MILESTONES = ['started', 'research', 'pitches', 'reviews', 'decision'] as const;
type Milestone = (typeof MILESTONES)[number];

/** The last milestone a step comes after (nothing before the run starts, or once it is done). */
function milestoneBefore(step: Step): Milestone | undefined {
  switch (step.kind) {
    case 'start':
    case 'done':
      return undefined;
    case 'research':
      return 'started';
    case 'pitch':
      return 'research';
    case 'review':
      return 'pitches';
    case 'chair':
      return 'reviews';
    case 'propose':
      return 'decision';
    case 'complete':
      return step.outcome === 'no_quorum' ? 'pitches' : 'decision';
    default: {
      const unknown: never = step;
      return unknown;
    }
  }
}

export async function runCouncil(deps: PipelineDeps, request: RunRequest): Promise<WeekState> {
  const { settings, council, sink } = deps;
  const store = deps.outageRetry ? retryingStore(deps.store, deps.outageRetry) : deps.store;
  const stream = weekStream(settings.council, request.week);
  const rules: WeekRules = { seats: council.seats.map((s) => s.id), quorum: settings.quorum };
  /** Appends those of `events` the week's current attempt does not hold yet, and folds the stream again. */
  const record = async (events: readonly WeekEvent[]): Promise<WeekState> =>
    foldWeek(
      await appendDecided(store, stream, (stored) => {
        let current = foldWeek(stored);
        return events.filter((event) => {
          if (isRecorded(current, event)) return false;
          current = evolve(current, event);
          return true;
        });
      }),
    );

  let state = foldWeek(await store.read(stream));
  const resumed = state.started !== undefined;
  // What every stage after the research reads: the run's question and decision time, the snapshot and the pack.
  const stageInput = (): PitchInput => {
    const started = state.started!;
    const { snapshot, pack } = state.research!;
    return {
      week: request.week,
      asOf: new Date(started.asOf),
      universe: settings.universe,
      snapshot,
      query: started.query ?? undefined,
      questionFormat: started.questionFormat,
      research: pack,
    };
  };
  const labels = (): SeatLabel[] =>
    chairLabels(
      request.week,
      validPitches(state).map((p) => p.seat),
    );

  const announce = async (milestone: Milestone): Promise<void> => {
    const { runId } = state.started!;
    switch (milestone) {
      case 'started': {
        const started = state.started!;
        await sink.publish({
          type: 'run_started',
          week: request.week,
          runId,
          query: started.query,
          seats: started.seats.length,
          resumed,
          asOf: started.asOf,
          requestedBy: started.requestedBy ?? null,
        });
        return deps.fault?.('started');
      }
      case 'research': {
        const research = state.research!;
        await sink.publish({
          type: 'research_ready',
          week: request.week,
          runId,
          pack: research.pack,
          sources: research.sources,
          lastSession: research.snapshot.lastSession,
          droppedCitations: research.droppedCitations?.length ?? 0,
        });
        return deps.fault?.('research');
      }
      case 'pitches':
        deps.fault?.('pitches');
        return sink.publish({ type: 'pitches_ready', week: request.week, runId, pitches: pitchCards(state, labels()) });
      case 'reviews':
        await sink.publish({
          type: 'reviews_ready',
          week: request.week,
          runId,
          rows: reviewTable(state, labels()),
          abstained: [...state.reviews.values()].filter((r) => r.status === 'abstained').map((r) => r.error ?? 'abstained'),
        });
        return deps.fault?.('reviews');
      case 'decision':
        return deps.fault?.('decision');
      default: {
        const unknown: never = milestone;
        return unknown;
      }
    }
  };
  let announced = 0;
  const announceUpTo = async (milestone: Milestone): Promise<void> => {
    for (; announced <= MILESTONES.indexOf(milestone); announced++) await announce(MILESTONES[announced]!);
  };

  /** The proposal stream this process opened already (a resumed run opens it again, in case a crash came before). */
  let opened: string | undefined;
  const complete = async (outcome: WeekOutcome): Promise<void> => {
    const { runId } = state.started!;
    if (outcome === 'no_quorum') {
      const valid = validPitches(state).length;
      state = await record([{ type: 'RunCompleted', data: { runId, outcome } }]);
      await sink.publish({
        type: 'no_quorum',
        week: request.week,
        runId,
        valid,
        required: settings.quorum,
        abstentions: [...state.pitches.values()].filter((p) => p.status === 'abstained').map((p) => ({ seat: p.seat, error: p.error ?? 'unknown' })),
      });
      return;
    }
    const asOf = new Date(state.started!.asOf);
    if (state.proposal) {
      // A crash between the week's ProposalCreated and the proposal's own stream: open it now.
      if (opened !== state.proposal.proposalId) await openProposal(store, settings.council, request.week, runId, asOf, state.decision!.decision, state.proposal);
      // One council proposal waits at a time: an older one was planned from a book this one already sees.
      await supersedeOlder(store, deps.store, sink, settings.council, state.proposal.proposalId, asOf);
    }
    deps.fault?.('proposal');
    state = await record([{ type: 'RunCompleted', data: { runId, outcome: state.proposal ? 'proposal' : 'no_orders' } }]);
    // While the decision waits for its click, the broker keeps ready what sending its orders will need.
    if (state.proposal) void deps.broker.anticipate?.(state.proposal.orders, new Date(state.proposal.expiresAt));
    await sink.publish({
      type: 'decision_ready',
      week: request.week,
      runId,
      decision: state.decision!.decision,
      chair: state.decision!.chair,
      identities: identities(state),
      proposal: state.proposal
        ? { id: state.proposal.proposalId, status: 'PENDING', expiresAt: state.proposal.expiresAt, targets: state.proposal.targets ?? [], orders: state.proposal.orders }
        : null,
      usage: totalUsage(state),
    });
  };

  for (;;) {
    const step = nextStep(state, rules);
    const after = milestoneBefore(step);
    if (after) await announceUpTo(after);
    switch (step.kind) {
      case 'done':
        return state;
      case 'start':
        state = await record([startRun(deps.newId(), request, council, settings)]);
        break;
      case 'research': {
        const started = state.started!;
        const { runId } = started;
        const asOf = new Date(started.asOf);
        const query = started.query ?? undefined;
        state = await record([await research(deps, { runId, week: request.week, asOf, universe: settings.universe, query, questionFormat: started.questionFormat })]);
        break;
      }
      case 'pitch': {
        // In parallel; each pitch is recorded as soon as it arrives.
        const { runId } = state.started!;
        const input = stageInput();
        const week = state.research!;
        let done = state.pitches.size;
        await Promise.all(
          council.seats
            .filter((seat) => step.seats.includes(seat.id))
            .map(async (seat) => {
              await record([await pitch(seat, input, runId, week)]);
              done += 1;
              await sink.publish({ type: 'stage_progress', week: request.week, runId, stage: 'pitches', done, total: council.seats.length });
            }),
        );
        state = foldWeek(await store.read(stream));
        break;
      }
      case 'review': {
        // Blind peer review, in parallel: each seat scores every other valid pitch, under labels shuffled for it alone.
        const { runId } = state.started!;
        const input = stageInput();
        const valid = validPitches(state);
        const seen = state;
        let done = state.reviews.size;
        await Promise.all(
          council.seats
            .filter((seat) => step.seats.includes(seat.id))
            .map(async (seat) => {
              await record([await review(seat, input, runId, seen, valid)]);
              done += 1;
              await sink.publish({ type: 'stage_progress', week: request.week, runId, stage: 'reviews', done, total: council.seats.length });
            }),
        );
        state = foldWeek(await store.read(stream));
        break;
      }
      case 'chair':
        // The chairman sees pitches and reviews anonymised, under the channel's labels.
        state = await record([await chair(council.chairs, stageInput(), state.started!.runId, state, labels())]);
        break;
      case 'propose': {
        // Each seat's account trades its own pitch, the council account trades the decision.
        const asOf = new Date(state.started!.asOf);
        const created = await propose(deps, state, asOf);
        if (!created) {
          await complete('no_orders');
          break;
        }
        await openProposal(store, settings.council, request.week, state.started!.runId, asOf, state.decision!.decision, created.data);
        opened = created.data.proposalId;
        state = await record([created]);
        break;
      }
      case 'complete':
        await complete(step.outcome);
        break;
      default: {
        const unknown: never = step;
        return unknown;
      }
    }
  }
}

/** The channel's cards: the valid pitches under their labels, then the abstentions, numbered. */
function pitchCards(state: WeekState, labels: readonly SeatLabel[]): PitchCard[] {
  return [
    ...labels.map(({ label, seat }) => {
      const p = state.pitches.get(seat)!;
      return { label, status: p.status, kind: p.kind, pitch: p.pitch, error: null };
    }),
    ...[...state.pitches.values()]
      .filter((p) => p.status === 'abstained')
      .map((p, i) => ({ label: `abstained ${i + 1}`, status: p.status, kind: p.kind, pitch: null, error: p.error })),
  ];
}

/** A week that may not be retried: it has no finished attempt without quorum. */
export class RetryError extends Error {
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

export function identities(state: WeekState): Identity[] {
  const labels = state.decision?.labels ?? [];
  return (state.started?.seats ?? []).map((seat) => {
    const p = state.pitches.get(seat.id);
    return {
      label: labels.find((l) => l.seat === seat.id)?.label ?? null,
      seat: seat.id,
      model: p?.model ?? seat.model,
      kind: p?.kind ?? seat.kind,
      account: seat.account,
      status: p?.status ?? 'abstained',
      error: p?.error ?? null,
    };
  });
}

export function reviewTable(state: WeekState, labels: readonly { label: string; seat: string }[]): ReviewRow[] {
  return labels.map(({ label, seat }) => {
    const scores = [...state.reviews.values()].flatMap((r) => r.scores.filter((s) => s.seat === seat));
    const averages = Object.fromEntries(
      RUBRIC.map((k) => [k, scores.length ? Math.round((scores.reduce((sum, s) => sum + s.rubric[k], 0) / scores.length) * 10) / 10 : 0]),
    ) as Rubric;
    const pitch = state.pitches.get(seat)!.pitch!;
    return {
      label,
      instrument: pitch.instrument,
      direction: pitch.direction,
      averages,
      overall: scores.length ? Math.round((scores.reduce((sum, s) => sum + rubricAverage(s.rubric), 0) / scores.length) * 10) / 10 : 0,
      reviewers: scores.length,
      killShots: scores.map((s) => s.killShot),
    };
  });
}

async function openProposal(store: EventStore, council: string, week: string, runId: string, asOf: Date, decision: Decision, created: ProposalCreated): Promise<void> {
  const opened: ProposalEvent = {
    type: 'ProposalOpened',
    data: {
      proposalId: created.proposalId,
      council,
      week,
      runId,
      asOf: asOf.toISOString(),
      expiresAt: created.expiresAt,
      decision: { instrument: decision.instrument, direction: decision.direction, conviction: decision.conviction, horizon: decision.horizon },
      orders: created.orders,
      ...(created.targets ? { targets: created.targets } : {}),
    },
  };
  try {
    await store.append(proposalStream(created.proposalId), 0, [opened]);
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error; // already opened: fine
  }
}

/**
 * Withdraws every other PENDING proposal of this council (exits aside), with the reason: its orders
 * were planned from a book the newer proposal already sees, and approving both would stack them.
 */
async function supersedeOlder(store: EventStore, listed: EventStore, sink: NoticeSink, council: string, newer: string, at: Date): Promise<void> {
  // Every proposal's state, from the unwrapped store, whose folds are remembered across runs (a
  // backtest plans hundreds of weeks); the withdrawal itself goes through the run's retrying store.
  for (const state of await loadProposals(listed)) {
    const { proposalId } = state;
    if (state.status !== 'PENDING' || proposalId === newer || proposalId.startsWith(EXIT_PREFIX) || (state.council && state.council !== council)) continue;
    const stream = proposalStream(proposalId);
    const reason = `superseded by proposal ${newer}, planned from a newer book`;
    let withdrawn = false;
    await appendDecided(store, stream, (events) => {
      const decided = decideProposal({ type: 'Withdraw', now: at, reason }, foldProposal(events as unknown as ProposalEvent[]));
      withdrawn = decided.length > 0;
      return decided;
    });
    if (withdrawn) await sink.publish({ type: 'proposal_expired', week: state.week, proposalId, at: at.toISOString(), reason });
  }
}
