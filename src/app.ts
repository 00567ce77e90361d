/**
 * The council's use cases, the one surface every channel (CLI, console, Slack, Discord, scheduler)
 * calls. Built by main.ts from config; tests build it with an in-memory database and fakes.
 */
import { randomUUID } from 'node:crypto';
import type { Broker, AccountView } from './brokers/port.ts';
import type { Config } from './config/config.ts';
import { ProposalError, type ProposalState } from './domain/proposal.ts';
import type { Logger } from './logger.ts';
import type { TradingCalendar } from './market/calendar.ts';
import type { NewsSource } from './market/news.ts';
import type { MarketData } from './market/port.ts';
import { mondayOf, nyDate, nyDateTime, addDays } from './market/time.ts';
import {
  approveProposal,
  controlStream,
  executeProposal,
  isHalted,
  loadProposal,
  loadProposals,
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
import { appendDecided } from './store/append.ts';
import { type Database, DatabaseUnavailableError, type EventStore } from './store/port.ts';
import { OUTAGE_RETRY } from './store/retry.ts';

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

/** A principal like "slack:U0123", "discord:4567" or "cli:alice". */
export type Principal = string;

export interface StatusView {
  mode: { database: string; market: string; llm: string; chat: string[]; brokers: Record<string, 'simulated' | 'alpaca'>; time: 'simulated' | 'live' };
  halted: { halted: boolean; by?: string; at?: string };
  seats: { id: string; model: string; kind: string; account: string }[];
  chairman: { models: string[]; account: string };
  accounts: (AccountView & { error?: string })[];
  pending: { proposalId: string; week: string; expiresAt: string; orders: { account: string; symbol: string; side: string; qty: number }[] }[];
  lastRun: { week: string; runId: string; outcome: string; proposalId: string | null } | null;
  nextRuns: ScheduledRun[];
  usage: { lastRun: Usage | null };
  asOf: string;
}

export class App {
  private readonly sinks: NoticeSink[] = [];
  private readonly settings: PipelineSettings;
  /** Extra status providers (the scheduler adds its next slots). */
  nextRuns: () => Promise<ScheduledRun[]> = async () => [];
  chatChannels: string[] = [];

  constructor(readonly deps: AppDeps) {
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
      await Promise.all(
        this.sinks.map(async (s) => {
          try {
            await s.publish(notice);
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
    return { store: this.deps.store, broker: this.deps.broker, sink: this.sink, council: this.settings.council, fault: this.deps.fault };
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

  async run(request: { week?: string; query?: string }): Promise<WeekState> {
    const week = request.week ? mondayOf(request.week) : await this.defaultWeek();
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
      return await runCouncil(deps, { week, query: request.query, asOf: this.decisionTime(week) });
    } catch (error) {
      const errorId = randomUUID().slice(0, 8);
      const state = foldWeek(await this.deps.store.read(weekStream(this.settings.council, week)).catch(() => []));
      this.deps.logger.error({ err: error, errorId, week }, 'council run failed');
      await this.sink.publish({ type: 'run_failed', week, runId: state.started?.runId ?? null, errorId, message: (error as Error).message });
      throw error;
    }
  }

  /**
   * Loads what the first council would otherwise load mid-run (every symbol's history), so a server
   * answers chat at full speed from its first minute. A replay's CSVs parse synchronously.
   */
  async warm(): Promise<void> {
    const asOf = this.deps.clock();
    await Promise.all([...this.settings.universe, 'VIX'].map((symbol) => this.deps.market.bars({ symbol, asOf, limit: 1 }).catch(() => [])));
    // Proposals still waiting for their click: the broker keeps ready what sending them will need.
    for (const state of await loadProposals(this.deps.store))
      if (state.status === 'PENDING') void this.deps.broker.anticipate?.(state.orders, new Date(state.expiresAt));
  }

  async weekState(week: string): Promise<WeekState> {
    return foldWeek(await this.deps.store.read(weekStream(this.settings.council, week)));
  }

  /** When an action on a proposal happens: the wall clock live, just after the decision in a replay. */
  private actionTimes(proposal: ProposalState): { now: Date; settleAt: Date } {
    if (!this.deps.simulatedTime) {
      const now = this.deps.clock();
      return { now, settleAt: now };
    }
    const now = new Date(Date.parse(proposal.asOf) + 60_000);
    // A replay advances to the first session's close, so the simulated broker can fill at its open.
    const session = this.deps.calendar.isTradingDay(nyDate(now)) ? nyDate(now) : this.deps.calendar.nextTradingDay(nyDate(now));
    return { now, settleAt: nyDateTime(session, this.deps.calendar.sessionClose(session)) };
  }

  isApprover(principal: Principal): boolean {
    return principal.startsWith('cli:') || this.deps.config.approvers.includes(principal);
  }

  async approve(req: { proposalId: string; by: Principal; via: string; authorised?: boolean }): Promise<{ state: ProposalState; orders: OrderLine[] }> {
    const proposal = await loadProposal(this.deps.store, req.proposalId);
    if (!proposal.exists) throw new ProposalError('NOT_FOUND', `no proposal ${req.proposalId}`);
    const { now, settleAt } = this.actionTimes(proposal);
    if (!(req.authorised ?? this.isApprover(req.by))) {
      await recordRefusal(this.deps.store, req.proposalId, { by: req.by, via: req.via, action: 'approve', reason: 'not an approver', now: this.deps.clock() });
      await this.sink.publish({ type: 'approval_refused', proposalId: req.proposalId, by: req.by, reason: 'not an approver' });
      throw new ProposalError('UNAUTHORISED', `${req.by} may not approve proposals; ask someone in COUNCIL_APPROVERS`);
    }
    return approveProposal(this.execDeps(), { proposalId: req.proposalId, by: req.by, via: req.via, now, settleAt });
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

  /** Records a refused halt or resume (HaltRefused, control stream), as a refused approval is: who tried the kill switch is audit. */
  async refuseHalt(by: Principal, halted: boolean): Promise<void> {
    const refusal = { by, at: this.deps.clock().toISOString(), action: halted ? 'halt' : 'resume', reason: 'not an approver' };
    await appendDecided(this.deps.store, controlStream(this.settings.council), () => [{ type: 'HaltRefused', data: refusal }]);
  }

  /** The instant account values are marked at: now live, the last published bar in a replay. */
  async markTime(): Promise<Date> {
    const now = this.deps.clock();
    if (!this.deps.simulatedTime) return now;
    const [last] = await this.deps.market.bars({ symbol: this.settings.universe[0] ?? 'SPY', asOf: now, limit: 1 });
    return last ? nyDateTime(last.date, '16:00') : now;
  }

  async status(): Promise<StatusView> {
    const { config, broker, store } = this.deps;
    const asOf = await this.markTime();
    const accounts = await Promise.all(
      this.accounts.map(async (account) => {
        try {
          return await broker.account(account, asOf);
        } catch (error) {
          // Without the database no part of the status is true; say that, not six account errors.
          if (error instanceof DatabaseUnavailableError) throw error;
          return { account, broker: broker.kindOf(account), equity: 0, cash: 0, buyingPower: 0, positions: [], openOrders: [], error: (error as Error).message };
        }
      }),
    );
    const pending: StatusView['pending'] = [];
    for (const state of await loadProposals(store)) {
      if (state.status === 'PENDING')
        pending.push({ proposalId: state.proposalId, week: state.week, expiresAt: state.expiresAt, orders: state.orders.map(({ account, symbol, side, qty }) => ({ account, symbol, side, qty })) });
    }
    const weeks = await store.streams(`week:${this.settings.council}:`);
    const lastWeek = weeks.map((w) => w.stream).sort().pop();
    const last = lastWeek ? foldWeek(await store.read(lastWeek)) : undefined;
    return {
      mode: {
        database: this.deps.db.kind === 'postgres' ? 'postgres' : `pglite (${config.dataDir})`,
        market: this.deps.market.source,
        llm: config.llm ? `router ${config.llm.baseUrl}` : 'builtin systematic seats (no LLM_API_KEY)',
        chat: this.chatChannels,
        brokers: Object.fromEntries(this.accounts.map((a) => [a, broker.kindOf(a)])),
        time: this.deps.simulatedTime ? 'simulated' : 'live',
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
