/**
 * The council's application layer: `CouncilApp`, the one surface every channel (CLI, console, Slack,
 * Discord, scheduler, web) calls. The use cases live one capability per module (council.ts,
 * proposals.ts, checkpoints.ts, postmortem.ts, desk.ts, status.ts, queries.ts); this file only puts them behind
 * the interface. Built by src/compose.ts and nowhere else; its dependencies stay private to src/app.
 */
import type { AccountView } from '../brokers/port.ts';
import type { Config } from '../config/config.ts';
import type { ProposalState } from '../domain/proposal.ts';
import type { RecordedRun } from './council.ts';
import type { Logger } from '../logger.ts';
import type { TradingCalendar } from '../market/calendar.ts';
import type { MarketData } from '../market/port.ts';
import type { CheckpointResult } from '../pipeline/checkpoint.ts';
import { isHalted } from '../pipeline/execution.ts';
import type { AccountReconciliation, DailySummary, Notice, NoticeSink, OrderLine, PostmortemChart } from '../pipeline/notices.ts';
import type { Postmortem } from '../pipeline/postmortem.ts';
import type { WeekState } from '../pipeline/week.ts';
import { type Redactor, redactorFor } from '../redact.ts';
import type { Database, EventStore } from '../store/port.ts';
import type { Authoriser, Principal } from './authoriser.ts';
import * as checkpoints from './checkpoints.ts';
import type { CouncilClock } from './clock.ts';
import type { AppContext, AppDeps } from './context.ts';
import * as council from './council.ts';
import { type OrderUpdateWatch, type WatchOptions, watchOrderUpdates } from './order-updates.ts';
import * as desk from './desk.ts';
import * as postmortems from './postmortem.ts';
import * as proposals from './proposals.ts';
import * as queries from './queries.ts';
import { createStatusReadModel, type ScheduledRun, type StatusView } from './status.ts';

export type { ApproverAction, Authoriser, Principal } from './authoriser.ts';
export type { CouncilClock } from './clock.ts';
export type { AppDeps } from './context.ts';
export type { RunPlan, RunRequest, WeekSummary } from './council.ts';
export type { OrderUpdateWatch, WatchOptions } from './order-updates.ts';
export type { ApproveRequest, RefusedAction, RejectRequest } from './proposals.ts';
export type {
  CostRow,
  CostView,
  CostWindow,
  DeskExitRequest,
  DeskExitResult,
  DeskPosition,
  DeskWindow,
  HistoryView,
  HistoryWeek,
  LeaderboardRow,
  LeaderboardView,
  LeaderboardWindow,
  PauseRequest,
  PositionsView,
  ProfitView,
  TradingState,
  WindowFigures,
} from './desk.ts';
export { STATUS_TTL_MS, type ScheduledRun, type StatusView } from './status.ts';

/**
 * What adapters outside the application keep their own state in, or check: chat threads in the event
 * store, slot claims and seen requests in the database, and the parts `doctor` and readiness ask.
 * Not the use cases' dependencies: no broker, council or pipeline settings.
 */
export interface AdapterPorts {
  readonly store: EventStore;
  readonly database: Database;
  readonly market: MarketData;
  readonly calendar: TradingCalendar;
}

export interface CouncilApp {
  readonly config: Config;
  readonly councilId: string;
  readonly accounts: readonly string[];
  readonly logger: Logger;
  /** Every configured secret, by value: for logs, notices and every error text a user reads. */
  readonly redactor: Redactor;
  /** The live or replay time policy. */
  readonly clock: CouncilClock;
  /** Who may approve, reject, halt and resume; a channel extends it (extendAuthoriser) for its own rules. */
  readonly authoriser: Authoriser;
  readonly ports: AdapterPorts;

  /** Every notice goes out through this sink: redacted, then to each channel added with addSink. */
  readonly sink: NoticeSink;
  /** Adds a notice sink; a failing one is logged and never blocks the others. Returns its removal. */
  addSink(sink: NoticeSink): () => void;
  /** Names a chat channel as on (shown by status); returns its removal. */
  addChannel(name: string): () => void;
  /** Where status reads the next scheduled slots (the scheduler, or a view of it); returns the previous provider's restoration. */
  provideSchedule(nextRuns: () => Promise<ScheduledRun[]>): () => void;

