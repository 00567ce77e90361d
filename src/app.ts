/**
 * The council's use cases, the one surface every channel (CLI, console, Slack, Discord, scheduler)
 * calls. Built by main.ts from config; tests build it with an in-memory database and fakes.
 */
import { randomUUID } from 'node:crypto';
import type { Broker, AccountView, BrokerKind } from './brokers/port.ts';
import { brokerSummary } from './brokers/summary.ts';
import type { Config } from './config/config.ts';
import { ProposalError, type ProposalState } from './domain/proposal.ts';
import { cleanQuestion } from './domain/question.ts';
import type { Logger } from './logger.ts';
import { type Redactor, redactorFor, userErrorLine, userErrorText } from './redact.ts';
import type { TradingCalendar } from './market/calendar.ts';
import type { NewsSource } from './market/news.ts';
import type { MarketData } from './market/port.ts';
import { mondayOf, nyDate, nyDateTime, nyTime, addDays } from './market/time.ts';
import {
  approveProposal,
  controlRefusalStream,
  executeProposal,
  isHalted,
  loadProposal,
  loadProposals,
  loadRefusals,
  memoByIdentity,
  recordRefusal,
  rejectProposal,
  setHalted,
  syncFills,
} from './pipeline/execution.ts';
import type { AccountReconciliation, Notice, NoticeSink, OrderLine } from './pipeline/notices.ts';
import { reconcileAccounts } from './pipeline/reconcile.ts';
import { runCouncil, totalUsage, type PipelineSettings } from './pipeline/run.ts';
import type { Council, Usage } from './pipeline/seats.ts';
import { foldWeek, type WeekState, weekStream } from './pipeline/week.ts';
import { type Database, DatabaseUnavailableError, type EventStore } from './store/port.ts';
import { OUTAGE_RETRY } from './store/retry.ts';
import { appendCount } from './store/tracked.ts';

export interface AppDeps {
  config: Config;
  db: Database;
  store: EventStore;
  market: MarketData;
  /** The research's news (Alpaca's with keys); absent, the research pack says no news source is configured. */
  news?: NewsSource;
  calendar: TradingCalendar;
  broker: Broker;
  council: Council;
  logger: Logger;
  /** The wall clock; injected so tests never read the real one. */
  clock: () => Date;
  /** true when market data is a replay (CSV): council time is simulated from the week, not the wall clock. */
  simulatedTime: boolean;
  fault?: (point: string) => void;
}

/** A scheduled slot for `status`, with the last finished run of its job (src/scheduler). */
export interface ScheduledRun {
  job: string;
  at: string;
  lastRun?: { slot: string; outcome: string | null; claimedBy: string; attempts: number; completedAt: string | null; error: string | null } | null;
}

/** How long a status view stands while nothing is appended: broker marks and the schedule move on their own. */
export const STATUS_TTL_MS = 15_000;

/** The view and what it was built from; `building` while its build runs, shared by whoever asks meanwhile. */
type StatusCache = { key: string; builtAt: number; view?: StatusView; building?: Promise<StatusView> };

/** A URL as shown to users: scheme, host and path, never a user, password or query string. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(an invalid URL)';
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** A principal like "slack:U0123", "discord:4567" or "cli:alice". */
export type Principal = string;

/** The chat actions that change state, refused by a channel's own checks (see App.refuseRequest). */
export type RefusedAction = 'run' | 'halt' | 'resume' | 'approve' | 'reject';

/** What a run request would do (App.runPlan). */
export type RunPlan = { kind: 'new' | 'resume' | 'done'; week: string; state: WeekState };

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

