/**
 * One process's run of one council week: the effects around the pure decider. It appends a stage's
 * events when the week does not hold them yet (with the stream's version, re-deciding on a race),
 * publishes each milestone's notice and calls its fault point once per process, in the order the
 * channels and the crash tests know, and opens the proposal's own stream.
 */
import type { Broker } from '../brokers/port.ts';
import type { TradingCalendar } from '../market/calendar.ts';
import type { NewsSource } from '../market/news.ts';
import type { MarketData } from '../market/port.ts';
import type { ReleaseCalendar } from '../market/releases.ts';
import { appendDecided } from '../store/append.ts';
import type { EventStore } from '../store/port.ts';
import { type OutageRetry, retryingStore } from '../store/retry.ts';
import type { NoticeSink } from './notices.ts';
import type { NewsBrief } from './research.ts';
import type { Council, PmSeat } from './seats.ts';
import type { PipelineSettings } from './settings.ts';
import { chairLabels, type SeatLabel } from './stages/anonymise.ts';
import { chair } from './stages/chair.ts';
import { type PitchInput, pitch } from './stages/pitch.ts';
import { openProposal, propose, supersedeOlder } from './stages/propose.ts';
import { research } from './stages/research.ts';
import { review } from './stages/review.ts';
import { type RunRequest, startRun } from './stages/start.ts';
import { weekStream } from './streams.ts';
import { isRecorded, type Step, validPitches, type WeekRules } from './week-decider.ts';
import { identities, pitchCards, reviewTable, totalUsage } from './week-views.ts';
import { evolve, foldWeek, type WeekEvent, type WeekOutcome, type WeekState } from './week.ts';
import { type ProposalRepository, repositoryOf } from './proposals/repository.ts';
import { syncLegFills } from './proposals/placement.ts';

export interface PipelineDeps {
  store: EventStore;
  /** The application's proposal repository (older pending proposals are superseded from its listing); absent, the one kept for `store`. */
  proposals?: ProposalRepository;
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

/**
 * The milestones a run announces, in order: each publishes its notice (if any) and calls its fault
 * point once per process, before the first step that comes after it. A resumed run announces again
 * what an earlier process may have announced already.
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

export class WeekRun {
  readonly rules: WeekRules;
  /** The week as folded from its events after this process's last read or append. */
  state: WeekState;
  private readonly deps: PipelineDeps;
  private readonly request: RunRequest;
  private readonly store: EventStore;
  private readonly stream: string;
  /** Whether the week had started before this process came to it. */
  private readonly resumed: boolean;
  /** How many MILESTONES this process has announced. */
  private announced = 0;
  /** The proposal stream this process opened already (a resumed run opens it again, in case a crash came before). */
  private opened: string | undefined;

  private constructor(deps: PipelineDeps, request: RunRequest, store: EventStore, state: WeekState) {
    this.deps = deps;
    this.request = request;
    this.store = store;
    this.state = state;
    this.stream = weekStream(deps.settings.council, request.week);
    this.rules = { seats: deps.council.seats.map((s) => s.id), quorum: deps.settings.quorum };
    this.resumed = state.started !== undefined;
  }

  /** Reads the week's events (through the outage retry when configured) and holds the state they fold to. */
  static async open(deps: PipelineDeps, request: RunRequest): Promise<WeekRun> {
    const store = deps.outageRetry ? retryingStore(deps.store, deps.outageRetry) : deps.store;
    return new WeekRun(deps, request, store, foldWeek(await store.read(weekStream(deps.settings.council, request.week))));
  }