  // The council (council.ts)
  defaultWeek(): Promise<string>;
  decisionTime(week: string): Date;
  runPlan(request: { week?: string }): Promise<council.RunPlan>;
  run(request: council.RunRequest): Promise<WeekState>;
  weekState(week: string): Promise<WeekState>;
  weekSummary(week: string, known?: WeekState): Promise<council.WeekSummary | undefined>;
  warm(): Promise<void>;

  // Proposals and the kill switch (proposals.ts)
  isApprover(principal: Principal): boolean;
  approve(req: proposals.ApproveRequest): Promise<{ state: ProposalState; orders: OrderLine[] }>;
  reject(req: proposals.RejectRequest): Promise<ProposalState>;
  reconcile(): Promise<AccountReconciliation[]>;
  resumeExecutions(): Promise<number>;
  refreshFills(proposalId: string): Promise<OrderLine[]>;
  halt(by: Principal, halted: boolean, authoriser?: Authoriser): Promise<number>;
  isHalted(): Promise<{ halted: boolean; by?: string; at?: string }>;
  refuseHalt(by: Principal, halted: boolean): Promise<void>;
  refuseRequest(r: { by: Principal; via: string; action: proposals.RefusedAction; proposalId?: string; reason: string }): Promise<void>;

  // The desk (desk.ts): reads from the postmortem's ledger, and the desk's actions
  positions(): Promise<desk.PositionsView>;
  profit(window: desk.DeskWindow): Promise<desk.ProfitView>;
  history(n: number): Promise<desk.HistoryView>;
  leaderboard(window: desk.LeaderboardWindow): Promise<desk.LeaderboardView>;
  /** The equity curves behind the leaderboard over the window: council, members, SPY. */
  equity(window: desk.LeaderboardWindow): Promise<desk.EquityView>;
  /** A week's postmortem, computed as `postmortem` computes it (through a given session), not published; null before any run. */
  weekPostmortem(week: string, through?: string): Promise<Postmortem | null>;
  cost(window: desk.CostWindow): Promise<desk.CostView>;
  /** Closes a position (or all of an account's, or every account's) now; approvers only, refusals recorded. */
  exit(req: desk.DeskExitRequest): Promise<desk.DeskExitResult>;
  /** Stops (paused: true) or lets again new entries; approvers only. Returns the switch as it stands after. */
  pause(req: desk.PauseRequest): Promise<{ paused: boolean; by?: string; at?: string }>;
  tradingState(): Promise<desk.TradingState>;
  /** The summary of the session `at` closes, published into the week's thread (the scheduler's daily slot). */
  dailySummary(at: Date): Promise<DailySummary>;

  // Checkpoints (checkpoints.ts)
  checkpoint(at?: Date): Promise<CheckpointResult>;
  scheduledCheckpoint(at: Date): Promise<CheckpointResult>;
  expireDue(at: Date): Promise<string[]>;

  // Pushed order updates (order-updates.ts): fills and triggered stops recorded and announced as they happen
  watchOrderUpdates(options?: WatchOptions): OrderUpdateWatch;

  // The postmortem (postmortem.ts)
  postmortem(opts: { week?: string; out?: string }): Promise<{ postmortem: Postmortem; charts: PostmortemChart[] }>;

  // Read models (status.ts, queries.ts)
  markTime(): Promise<Date>;
  status(): Promise<StatusView>;
  weeks(): Promise<council.WeekSummary[]>;
  proposal(proposalId: string): Promise<ProposalState>;
  book(account: string): Promise<AccountView>;

  close(): Promise<void>;
}

/**
 * The application over its dependencies, which are its own: code in src/ outside src/app holds a
 * `CouncilApp`; only the composition root knows what it built (compose.ts `partsOf`, for tests).
 */
export class App implements CouncilApp {
  private readonly deps: AppDeps;
  readonly redactor: Redactor;
  private readonly sinks: NoticeSink[] = [];
  private readonly channels: string[] = [];
  private nextRuns: () => Promise<ScheduledRun[]> = async () => [];
  private readonly ctx: AppContext;
  private readonly statusView: () => Promise<StatusView>;