export interface StatusView {
  mode: {
    database: string;
    market: string;
    llm: string;
    chat: string[];
    brokers: Record<string, BrokerKind>;
    time: 'simulated' | 'live';
    /** Which accounts are on Alpaca, which simulated, and the data and clock they share; `warning` when mixed. */
    brokerSetup: { summary: string; warning: string | null };
  };
  halted: { halted: boolean; by?: string; at?: string };
  seats: { id: string; model: string; kind: string; account: string }[];
  chairman: { models: string[]; account: string };
  accounts: (AccountView & { error?: string })[];
  /** `refusals`: attempts by people who may not act, recorded apart (refusals:<proposalId>). */
  pending: { proposalId: string; week: string; expiresAt: string; orders: { account: string; symbol: string; side: string; qty: number }[]; refusals: number }[];
  lastRun: { week: string; runId: string; outcome: string; proposalId: string | null } | null;
  nextRuns: ScheduledRun[];
  usage: { lastRun: Usage | null };
  asOf: string;
}

/** The latest approval instant and the latest simulated fill session over every proposal (memoized per listing). */
const latestActs = memoByIdentity((proposals: readonly ProposalState[]) => {
  let approvedAt = 0;
  let fillSession: string | null = null;
  for (const p of proposals) {
    if (p.approvedBy) approvedAt = Math.max(approvedAt, Date.parse(p.approvedBy.at));
    for (const [clientOrderId, f] of Object.entries(p.fills)) {
      // Only the simulated broker fills on the replay's clock; a real broker (an Alpaca account beside
      // replay data) fills at the wall clock, which says nothing about where the replay stands.
      if (p.submitted[clientOrderId] && p.submitted[clientOrderId].broker !== 'simulated') continue;
      // Simulated fills carry a New York wall time; brokers send ISO instants.
      const session = /(Z|[+-]\d\d:\d\d)$/.test(f.filledAt) ? nyDate(new Date(f.filledAt)) : f.filledAt.slice(0, 10);
      if (fillSession === null || session > fillSession) fillSession = session;
    }
  }
  return { approvedAt, fillSession };
});

export class App {
  readonly deps: AppDeps;
  private readonly sinks: NoticeSink[] = [];
  private readonly settings: PipelineSettings;
  /** Extra status providers (the scheduler adds its next slots). */
  nextRuns: () => Promise<ScheduledRun[]> = async () => [];
  chatChannels: string[] = [];
  /** Every configured secret, by value: for logs, notices and every error text a user reads. */
  readonly redactor: Redactor;

  constructor(deps: AppDeps) {
    this.deps = deps;
    this.redactor = redactorFor(deps.config);
    const f = deps.config.file;
    this.settings = {
      council: f.council,
      universe: f.universe,
      risk: f.risk,
      seatAccounts: Object.fromEntries(f.seats.map((s) => [s.id, s.account])),
      chairAccount: f.chairman.account,
      quorum: Math.min(3, f.seats.length),
    };
  }

  /** Adds a channel; a failing channel is logged and never blocks the others. */
  addSink(sink: NoticeSink): () => void {
    this.sinks.push(sink);
    return () => {
      const i = this.sinks.indexOf(sink);
      if (i >= 0) this.sinks.splice(i, 1);
    };
  }

  readonly sink: NoticeSink = {
    publish: async (notice: Notice) => {
      // Notices carry upstream text (a seat's error, a broker's refusal): no secret goes out in one.
      const safe = this.redactor.value(notice);
      await Promise.all(
        this.sinks.map(async (s) => {
          try {
            await s.publish(safe);
          } catch (error) {
            this.deps.logger.warn({ err: error, notice: notice.type }, 'a channel failed to render a notice');
          }
        }),
      );
    },
  };

  get councilId(): string {
    return this.settings.council;
  }

  get accounts(): string[] {
    return this.deps.config.accounts;
  }

  private execDeps() {
    return {
      store: this.deps.store,
      broker: this.deps.broker,
      sink: this.sink,
      council: this.settings.council,
      fault: this.deps.fault,
      sizing: { universe: this.settings.universe, risk: this.settings.risk },
    };
  }

