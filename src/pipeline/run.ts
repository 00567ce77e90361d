/**
 * runCouncil: research -> pitches (parallel) -> blind peer review (parallel) -> chairman -> a PENDING
 * proposal. Every step is an event in the week's stream; a run killed anywhere resumes from those
 * events, repeating no finished step (per seat, so no model is paid twice).
 */
import { decideProposal, foldProposal, type ProposalEvent, type ProposalOrder } from '../domain/proposal.ts';
import { type Decision, RUBRIC, type Rubric, rubricAverage } from '../domain/schemas.ts';
import { clientOrderId, EXIT_PREFIX, isExitOrder, planAccount, type RiskLimits } from '../domain/sizing.ts';
import { decisionProblems, invalidationHolding, pitchProblems } from '../domain/validate.ts';
import { hash32, shuffle } from '../llm/builtin/facts.ts';
import type { TradingCalendar } from '../market/calendar.ts';
import type { NewsSource } from '../market/news.ts';
import type { MarketData } from '../market/port.ts';
import { bundledReleaseCalendar, type ReleaseCalendar, weekCalendar } from '../market/releases.ts';
import { buildSnapshot } from '../market/snapshot.ts';
import { nyDate, nyDateTime } from '../market/time.ts';
import type { Broker } from '../brokers/port.ts';
import { appendDecided } from '../store/append.ts';
// A cycle (execution.ts reads proposalStream from here), safe: each side calls the other only inside functions.
import { loadProposals } from './execution.ts';
import type { EventStore, NewEvent, StoredEvent } from '../store/port.ts';
import { ConcurrencyError } from '../store/port.ts';
import { type OutageRetry, retryingStore } from '../store/retry.ts';
import type { Identity, NoticeSink, PitchCard, ReviewRow } from './notices.ts';
import { checkCitations, checkPitchCitations, gatherNews, type NewsBrief, newsSources } from './research.ts';
import { addUsage, type Council, type LabelledPitch, NO_USAGE, type StageInput, type Usage } from './seats.ts';
import {
  currentAttempt,
  type DecisionMade,
  foldWeek,
  type PitchRecorded,
  type ProposalCreated,
  type RecordedScore,
  type ReviewRecorded,
  type RunRetried,
  type RunStarted,
  type SeatInfo,
  type WeekState,
  weekStream,
} from './week.ts';
import { UserFacingError } from '../domain/errors.ts';

export interface PipelineSettings {
  council: string;
  universe: readonly string[];
  risk: RiskLimits;
  /** seat id -> account */
  seatAccounts: Readonly<Record<string, string>>;
  chairAccount: string;
  quorum: number;
}

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

export interface RunRequest {
  week: string;
  query: string | undefined;
  /** The decision time; nothing published after it is used. */
  asOf: Date;
  /** Who asked, and through which channel: recorded on RunStarted. */
  requestedBy?: string;
  via?: string;
  /** Only a replay of a run recorded before the question was fenced: quote it inline again, as that run did. */
  inlineQuestion?: boolean;
}

export const LABELS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;

/** The channel's (and chairman's) labels for the valid pitches, shuffled by a seed derived from the week. */
export function chairLabels(week: string, seats: readonly string[]): { label: string; seat: string }[] {
  return shuffle([...seats].sort(), hash32(`${week}:chair`)).map((seat, i) => ({ label: LABELS[i] ?? `X${i}`, seat }));
}

const okPitches = (s: WeekState) => [...s.pitches.values()].filter((p) => p.status === 'ok' && p.pitch);

export function totalUsage(s: WeekState): Usage {
  return [s.research?.usage ?? NO_USAGE, ...[...s.pitches.values()].map((p) => p.usage), ...[...s.reviews.values()].map((r) => r.usage), s.decision?.usage ?? NO_USAGE].reduce(
    addUsage,
    NO_USAGE,
  );
}