  constructor(deps: AppDeps) {
    this.deps = deps;
    this.redactor = redactorFor(deps.config);
    this.ctx = { deps, sink: this.sink, redactor: this.redactor };
    this.statusView = createStatusReadModel(this.ctx, { chatChannels: () => [...this.channels], nextRuns: () => this.nextRuns() });
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

  addSink(sink: NoticeSink): () => void {
    this.sinks.push(sink);
    return () => {
      const i = this.sinks.indexOf(sink);
      if (i >= 0) this.sinks.splice(i, 1);
    };
  }

  addChannel(name: string): () => void {
    this.channels.push(name);
    return () => {
      const i = this.channels.indexOf(name);
      if (i >= 0) this.channels.splice(i, 1);
    };
  }

  provideSchedule(nextRuns: () => Promise<ScheduledRun[]>): () => void {
    const previous = this.nextRuns;
    this.nextRuns = nextRuns;
    return () => {
      this.nextRuns = previous;
    };
  }

  get config(): Config {
    return this.deps.config;
  }
  get councilId(): string {
    return this.deps.settings.council;
  }
  get accounts(): readonly string[] {
    return this.deps.config.accounts;
  }
  get logger(): Logger {
    return this.deps.logger;
  }
  get clock(): CouncilClock {
    return this.deps.clock;
  }
  get authoriser(): Authoriser {
    return this.deps.authoriser;
  }
  get ports(): AdapterPorts {
    const { store, db, market, calendar } = this.deps;
    return { store, database: db, market, calendar };
  }

  defaultWeek = () => this.deps.clock.defaultWeek();
  decisionTime = (week: string) => this.deps.clock.decisionTime(week);
  runPlan = (request: { week?: string }) => council.runPlan(this.ctx, request);
  run = (request: council.RunRequest) => council.run(this.ctx, request);
  weekState = (week: string) => council.weekState(this.ctx, week);
  weekSummary = (week: string, known?: WeekState) => council.weekSummary(this.ctx, week, known);
  warm = () => council.warm(this.ctx);
  /**
   * Convenes a recorded run again. Not on CouncilApp: only the composition root calls it, on an
   * application it composed in 'replay' mode over a fork of the store (src/compose.ts replayRun).
   */
  replay = (run: RecordedRun) => council.replay(this.ctx, run);

  isApprover = (principal: Principal) => this.deps.authoriser.mayApprove(principal, 'approve');
  approve = (req: proposals.ApproveRequest) => proposals.approve(this.ctx, req);
  reject = (req: proposals.RejectRequest) => proposals.reject(this.ctx, req);
  reconcile = () => proposals.reconcile(this.ctx);
  resumeExecutions = () => proposals.resumeExecutions(this.ctx);
  refreshFills = (proposalId: string) => proposals.refreshFills(this.ctx, proposalId);
  halt = (by: Principal, halted: boolean, authoriser?: Authoriser) => proposals.halt(this.ctx, by, halted, authoriser);
  isHalted = () => isHalted(this.deps.store, this.deps.settings.council);
  refuseHalt = (by: Principal, halted: boolean) => proposals.refuseHalt(this.ctx, by, halted);
  refuseRequest = (r: Parameters<typeof proposals.refuseRequest>[1]) => proposals.refuseRequest(this.ctx, r);

  positions = () => desk.positions(this.ctx);
  profit = (window: desk.DeskWindow) => desk.profit(this.ctx, window);
  history = (n: number) => desk.history(this.ctx, n);
  leaderboard = (window: desk.LeaderboardWindow) => desk.leaderboard(this.ctx, window);
  equity = (window: desk.LeaderboardWindow) => desk.equity(this.ctx, window);
  weekPostmortem = (week: string, through?: string) => desk.weekPostmortem(this.ctx, week, through);
  cost = (window: desk.CostWindow) => desk.cost(this.ctx, window);
  exit = (req: desk.DeskExitRequest) => desk.exit(this.ctx, req);
  pause = (req: desk.PauseRequest) => desk.pause(this.ctx, req);
  tradingState = () => desk.tradingState(this.ctx);
  dailySummary = (at: Date) => desk.dailySummary(this.ctx, at);

  checkpoint = (at?: Date) => checkpoints.checkpointAt(this.ctx, at);
  scheduledCheckpoint = (at: Date) => checkpoints.scheduledCheckpoint(this.ctx, at);
  expireDue = (at: Date) => checkpoints.expireDue(this.ctx, at);

  watchOrderUpdates = (options?: WatchOptions) => watchOrderUpdates(this.ctx, options);

  postmortem = (opts: { week?: string; out?: string }) => postmortems.postmortem(this.ctx, opts);

  markTime = () => this.deps.clock.markTime();
  status = () => this.statusView();
  weeks = () => queries.weeks(this.ctx);
  proposal = (proposalId: string) => queries.proposal(this.ctx, proposalId);
  book = (account: string) => queries.book(this.ctx, account);

  async close(): Promise<void> {
    this.deps.broker.close?.();
    await this.deps.db.close();
  }
}