  /** The week a bare `run` means: the current week live, the latest complete week of the replay data offline. */
  async defaultWeek(): Promise<string> {
    const now = this.deps.clock();
    if (!this.deps.simulatedTime) return mondayOf(nyDate(now));
    const [last] = await this.deps.market.bars({ symbol: this.settings.universe[0] ?? 'SPY', asOf: now, limit: 1 });
    if (!last) throw new ProposalError('NOT_FOUND', 'the market data holds no bars');
    const monday = mondayOf(last.date);
    const weekDays = this.deps.calendar.tradingDays(monday, addDays(monday, 4));
    const complete = weekDays.length > 0 && weekDays[weekDays.length - 1]! <= last.date;
    return complete ? monday : addDays(monday, -7);
  }

  /** The decision time of a week's council: Monday 08:00 New York (or now, for the current live week). */
  decisionTime(week: string): Date {
    const monday = nyDateTime(week, '08:00');
    const now = this.deps.clock();
    if (this.deps.simulatedTime) return monday;
    if (monday.getTime() > now.getTime() + 7 * 86_400_000) throw new ProposalError('NOT_FOUND', `week ${week} is in the future`);
    return monday.getTime() > now.getTime() ? now : mondayOf(nyDate(now)) === week ? now : monday;
  }

  /**
   * What a run request for a week would do, before anything is started: answer with the week already run
   * (`done`, whatever the guards say: it is an answer, not a run), continue an interrupted one (`resume`) or
   * convene it (`new`). Refused, as a user error: a week after the current one (live: the New York week of
   * now; on replay data: a week whose previous week the data holds no session of) and any run while trading is halted.
   */
  async runPlan(request: { week?: string }): Promise<RunPlan> {
    const week = request.week ? mondayOf(request.week) : await this.defaultWeek();
    const state = await this.weekState(week);
    if (state.completed) return { kind: 'done', week, state };
    if (this.deps.simulatedTime) {
      const range = await this.dataRange();
      if (week < addDays(mondayOf(range.first), 7)) throw new ProposalError('NOT_FOUND', `week ${week} is before the market data: ${this.rangeText(range)}`);
    }
    if (await this.isFutureWeek(week))
      throw new ProposalError(
        'NOT_FOUND',
        `week ${week} is in the future: the council runs the current week or a past one${this.deps.simulatedTime ? `; ${this.rangeText(await this.dataRange())}` : ''}`,
      );
    const halt = await isHalted(this.deps.store, this.settings.council);
    if (halt.halted)
      throw new ProposalError(
        'HALTED',
        `trading is halted (by ${halt.by ?? 'an approver'} at ${halt.at ?? 'an unknown time'}): no council runs until an approver resumes (/council resume)`,
      );
    return { kind: state.started ? 'resume' : 'new', week, state };
  }

  private range: { first: string; last: string } | undefined;

  /** Replay data: its first and last session (of the universe's first symbol). */
  async dataRange(): Promise<{ first: string; last: string }> {
    if (this.range) return this.range;
    const symbol = this.settings.universe[0] ?? 'SPY';
    const bars = await this.deps.market.bars({ symbol, asOf: this.deps.clock() });
    const first = bars[0]?.date;
    const last = bars[bars.length - 1]?.date;
    if (!first || !last) throw new ProposalError('NOT_FOUND', 'the market data holds no bars');
    this.range = { first, last };
    return this.range;
  }

  /** The range a replay can act on, in words, for every refusal of a week or time outside it. */
  rangeText(range: { first: string; last: string }): string {
    return `the market data holds the sessions from ${range.first} to ${range.last}, so council weeks from ${addDays(mondayOf(range.first), 7)} to ${addDays(mondayOf(range.last), 7)}, postmortems and checkpoints from ${range.first} to ${range.last}`;
  }