  /** Runs one step the decider asked for, after announcing every milestone before it. */
  async take(step: Step): Promise<void> {
    const after = milestoneBefore(step);
    if (after) for (; this.announced <= MILESTONES.indexOf(after); this.announced++) await this.announce(MILESTONES[this.announced]!);
    const { deps, request } = this;
    switch (step.kind) {
      case 'done':
        return;
      case 'start':
        return this.record([startRun(deps.newId(), request, deps.council, deps.settings)]);
      case 'research': {
        const { runId, asOf, query, questionFormat } = this.state.started!;
        const event = await research(deps, { runId, week: request.week, asOf: new Date(asOf), universe: deps.settings.universe, query: query ?? undefined, questionFormat });
        return this.record([event]);
      }
      case 'pitch': {
        // In parallel; each pitch is recorded as soon as it arrives.
        const input = this.stageInput();
        const { runId } = this.state.started!;
        const week = this.state.research!;
        return this.eachSeat(step.seats, 'pitches', (seat) => pitch(seat, input, runId, week));
      }
      case 'review': {
        // Blind peer review, in parallel: each seat scores every other valid pitch, under labels shuffled for it alone.
        const input = this.stageInput();
        const { runId } = this.state.started!;
        const pitched = this.state;
        const valid = validPitches(pitched);
        return this.eachSeat(step.seats, 'reviews', (seat) => review(seat, input, runId, pitched, valid));
      }
      case 'chair':
        // The chairman sees pitches and reviews anonymised, under the channel's labels.
        return this.record([await chair(deps.council.chairs, this.stageInput(), this.state.started!.runId, this.state, this.labels())]);
      case 'propose': {
        // Each seat's account trades its own pitch, the council account trades the decision.
        const asOf = new Date(this.state.started!.asOf);
        // The books as they stand: a stop or take-profit that filled since the last checkpoint closed its position.
        const accounts = [...new Set([...this.state.started!.seats.map((s) => s.account), deps.settings.chairAccount])];
        await syncLegFills({ store: this.store, broker: deps.broker, sink: deps.sink, council: deps.settings.council, proposals: deps.proposals }, accounts, asOf);
        const created = await propose(deps, this.state, asOf);
        if (!created) return this.complete('no_orders');
        await openProposal(this.store, deps.settings.council, request.week, this.state.started!.runId, asOf, this.state.decision!.decision, created.data);
        this.opened = created.data.proposalId;
        return this.record([created]);
      }
      case 'complete':
        return this.complete(step.outcome);
      default: {
        const unknown: never = step;
        return unknown;
      }
    }
  }

  /** Appends those of `events` the week's current attempt does not hold yet, and folds the stream again. */
  private async record(events: readonly WeekEvent[]): Promise<void> {
    const stored = await appendDecided(this.store, this.stream, (current) => {
      let week = foldWeek(current);
      return events.filter((event) => {
        if (isRecorded(week, event)) return false;
        week = evolve(week, event);
        return true;
      });
    });
    this.state = foldWeek(stored);
  }

  /** Asks these seats in parallel, records each answer as it arrives with the stage's progress, then reads the week again. */
  private async eachSeat(seats: readonly string[], stage: 'pitches' | 'reviews', ask: (seat: PmSeat) => Promise<WeekEvent>): Promise<void> {
    const { council, sink } = this.deps;
    const { runId } = this.state.started!;
    let done = stage === 'pitches' ? this.state.pitches.size : this.state.reviews.size;
    await Promise.all(
      council.seats
        .filter((seat) => seats.includes(seat.id))
        .map(async (seat) => {
          await this.record([await ask(seat)]);
          done += 1;
          await sink.publish({ type: 'stage_progress', week: this.request.week, runId, stage, done, total: council.seats.length });
        }),
    );
    this.state = foldWeek(await this.store.read(this.stream));
  }

  /** What every stage after the research reads: the run's question and decision time, the snapshot and the pack. */
  private stageInput(): PitchInput {
    const started = this.state.started!;
    const { snapshot, pack } = this.state.research!;
    return {
      week: this.request.week,
      asOf: new Date(started.asOf),
      universe: this.deps.settings.universe,
      snapshot,
      query: started.query ?? undefined,
      questionFormat: started.questionFormat,
      research: pack,
    };
  }