export async function runCouncil(deps: PipelineDeps, request: RunRequest): Promise<WeekState> {
  const { settings, council, sink } = deps;
  const store = deps.outageRetry ? retryingStore(deps.store, deps.outageRetry) : deps.store;
  const stream = weekStream(settings.council, request.week);
  // Each decision looks only at the current attempt: a retried week's earlier attempt does not count.
  const append = (decide: (events: StoredEvent[]) => NewEvent[]) => appendDecided(store, stream, (events) => decide(currentAttempt(events)));
  let state = foldWeek(await store.read(stream));
  if (state.completed) return state;

  const resumed = state.started !== undefined;
  if (!state.started) {
    const seats: SeatInfo[] = council.seats.map((s) => ({ id: s.id, model: s.model, kind: s.kind, account: settings.seatAccounts[s.id] ?? s.id }));
    const started: RunStarted = {
      runId: deps.newId(),
      week: request.week,
      asOf: request.asOf.toISOString(),
      query: request.query ?? null,
      requestedBy: request.requestedBy ?? null,
      via: request.via ?? null,
      ...(request.inlineQuestion ? {} : { questionFormat: 'fenced' as const }),
      seats,
      chair: { models: council.chairs.map((c) => c.model), account: settings.chairAccount },
    };
    state = foldWeek(await append((events) => (events.some((e) => e.type === 'RunStarted') ? [] : [{ type: 'RunStarted', data: started }])));
  }
  const started = state.started!;
  const { runId } = started;
  const asOf = new Date(started.asOf);
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
  deps.fault?.('started');

  // Research
  if (!state.research) {
    const snapshot = await buildSnapshot(deps.market, settings.universe, asOf);
    const news = deps.recordedNews ?? (await gatherNews(deps.news, settings.universe, asOf));
    const calendar = weekCalendar(deps.releases ?? bundledReleaseCalendar(), nyDate(asOf));
    const input: StageInput = {
      week: request.week,
      asOf,
      universe: settings.universe,
      snapshot,
      query: started.query ?? undefined,
      questionFormat: started.questionFormat,
      news,
      events: calendar,
    };
    const results = await Promise.all(council.researchers.map((r) => r.research(input)));
    // Every researcher failing must not fail the run: the fallback (builtin, from the snapshot) stands in, the failures stay recorded.
    if (!results.some((r) => r.ok) && council.fallbackResearch) results.push(await council.fallbackResearch.research(input));
    // Each pack's citations are checked against the given news and its own dated sources before the merge.
    const given = newsSources(news);
    const droppedCitations: NonNullable<WeekState['research']>['droppedCitations'] = [];
    let own = 0;
    const packs = results.flatMap((r) => {
      if (!r.ok) return [];
      const checked = checkCitations(r.value, given, asOf, () => `W${++own}`);
      droppedCitations.push(...checked.dropped.map((d) => ({ ...d, model: r.model })));
      return [checked.pack];
    });
    if (packs.length === 0) throw new Error(`research failed: ${results.map((r) => (r.ok ? '' : `${r.model}: ${r.error}`)).join('; ')}`);
    const researchSeats = council.fallbackResearch ? [...council.researchers, council.fallbackResearch] : council.researchers;
    const merged = council.mergeResearch(packs);
    // A pack from research.v1 prompts carries no sources: it stays as it was, so an old run replays from its own prompts.
    // Otherwise the calendar is the release data's week, plus only those model events that cite a source.
    const pack =
      merged.sources === undefined
        ? merged
        : {
            ...merged,
            calendar: [
              ...calendar.events.map((e) => ({ ...e, cites: [] })),
              ...merged.calendar.filter((e) => e.cites?.length && !calendar.events.some((d) => d.date === e.date && d.event === e.event)),
            ]
              .sort((a, b) => a.date.localeCompare(b.date))
              .slice(0, 12),
            sources: [...given, ...merged.sources.filter((s) => !given.some((g) => g.id === s.id))],
            provenance: { news: news.note, calendar: calendar.note },
          };
    const research = {
      pack,
      snapshot,
      sources: results.map((r) => ({ model: r.model, kind: researchSeats.find((x) => x.model === r.model)?.kind ?? 'llm', ok: r.ok, error: r.ok ? null : r.error })),
      usage: results.reduce((u, r) => addUsage(u, r.usage), NO_USAGE),
      news,
      calendar,
      droppedCitations,
    };
    state = foldWeek(await append((events) => (events.some((e) => e.type === 'ResearchCompleted') ? [] : [{ type: 'ResearchCompleted', data: { runId, ...research } }])));
  }
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
  deps.fault?.('research');

  const stageInput: StageInput & { research: typeof research.pack } = {
    week: request.week,
    asOf,
    universe: settings.universe,
    snapshot: research.snapshot,
    query: started.query ?? undefined,
    questionFormat: started.questionFormat,
    research: research.pack,
  };

  // Pitches, in parallel; each is recorded as soon as it arrives.
  const pending = council.seats.filter((s) => !state.pitches.has(s.id));
  let done = state.pitches.size;
  await Promise.all(
    pending.map(async (seat) => {
      const result = await seat.pitch(stageInput);
      let recorded: PitchRecorded;
      if (result.ok) {
        const problems = pitchProblems(result.value, settings.universe);
        // A pack with sources (research.v2) lets pitches cite them; an id it does not hold is taken out and recorded.
        const cited = research.pack.sources ? checkPitchCitations(result.value, research.pack.sources, asOf) : { pitch: result.value, dropped: [] };
        // Its own exit rule already true at decision time: the position would open and close at once.
        const holding = problems.length
          ? []
          : invalidationHolding(result.value.invalidation.conditions, (c) =>
              c.indicator === 'vix' ? research.snapshot.vix : (research.snapshot.symbols[c.symbol]?.[c.indicator] ?? null),
            );
        recorded = problems.length
          ? { runId, seat: seat.id, model: result.model, kind: seat.kind, status: 'abstained', pitch: null, error: `invalid pitch: ${problems.join('; ')}`, usage: result.usage }
          : holding.length
            ? {
                runId,
                seat: seat.id,
                model: result.model,
                kind: seat.kind,
                status: 'abstained',
                pitch: null,
                error: `invalidation already holds at decision time: ${holding.join('; ')}`,
                usage: result.usage,
              }
            : {
                runId,
                seat: seat.id,
                model: result.model,
                kind: seat.kind,
                status: 'ok',
                pitch: cited.pitch,
                error: null,
                usage: result.usage,
                ...(cited.dropped.length ? { droppedCitations: cited.dropped } : {}),
              };
      } else recorded = { runId, seat: seat.id, model: result.model, kind: seat.kind, status: 'abstained', pitch: null, error: result.error, usage: result.usage };
      await append((events) => (events.some((e) => e.type === 'PitchRecorded' && (e.data as PitchRecorded).seat === seat.id) ? [] : [{ type: 'PitchRecorded', data: recorded }]));
      done += 1;
      await sink.publish({ type: 'stage_progress', week: request.week, runId, stage: 'pitches', done, total: council.seats.length });
    }),
  );
  state = foldWeek(await store.read(stream));
  deps.fault?.('pitches');

  const valid = okPitches(state);
  const labels = chairLabels(
    request.week,
    valid.map((p) => p.seat),
  );
  const labelOf = (seat: string) => labels.find((l) => l.seat === seat)?.label ?? '?';
  const cards: PitchCard[] = [
    ...labels.map(({ label, seat }) => {
      const p = state.pitches.get(seat)!;
      return { label, status: p.status, kind: p.kind, pitch: p.pitch, error: null };
    }),
    ...[...state.pitches.values()]
      .filter((p) => p.status === 'abstained')
      .map((p, i) => ({ label: `abstained ${i + 1}`, status: p.status, kind: p.kind, pitch: null, error: p.error })),
  ];
  await sink.publish({ type: 'pitches_ready', week: request.week, runId, pitches: cards });

  if (valid.length < settings.quorum) {
    state = foldWeek(await append((events) => (events.some((e) => e.type === 'RunCompleted') ? [] : [{ type: 'RunCompleted', data: { runId, outcome: 'no_quorum' } }])));
    await sink.publish({
      type: 'no_quorum',
      week: request.week,
      runId,
      valid: valid.length,
      required: settings.quorum,
      abstentions: [...state.pitches.values()].filter((p) => p.status === 'abstained').map((p) => ({ seat: p.seat, error: p.error ?? 'unknown' })),
    });
    return state;
  }

  // Blind peer review: each seat scores every other valid pitch, under labels shuffled for it alone.
  const reviewers = council.seats.filter((s) => !state.reviews.has(s.id));
  let reviewed = state.reviews.size;
  await Promise.all(
    reviewers.map(async (seat) => {
      const seed = hash32(`${request.week}:review:${seat.id}`);
      const others = valid
        .filter((p) => p.seat !== seat.id)
        .map((p) => p.seat)
        .sort();
      const seen = shuffle(others, seed).map((s, i) => ({ label: LABELS[i] ?? `X${i}`, seat: s }));
      const pitches: LabelledPitch[] = seen.map(({ label, seat: s }) => ({ label, pitch: state.pitches.get(s)!.pitch! }));
      const result = await seat.review({ ...stageInput, pitches });
      const scores: RecordedScore[] = [];
      if (result.ok)
        for (const score of result.value.scores) {
          const target = seen.find((l) => l.label === score.target);
          if (target && !scores.some((s) => s.seat === target.seat)) scores.push({ ...score, seat: target.seat });
        }
      const complete = result.ok && scores.length === seen.length;
      const recorded: ReviewRecorded = {
        runId,
        reviewer: seat.id,
        model: result.model,
        status: complete ? 'ok' : 'abstained',
        seed,
        labels: seen,
        scores: complete ? scores : [],
        error: result.ok ? (complete ? null : `scored ${scores.length} of ${seen.length} pitches`) : result.error,
        usage: result.usage,
      };
      await append((events) =>
        events.some((e) => e.type === 'ReviewRecorded' && (e.data as ReviewRecorded).reviewer === seat.id) ? [] : [{ type: 'ReviewRecorded', data: recorded }],
      );
      reviewed += 1;
      await sink.publish({ type: 'stage_progress', week: request.week, runId, stage: 'reviews', done: reviewed, total: council.seats.length });
    }),
  );
  state = foldWeek(await store.read(stream));
  const rows = reviewTable(state, labels);
  await sink.publish({
    type: 'reviews_ready',
    week: request.week,
    runId,
    rows,
    abstained: [...state.reviews.values()].filter((r) => r.status === 'abstained').map((r) => r.error ?? 'abstained'),
  });
  deps.fault?.('reviews');

  // The chairman sees pitches and reviews anonymised, under the channel's labels.
  if (!state.decision) {
    const reviewsForChair = [...state.reviews.values()]
      .filter((r) => r.status === 'ok')
      .sort((a, b) => a.seed - b.seed)
      .map((r, i) => ({ reviewer: `Reviewer ${i + 1}`, scores: r.scores.map(({ seat, ...score }) => ({ ...score, target: labelOf(seat) })) }));
    const chairInput = { ...stageInput, pitches: labels.map(({ label, seat }) => ({ label, pitch: state.pitches.get(seat)!.pitch! })), reviews: reviewsForChair };
    const failures: { model: string; error: string }[] = [];
    let usage = NO_USAGE;
    let made: DecisionMade | undefined;
    for (const chair of council.chairs) {
      const result = await chair.decide(chairInput);
      usage = addUsage(usage, result.usage);
      if (!result.ok) {
        failures.push({ model: result.model, error: result.error });
        continue;
      }
      const problems = decisionProblems(result.value, settings.universe);
      if (problems.length) {
        failures.push({ model: result.model, error: `invalid decision: ${problems.join('; ')}` });
        continue;
      }
      made = { runId, decision: result.value, chair: { model: result.model, kind: chair.kind, failures }, labels, usage };
      break;
    }
    if (!made) throw new Error(`no chairman could decide: ${failures.map((f) => `${f.model}: ${f.error}`).join('; ')}`);
    const decided = made;
    state = foldWeek(await append((events) => (events.some((e) => e.type === 'DecisionMade') ? [] : [{ type: 'DecisionMade', data: decided }])));
  }
  deps.fault?.('decision');

  // The proposal: each seat's account trades its own pitch, the council account trades the decision.
  if (!state.proposal) {
    const created = await planProposal(deps, state, asOf);
    if (created) {
      await openProposal(store, settings.council, request.week, runId, asOf, state.decision!.decision, created);
      state = foldWeek(await append((events) => (events.some((e) => e.type === 'ProposalCreated') ? [] : [{ type: 'ProposalCreated', data: created }])));
    }
  } else {
    // A crash between the week's ProposalCreated and the proposal's own stream: open it now.
    await openProposal(store, settings.council, request.week, runId, asOf, state.decision!.decision, state.proposal);
  }
  // One council proposal waits at a time: an older one was planned from a book this one already sees.
  if (state.proposal) await supersedeOlder(store, deps.store, sink, settings.council, state.proposal.proposalId, asOf);
  deps.fault?.('proposal');
  state = foldWeek(
    await append((events) =>
      events.some((e) => e.type === 'RunCompleted') ? [] : [{ type: 'RunCompleted', data: { runId, outcome: state.proposal ? 'proposal' : 'no_orders' } }],
    ),
  );
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
  return state;
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

async function planProposal(deps: PipelineDeps, state: WeekState, asOf: Date): Promise<ProposalCreated | undefined> {
  const { settings, broker } = deps;
  const snapshot = state.research!.snapshot;
  const prices: Record<string, number> = {};
  for (const [symbol, set] of Object.entries(snapshot.symbols)) if (set.close !== null) prices[symbol] = set.close;
  const views: { account: string; view: { instrument: string; direction: Decision['direction']; conviction: number } }[] = [];
  for (const seat of state.started!.seats) {
    const p = state.pitches.get(seat.id);
    if (p?.status === 'ok' && p.pitch) views.push({ account: seat.account, view: p.pitch });
  }
  views.push({ account: settings.chairAccount, view: state.decision!.decision });
  const proposalId = `${state.started!.week}-${state.started!.runId.slice(0, 6)}`;
  const plans = await Promise.all(
    views.map(async ({ account, view }) => {
      const book = await broker.account(account, asOf);
      // Positions priced by the broker may lie outside the snapshot: take their marks for closing.
      for (const p of book.positions) if (prices[p.symbol] === undefined && p.marketPrice) prices[p.symbol] = p.marketPrice;
      // An exit still working counts as done: one sent at Friday's last checkpoint fills at Monday's open
      // on replay data, and planning around the position it closes would close it twice.
      const positions: Record<string, number> = Object.fromEntries(book.positions.map((p) => [p.symbol, p.qty]));
      for (const o of book.openOrders.filter((o) => isExitOrder(o.clientOrderId)))
        positions[o.symbol] = (positions[o.symbol] ?? 0) + (o.side === 'buy' ? 1 : -1) * (o.qty - o.filledQty);
      return planAccount(account, view, { equity: book.equity, positions }, prices, settings.universe, settings.risk);
    }),
  );
  const orders: ProposalOrder[] = plans.flatMap((plan) => plan.orders.map((o) => ({ ...o, clientOrderId: clientOrderId(proposalId, o.account, o.symbol) })));
  if (orders.length === 0) return undefined;
  const targets = plans.flatMap((plan) => plan.targets);
  const session = deps.calendar.isTradingDay(nyDate(asOf)) ? nyDate(asOf) : deps.calendar.nextTradingDay(nyDate(asOf));
  const expiresAt = nyDateTime(session, deps.calendar.sessionClose(session)).toISOString();
  return { runId: state.started!.runId, proposalId, expiresAt, orders, targets };
}

export const proposalStream = (proposalId: string) => `proposal:${proposalId}`;

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