  /** Refuses a week outside the replay data (postmortems), with the range that exists; live, any week up to now. */
  async assertWeekInData(week: string): Promise<void> {
    if (!this.deps.simulatedTime) {
      if (week > mondayOf(nyDate(this.deps.clock()))) throw new ProposalError('NOT_FOUND', `week ${week} is in the future`);
      return;
    }
    const range = await this.dataRange();
    if (week < mondayOf(range.first) || week > mondayOf(range.last)) throw new ProposalError('NOT_FOUND', `week ${week} is outside the market data: ${this.rangeText(range)}`);
  }

  /** Refuses a checkpoint time outside the replay data, with the range that exists. */
  async assertTimeInData(at: Date): Promise<void> {
    if (!this.deps.simulatedTime) return;
    const range = await this.dataRange();
    const day = nyDate(at);
    if (day < range.first || day > range.last) throw new ProposalError('NOT_FOUND', `${day} ${nyTime(at)} is outside the market data: ${this.rangeText(range)}`);
  }

  /**
   * On replay data, the council's clock: the latest instant anything was acted on (an approval or a
   * checkpoint evaluation), and the latest session anything filled at. Simulated time only moves forward
   * from it: an earlier week can be convened and read, not executed (see approve), and a checkpoint
   * with no time runs at the clock's next slot.
   */
  async replayClock(): Promise<{ at: Date | null; fillSession: string | null }> {
    const proposals = await loadProposals(this.deps.store);
    const { approvedAt, fillSession } = latestActs(proposals);
    const weeks = await this.deps.store.streams(`checkpoint:${this.settings.council}:`);
    const lastWeek = weeks
      .map((w) => w.stream)
      .sort()
      .pop();
    let checkpointAt = 0;
    if (lastWeek)
      for (const e of await this.deps.store.read(lastWeek)) if (e.type === 'CheckpointEvaluated') checkpointAt = Math.max(checkpointAt, Date.parse((e.data as { at: string }).at));
    const at = Math.max(approvedAt, checkpointAt);
    return { at: at > 0 ? new Date(at) : null, fillSession };
  }

  /**
   * When a pending proposal is approved on replay data: at its decision (asOf + 1 minute) or, once the
   * council's clock has passed that, at the clock (+ 1 minute), so time never runs backwards. Refused,
   * with the reason, when the clock has passed the proposal's last moment to be approved, or when its
   * orders would fill at an open before fills already made.
   */
  private async replayApproval(proposal: ProposalState, times: { now: Date; settleAt: Date }): Promise<{ now: Date; settleAt: Date } | { refusal: string }> {
    const clock = await this.replayClock();
    const when = (d: Date) => `${nyDate(d)} ${nyTime(d)} ET`;
    let { now, settleAt } = times;
    if (clock.at && clock.at.getTime() >= now.getTime()) {
      const moved = new Date(clock.at.getTime() + 60_000);
      if (moved.getTime() >= Date.parse(proposal.expiresAt))
        return {
          refusal: `the council's clock is at ${when(clock.at)} (the latest approval or checkpoint on this replay), after this proposal's last moment to be approved (${when(new Date(proposal.expiresAt))})`,
        };
      now = moved;
      const day = nyDate(now);
      const session = this.deps.calendar.isTradingDay(day) && nyTime(now) < this.deps.calendar.sessionClose(day) ? day : this.deps.calendar.nextTradingDay(day);
      settleAt = nyDateTime(session, this.deps.calendar.sessionClose(session));
    }
    const today = nyDate(now);
    const fills = this.deps.calendar.isTradingDay(today) && nyTime(now) < '09:30' ? today : this.deps.calendar.nextTradingDay(today);
    if (clock.fillSession && fills < clock.fillSession)
      return { refusal: `its orders would fill at the ${fills} open, before fills already made at the ${clock.fillSession} open` };
    return { now, settleAt };
  }

  private async isFutureWeek(week: string): Promise<boolean> {
    if (!this.deps.simulatedTime) return week > mondayOf(nyDate(this.deps.clock()));
    // Replay data: the data must reach the week before (a council decides on the bars up to its Monday).
    const [last] = await this.deps.market.bars({ symbol: this.settings.universe[0] ?? 'SPY', asOf: nyDateTime(week, '08:00'), limit: 1 });
    return !last || last.date < addDays(week, -7);
  }