  /** The channel's and the chairman's labels for the valid pitches. */
  private labels(): SeatLabel[] {
    return chairLabels(
      this.request.week,
      validPitches(this.state).map((p) => p.seat),
    );
  }

  private async announce(milestone: Milestone): Promise<void> {
    const { sink, fault } = this.deps;
    const { week } = this.request;
    const started = this.state.started!;
    const { runId } = started;
    switch (milestone) {
      case 'started':
        await sink.publish({
          type: 'run_started',
          week,
          runId,
          query: started.query,
          seats: started.seats.length,
          resumed: this.resumed,
          asOf: started.asOf,
          requestedBy: started.requestedBy ?? null,
        });
        return fault?.('started');
      case 'research': {
        const research = this.state.research!;
        await sink.publish({
          type: 'research_ready',
          week,
          runId,
          pack: research.pack,
          sources: research.sources,
          lastSession: research.snapshot.lastSession,
          droppedCitations: research.droppedCitations?.length ?? 0,
        });
        return fault?.('research');
      }
      case 'pitches':
        fault?.('pitches');
        return sink.publish({ type: 'pitches_ready', week, runId, pitches: pitchCards(this.state, this.labels()) });
      case 'reviews':
        await sink.publish({
          type: 'reviews_ready',
          week,
          runId,
          rows: reviewTable(this.state, this.labels()),
          abstained: [...this.state.reviews.values()].filter((r) => r.status === 'abstained').map((r) => r.error ?? 'abstained'),
        });
        return fault?.('reviews');
      case 'decision':
        return fault?.('decision');
      default: {
        const unknown: never = milestone;
        return unknown;
      }
    }
  }

  /** Ends the week with its outcome and tells the channels: no quorum, or the decision with its proposal (or none, with no orders). */
  private async complete(outcome: WeekOutcome): Promise<void> {
    const { deps, request } = this;
    const { sink, settings } = deps;
    const { runId } = this.state.started!;
    if (outcome === 'no_quorum') {
      const valid = validPitches(this.state).length;
      await this.record([{ type: 'RunCompleted', data: { runId, outcome } }]);
      await sink.publish({
        type: 'no_quorum',
        week: request.week,
        runId,
        valid,
        required: settings.quorum,
        abstentions: [...this.state.pitches.values()].filter((p) => p.status === 'abstained').map((p) => ({ seat: p.seat, error: p.error ?? 'unknown' })),
      });
      return;
    }
    const asOf = new Date(this.state.started!.asOf);
    const planned = this.state.proposal;
    if (planned) {
      // A crash between the week's ProposalCreated and the proposal's own stream: open it now.
      if (this.opened !== planned.proposalId) await openProposal(this.store, settings.council, request.week, runId, asOf, this.state.decision!.decision, planned);
      // One council proposal waits at a time: an older one was planned from a book this one already sees.
      await supersedeOlder(this.store, deps.proposals ?? repositoryOf(deps.store), sink, settings.council, planned.proposalId, asOf);
    }
    deps.fault?.('proposal');
    await this.record([{ type: 'RunCompleted', data: { runId, outcome: planned ? 'proposal' : 'no_orders' } }]);
    const { decision, proposal } = this.state;
    // While the decision waits for its click, the broker keeps ready what sending its orders will need.
    if (proposal) void deps.broker.anticipate?.(proposal.orders, new Date(proposal.expiresAt));
    await sink.publish({
      type: 'decision_ready',
      week: request.week,
      runId,
      decision: decision!.decision,
      chair: decision!.chair,
      identities: identities(this.state),
      proposal: proposal ? { id: proposal.proposalId, status: 'PENDING', expiresAt: proposal.expiresAt, targets: proposal.targets ?? [], orders: proposal.orders } : null,
      usage: totalUsage(this.state),
    });
  }
}