  /**
   * Convenes the council for a week (see runPlan for what is refused). `query` is the desk's question:
   * cleaned here once (domain/question.ts) and recorded on the run with who asked and through which channel.
   * A week already run returns its state unchanged.
   */
  async run(request: { week?: string; query?: string; by?: Principal; via?: string }): Promise<WeekState> {
    const plan = await this.runPlan(request);
    if (plan.kind === 'done') return plan.state;
    const { week } = plan;
    const deps = {
      store: this.deps.store,
      market: this.deps.market,
      news: this.deps.news,
      calendar: this.deps.calendar,
      broker: this.deps.broker,
      council: this.deps.council,
      sink: this.sink,
      settings: this.settings,
      newId: () => randomUUID(),
      fault: this.deps.fault,
      outageRetry: {
        ...OUTAGE_RETRY,
        onRetry: ({ error, attempt, delayMs }: { error: Error; attempt: number; delayMs: number }) =>
          this.deps.logger.warn({ err: error, week, attempt, delayMs }, 'council run: database unavailable, waiting to retry'),
      },
    };
    try {
      return await runCouncil(deps, { week, query: cleanQuestion(request.query), asOf: this.decisionTime(week), requestedBy: request.by, via: request.via });
    } catch (error) {
      const state = foldWeek(await this.deps.store.read(weekStream(this.settings.council, week)).catch(() => []));
      // A user-facing error shows its message; anything else (an upstream's text above all) only its class and an id.
      const text = userErrorText(error, { logger: this.deps.logger, redact: this.redactor }, `council run ${week}`);
      const errorId = text.kind === 'internal' ? text.errorId : randomUUID().slice(0, 8);
      if (text.kind === 'user') this.deps.logger.error({ err: this.redactor.value(error), errorId, week }, 'council run failed');
      await this.sink.publish({ type: 'run_failed', week, runId: state.started?.runId ?? null, errorId, message: text.kind === 'user' ? text.message : text.summary });
      throw error;
    }
  }

  /** A week's run as every channel answers "already run": who asked, the decision, and the proposal's real status now. */
  async weekSummary(week: string, known?: WeekState): Promise<WeekSummary | undefined> {
    const state = known ?? (await this.weekState(week));
    const s = state.started;
    if (!s) return undefined;
    const created = state.proposal;
    const proposal = created ? await loadProposal(this.deps.store, created.proposalId) : undefined;
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
  async warm(): Promise<void> {
    const asOf = this.deps.clock();
    await Promise.all([...this.settings.universe, 'VIX'].map((symbol) => this.deps.market.bars({ symbol, asOf, limit: 1 }).catch(() => [])));
    // Proposals still waiting for their click: the broker keeps ready what sending them will need.
    for (const state of await loadProposals(this.deps.store)) if (state.status === 'PENDING') void this.deps.broker.anticipate?.(state.orders, new Date(state.expiresAt));
  }

  async weekState(week: string): Promise<WeekState> {
    return foldWeek(await this.deps.store.read(weekStream(this.settings.council, week)));
  }

  /**
   * When an action on a proposal happens: the wall clock live; in a replay just after the decision, or
   * at its approval once approved (see replayApproval: an approval may come later than the decision).
   */
  private actionTimes(proposal: ProposalState): { now: Date; settleAt: Date } {
    if (!this.deps.simulatedTime) {
      const now = this.deps.clock();
      return { now, settleAt: now };
    }
    const now = new Date(proposal.approvedBy ? Date.parse(proposal.approvedBy.at) : Date.parse(proposal.asOf) + 60_000);
    // A replay advances to the first session's close, so the simulated broker can fill at its open.
    const session = this.deps.calendar.isTradingDay(nyDate(now)) ? nyDate(now) : this.deps.calendar.nextTradingDay(nyDate(now));
    return { now, settleAt: nyDateTime(session, this.deps.calendar.sessionClose(session)) };
  }

  isApprover(principal: Principal): boolean {
    return principal.startsWith('cli:') || this.deps.config.approvers.includes(principal);
  }

  /**
   * `onRecorded` is called once the approval is recorded, before the orders go out: a chat channel
   * acknowledges the click then, so an acknowledged click is never lost to a crash.
   */
  async approve(req: { proposalId: string; by: Principal; via: string; authorised?: boolean; onRecorded?: () => void }): Promise<{
    state: ProposalState;
    orders: OrderLine[];
  }> {
    const proposal = await loadProposal(this.deps.store, req.proposalId);
    if (!proposal.exists) throw new ProposalError('NOT_FOUND', `no proposal ${req.proposalId}`);
    let { now, settleAt } = this.actionTimes(proposal);
    if (!(req.authorised ?? this.isApprover(req.by))) {
      await recordRefusal(this.deps.store, req.proposalId, { by: req.by, via: req.via, action: 'approve', reason: 'not an approver', now: this.deps.clock() });
      await this.sink.publish({ type: 'approval_refused', proposalId: req.proposalId, by: req.by, reason: 'not an approver' });
      throw new ProposalError('UNAUTHORISED', `${req.by} may not approve proposals; ask someone in COUNCIL_APPROVERS`);
    }
    if (this.deps.simulatedTime && proposal.status === 'PENDING') {
      const timed = await this.replayApproval(proposal, { now, settleAt });
      if ('refusal' in timed) {
        const reason = `simulated time only moves forward: ${timed.refusal}. The proposal can be read, not executed. Nothing was placed.`;
        await recordRefusal(this.deps.store, req.proposalId, { by: req.by, via: req.via, action: 'approve', reason, now: this.deps.clock() });
        await this.sink.publish({ type: 'approval_refused', proposalId: req.proposalId, by: req.by, reason });
        throw new ProposalError('STALE', `proposal ${req.proposalId} was not approved: ${reason}`);
      }
      ({ now, settleAt } = timed);
    }
    const { onRecorded } = req;
    // The proposal_approved notice follows the approval's append: it is the moment the click is recorded.
    const sink: NoticeSink = onRecorded
      ? {
          publish: async (notice) => {
            if (notice.type === 'proposal_approved' && notice.proposalId === req.proposalId) onRecorded();
            await this.sink.publish(notice);
          },
        }
      : this.sink;
    return approveProposal({ ...this.execDeps(), sink }, { proposalId: req.proposalId, by: req.by, via: req.via, now, settleAt });
  }

  async reject(req: { proposalId: string; by: Principal; via: string; reason: string | null; authorised?: boolean }): Promise<ProposalState> {
    const proposal = await loadProposal(this.deps.store, req.proposalId);
    if (!proposal.exists) throw new ProposalError('NOT_FOUND', `no proposal ${req.proposalId}`);
    if (!(req.authorised ?? this.isApprover(req.by))) {
      await recordRefusal(this.deps.store, req.proposalId, { by: req.by, via: req.via, action: 'reject', reason: 'not an approver', now: this.deps.clock() });
      throw new ProposalError('UNAUTHORISED', `${req.by} may not reject proposals; ask someone in COUNCIL_APPROVERS`);
    }
    return rejectProposal(this.execDeps(), { ...req, now: this.actionTimes(proposal).now });
  }

  /** Compares the real brokers' accounts with the event store; any difference is recorded and shown. */
  async reconcile(): Promise<AccountReconciliation[]> {
    const now = this.deps.clock();
    const accounts = await reconcileAccounts({ store: this.deps.store, broker: this.deps.broker, accounts: this.accounts, council: this.settings.council, now });
    if (accounts.length) await this.sink.publish({ type: 'reconciliation_report', at: now.toISOString(), accounts });
    return accounts;
  }

  /** Places whatever an approved proposal has not placed yet (after a crash), and records new fills. */
  async resumeExecutions(): Promise<number> {
    await this.reconcile();
    let resumed = 0;
    for (const state of await loadProposals(this.deps.store)) {
      if (state.status === 'APPROVED') {
        const { now, settleAt } = this.actionTimes(state);
        await executeProposal(this.execDeps(), state.proposalId, now, settleAt);
        resumed++;
      }
    }
    return resumed;
  }

  async refreshFills(proposalId: string): Promise<OrderLine[]> {
    const state = await loadProposal(this.deps.store, proposalId);
    return syncFills(this.execDeps(), proposalId, this.actionTimes(state).settleAt);
  }

  /** `authorised` lets a channel vouch for a principal by its own rules (a Discord approver role). */
  async halt(by: Principal, halted: boolean, opts: { authorised?: boolean } = {}): Promise<number> {
    if (!(opts.authorised ?? this.isApprover(by))) {
      await this.refuseHalt(by, halted);
      throw new ProposalError('UNAUTHORISED', `${by} may not ${halted ? 'halt' : 'resume'} trading`);
    }
    return setHalted({ ...this.execDeps(), accounts: this.accounts }, halted, by, this.deps.clock());
  }

  /** Records a refused halt or resume (HaltRefused, in `refusals:control:<council>`), as a refused approval is: who tried the kill switch is audit. */
  async refuseHalt(by: Principal, halted: boolean): Promise<void> {
    const refusal = { by, at: this.deps.clock().toISOString(), action: halted ? 'halt' : 'resume', reason: 'not an approver' };
    // A stream of its own, appended at its head: a crowd of strangers never holds up the approvers' halt.
    await this.deps.store.appendAtHead(controlRefusalStream(this.settings.council), [{ type: 'HaltRefused', data: refusal }]);
  }

  /**
   * Records a chat request a channel refused before any use case ran (another workspace or guild, a
   * channel other than the council's, a replayed request), where refusals of that action are kept.
   */
  async refuseRequest(r: { by: Principal; via: string; action: RefusedAction; proposalId?: string; reason: string }): Promise<void> {
    const now = this.deps.clock();
    if ((r.action === 'approve' || r.action === 'reject') && r.proposalId) {
      await recordRefusal(this.deps.store, r.proposalId, { by: r.by, via: r.via, action: r.action, reason: r.reason, now });
      return;
    }
    const data = { by: r.by, at: now.toISOString(), via: r.via, action: r.action, reason: r.reason };
    const type = r.action === 'halt' || r.action === 'resume' ? 'HaltRefused' : 'RequestRefused';
    await this.deps.store.appendAtHead(controlRefusalStream(this.settings.council), [{ type, data }]);
  }

  /** The instant account values are marked at: now live, the last published bar in a replay. */
  async markTime(): Promise<Date> {
    const now = this.deps.clock();
    if (!this.deps.simulatedTime) return now;
    const [last] = await this.deps.market.bars({ symbol: this.settings.universe[0] ?? 'SPY', asOf: now, limit: 1 });
    return last ? nyDateTime(last.date, '16:00') : now;
  }

  /**
   * The status read model: built once, then answered from memory (a flood of `/council status` costs
   * next to nothing) until something is appended through this process's store, the database's head
   * moves (PostgreSQL, where other processes write), or STATUS_TTL_MS pass (broker marks and the
   * schedule move without events). A caller's own change is an append, so it always shows at once.
   * Concurrent callers share one build.
   */
  async status(): Promise<StatusView> {
    const key = await this.statusKey();
    const now = this.deps.clock().getTime();
    const cached = this.statusCache;
    if (key !== undefined && cached?.key === key) {
      if (cached.building) return cached.building;
      if (cached.view && now - cached.builtAt < STATUS_TTL_MS) return cached.view;
    }
    // A copy, frozen: callers share it, and it must not freeze what it was built from (the broker's own objects).
    const building = this.buildStatus().then((view) => deepFreeze(structuredClone(this.redactor.value(view))));
    if (key === undefined) return building;
    const entry: StatusCache = { key, builtAt: now, building };
    this.statusCache = entry;
    try {
      entry.view = await building;
      return entry.view;
    } catch (error) {
      if (this.statusCache === entry) this.statusCache = undefined;
      throw error;
    } finally {
      entry.building = undefined;
    }
  }

  private statusCache: StatusCache | undefined;

  /** What the status view was built from: appends through this store, and on PostgreSQL the log's head. */
  private async statusKey(): Promise<string | undefined> {
    const appends = appendCount(this.deps.store);
    if (appends === undefined) return undefined;
    if (this.deps.db.kind !== 'postgres') return String(appends);
    const [head] = await this.deps.db.query<{ head: string }>('select coalesce(max(global_position), 0)::text as head from events');
    return `${appends}:${head?.head ?? '0'}`;
  }

  private async buildStatus(): Promise<StatusView> {
    const { config, broker, store } = this.deps;
    const asOf = await this.markTime();
    const accounts = await Promise.all(
      this.accounts.map(async (account) => {
        try {
          return await broker.account(account, asOf);
        } catch (error) {
          // Without the database no part of the status is true; say that, not six account errors.
          if (error instanceof DatabaseUnavailableError) throw error;
          // An upstream's answer may echo what it was sent (keys included): the user sees its class and an id.
          const text = userErrorText(error, { logger: this.deps.logger, redact: this.redactor }, `status: account ${account}`);
          return { account, broker: broker.kindOf(account), equity: 0, cash: 0, buyingPower: 0, positions: [], openOrders: [], error: userErrorLine(text) };
        }
      }),
    );
    const pending: StatusView['pending'] = [];
    for (const state of await loadProposals(store)) {
      if (state.status === 'PENDING')
        pending.push({
          proposalId: state.proposalId,
          week: state.week,
          expiresAt: state.expiresAt,
          orders: state.orders.map(({ account, symbol, side, qty }) => ({ account, symbol, side, qty })),
          refusals: (await loadRefusals(store, state.proposalId)).length,
        });
    }
    const weeks = await store.streams(`week:${this.settings.council}:`);
    const lastWeek = weeks
      .map((w) => w.stream)
      .sort()
      .pop();
    const last = lastWeek ? foldWeek(await store.read(lastWeek)) : undefined;
    return {
      mode: {
        database: this.deps.db.kind === 'postgres' ? 'postgres' : `pglite (${config.dataDir})`,
        market: this.deps.market.source,
        llm: config.llm ? `router ${withoutCredentials(config.llm.baseUrl)}` : 'builtin systematic seats (no LLM_API_KEY)',
        chat: this.chatChannels,
        brokers: Object.fromEntries(this.accounts.map((a) => [a, broker.kindOf(a)])),
        time: this.deps.simulatedTime ? 'simulated' : 'live',
        brokerSetup: (({ text, fix }) => ({ summary: text, warning: fix ?? null }))(brokerSummary(config)),
      },
      halted: await isHalted(store, this.settings.council),
      seats: this.deps.council.seats.map((s) => ({ id: s.id, model: s.model, kind: s.kind, account: this.settings.seatAccounts[s.id] ?? s.id })),
      chairman: { models: this.deps.council.chairs.map((c) => c.model), account: this.settings.chairAccount },
      accounts,
      pending,
      lastRun: last?.started
        ? { week: last.started.week, runId: last.started.runId, outcome: last.completed?.outcome ?? 'in progress', proposalId: last.proposal?.proposalId ?? null }
        : null,
      nextRuns: await this.nextRuns(),
      usage: { lastRun: last ? totalUsage(last) : null },
      asOf: asOf.toISOString(),
    };
  }

  async close(): Promise<void> {
    this.deps.broker.close?.();
    await this.deps.db.close();
  }
}
