/**
 * The trader's desk: what the accounts hold (`positions`), made (`profit`), did (`history`), how they
 * rank (`leaderboard`) and what the thinking cost (`cost`), and the desk's actions: close a position now
 * (`exit`) and stop new entries (`pause`). Every figure of P/L, return, Sharpe, drawdown and hit rate
 * comes from the postmortem's report (the one ledger, src/domain/ledger.ts and metrics.ts); a window
 * is a slice of that report's daily equity curves, never a second computation.
 */
import type { AccountView, BrokerOrder } from '../brokers/port.ts';
import { UserFacingError } from '../domain/errors.ts';
import { type RoundTrip, tradeStats } from '../domain/ledger.ts';
import { median, type Performance, performance } from '../domain/metrics.ts';
import { ProposalError } from '../domain/proposal.ts';
import { isExitOrder } from '../domain/sizing.ts';
import { addDays, mondayOf, nyDate, nyDateTime, nyTime } from '../market/time.ts';
import { exitPosition, heldAfterPending } from '../pipeline/checkpoint.ts';
import { isHalted } from '../pipeline/execution.ts';
import type { DailySummary, ExitLine } from '../pipeline/notices.ts';
import { streams } from '../pipeline/streams.ts';
import { buildPostmortem, type Calibration, type Postmortem, PostmortemError } from '../pipeline/postmortem.ts';
import { isPaused, type PauseState, setPaused } from '../pipeline/proposals/halt.ts';
import { addUsage, NO_USAGE, type Usage } from '../pipeline/seat-result.ts';
import { foldWeek } from '../pipeline/week.ts';
import { userErrorLine, userErrorText } from '../redact.ts';
import { DatabaseUnavailableError } from '../store/port.ts';
import type { Authoriser, Principal } from './authoriser.ts';
import { checkpointDeps, defaultCheckpointTime } from './checkpoints.ts';
import type { AppContext } from './context.ts';
import { postmortemDeps } from './postmortem.ts';
import { refuseRequest } from './proposals.ts';
import { weeks as weekSummaries } from './queries.ts';

/** The windows `profit` reads; `leaderboard` and `cost` take some of them. */
export type DeskWindow = '1w' | '4w' | '8w' | 'all';
export type LeaderboardWindow = Exclude<DeskWindow, '1w'>;
export type CostWindow = '4w' | 'all';

/** Calendar days back from the last session marked; `all` is the whole record. */
const WINDOW_DAYS: Record<Exclude<DeskWindow, 'all'>, number> = { '1w': 7, '4w': 28, '8w': 56 };

/** A refusal a user reads: a bad account name, nothing to exit. */
export class DeskError extends UserFacingError {
  readonly code: 'NO_ACCOUNT' | 'NOTHING_TO_EXIT';
  constructor(code: DeskError['code'], message: string) {
    super(message);
    this.code = code;
    this.name = 'DeskError';
  }
}

export interface DeskPosition {
  account: string;
  symbol: string;
  /** Signed: negative for a short. */
  qty: number;
  avgPrice: number;
  /** The broker's last price, null when it has none. */
  mark: number | null;
  unrealizedPl: number;
  /** The resting protective legs' prices (AccountView.openOrders[].legs), null without one. */
  stop: number | null;
  takeProfit: number | null;
  /** When the position was opened (the first fill since it was last flat), ISO; null when no fill of it is recorded. */
  openedAt: string | null;
  /** Whole calendar days since openedAt. */
  ageDays: number | null;
  /** Working orders at the broker will close some or all of it (an exit, a trim, a stop that triggered). */
  exiting: boolean;
  /** What is left once those orders fill (0: all of it is being closed). */
  qtyAfterExits: number;
}

export interface PositionsView {
  asOf: string;
  accounts: { account: string; equity: number; cash: number; positions: DeskPosition[]; error?: string }[];
}

/** One account's figures over a window, from the report's equity curve. */
export interface WindowFigures {
  account: string;
  role: 'council' | 'member' | 'benchmark';
  seat: string | null;
  /** Equity at the window's first and last marks. */
  startEquity: number;
  endEquity: number;
  pnl: number;
  /** Round trips closed within the window, net of fees. */
  realisedPnl: number;
  /** The rest of the window's P/L: what open positions gained or lost (and fees of open lots). */
  unrealisedPnl: number;
  totalReturn: number;
}

export interface ProfitView {
  window: DeskWindow;
  /** The sessions whose closes bound the window (New York dates); null when the council has not traded yet. */
  from: string | null;
  to: string | null;
  accounts: WindowFigures[];
  /** SPY bought and held over the same sessions, with the accounts' starting cash. */
  benchmark: WindowFigures | null;
  /** Council total return minus the best and the median member's over the window; null without members. */
  councilVsMembers: { council: number; bestMember: { account: string; totalReturn: number }; medianMember: number } | null;
}

export interface HistoryWeek {
  week: string;
  runId: string;
  outcome: string;
  decision: { instrument: string; direction: string; conviction: number; horizon: string } | null;
  proposal: {
    id: string;
    status: string;
    approvedBy: { by: string; at: string; via: string } | null;
    rejected: { by: string; at: string; reason: string | null } | null;
    expiresAt: string;
    /** The accounts a partial approval declined (nothing placed for them); empty when all were approved. */
    declined: string[];
  } | null;
  /** Each account's P/L over the week (last close of the week over the last close before it); empty before any mark. */
  pnl: { account: string; pnl: number; return: number }[];
  /** The last session close the week's P/L is marked at (a week still under way: before its Friday); null before any mark. */
  pnlThrough: string | null;
}

export interface HistoryView {
  weeks: HistoryWeek[];
}

export interface LeaderboardRow {
  rank: number;
  account: string;
  role: 'council' | 'member';
  seat: string | null;
  totalReturn: number;
  pnl: number;
  sharpe: number | null;
  maxDrawdown: number;
  hitRate: number | null;
  trades: number;
}

export interface LeaderboardView {
  window: LeaderboardWindow;
  from: string | null;
  to: string | null;
  rows: LeaderboardRow[];
  benchmark: { name: string; totalReturn: number; sharpe: number | null; maxDrawdown: number } | null;
  /** The reviewers' calibration over the window's weeks, as the postmortem computes it. */
  calibration: Calibration[];
}

export interface CostRow {
  seat: string;
  stage: 'research' | 'pitch' | 'review' | 'decision';
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface CostView {
  window: CostWindow;
  /** The Mondays of the weeks counted. */
  weeks: string[];
  rows: CostRow[];
  /** Per account: what its seat's calls cost (the council's: research and decision) and its P/L per dollar of it. */
  accounts: { account: string; usage: Usage; pnl: number | null; pnlPerDollar: number | null }[];
  total: Usage;
}

export interface DeskExitRequest {
  by: Principal;
  via: string;
  /** An account's name, or 'all'. */
  account: string;
  symbol?: string;
  reason?: string;
  /** A channel's own rules over the application's (the Discord approver role). */
  authoriser?: Authoriser;
}

export interface DeskExitResult {
  at: string;
  exits: ExitLine[];
}

export interface PauseRequest {
  by: Principal;
  via: string;
  paused: boolean;
  authoriser?: Authoriser;
}

export interface TradingState {
  state: 'running' | 'paused' | 'halted';
  by?: string;
  at?: string;
}

/** The postmortem's report over the whole record up to now (marked at the clock's mark time, or `at`); null before any run. */
async function ledgerReport(ctx: AppContext, since?: string, at?: Date): Promise<Postmortem | null> {
  const asOf = at ?? (await ctx.deps.clock.markTime());
  try {
    return await buildPostmortem(postmortemDeps(ctx), { week: mondayOf(nyDate(asOf)), asOf, ...(since ? { since } : {}) });
  } catch (error) {
    if (error instanceof PostmortemError) return null;
    throw error;
  }
}

/** The index in `dates` the window's P/L is measured from: the last close at or before its start. */
function windowStart(dates: readonly string[], window: DeskWindow): number {
  if (window === 'all' || dates.length === 0) return 0;
  const start = addDays(dates[dates.length - 1] as string, -WINDOW_DAYS[window]);
  let i = 0;
  for (let j = 0; j < dates.length; j++) if ((dates[j] as string) <= start) i = j;
  return i;
}

const closedWithin = (trips: readonly RoundTrip[], account: string, after: string) => trips.filter((t) => t.account === account && t.exitTime.slice(0, 10) > after);

function figures(pm: Postmortem, start: number, account: string, equity: readonly number[], role: WindowFigures['role'], seat: string | null): WindowFigures {
  const startEquity = equity[start] as number;
  const endEquity = equity[equity.length - 1] as number;
  const pnl = endEquity - startEquity;
  const realisedPnl = role === 'benchmark' ? 0 : tradeStats(closedWithin(pm.ledger.trips, account, pm.dates[start] as string)).pnl;
  return { account, role, seat, startEquity, endEquity, pnl, realisedPnl, unrealisedPnl: pnl - realisedPnl, totalReturn: endEquity / startEquity - 1 };
}

/** Realised and unrealised P/L and return per account over the window, council vs members vs SPY. */
export async function profit(ctx: AppContext, window: DeskWindow): Promise<ProfitView> {
  const pm = await ledgerReport(ctx);
  if (!pm) return { window, from: null, to: null, accounts: [], benchmark: null, councilVsMembers: null };
  const start = windowStart(pm.dates, window);
  const accounts = pm.accounts.map((a) => figures(pm, start, a.account, pm.curves.find((c) => c.account === a.account)?.equity ?? [], a.role, a.seat));
  const council = accounts.find((a) => a.role === 'council');
  const members = accounts.filter((a) => a.role === 'member');
  const best = members.reduce<WindowFigures | undefined>((b, m) => (!b || m.totalReturn > b.totalReturn ? m : b), undefined);
  return {
    window,
    from: pm.dates[start] ?? null,
    to: pm.to,
    accounts,
    benchmark: figures(pm, start, pm.benchmark.name, pm.benchmark.equity, 'benchmark', null),
    councilVsMembers:
      council && best
        ? { council: council.totalReturn, bestMember: { account: best.account, totalReturn: best.totalReturn }, medianMember: median(members.map((m) => m.totalReturn)) }
        : null,
  };
}

/** Accounts ranked by return over the window, with Sharpe, drawdown and hit rate, and the reviewers' calibration. */
export async function leaderboard(ctx: AppContext, window: LeaderboardWindow): Promise<LeaderboardView> {
  const pm = await ledgerReport(ctx);
  if (!pm) return { window, from: null, to: null, rows: [], benchmark: null, calibration: [] };
  const start = windowStart(pm.dates, window);
  // The whole record is the postmortem's own figures; a window, the same metrics over its slice of the curves.
  const rf = { riskFreeReturns: pm.riskFree.returns.slice(start) };
  const over = (equity: readonly number[], whole: Performance): Performance => (window === 'all' ? whole : performance(equity.slice(start), rf));
  const rows = pm.accounts
    .map((a) => {
      const equity = pm.curves.find((c) => c.account === a.account)?.equity ?? [];
      const perf = over(equity, a.performance);
      const stats = window === 'all' ? a.trades : tradeStats(closedWithin(pm.ledger.trips, a.account, pm.dates[start] as string));
      return {
        rank: 0,
        account: a.account,
        role: a.role,
        seat: a.seat,
        totalReturn: perf.totalReturn,
        pnl: (equity[equity.length - 1] as number) - (equity[start] as number),
        sharpe: perf.sharpe,
        maxDrawdown: perf.maxDrawdown,
        hitRate: stats.hitRate,
        trades: stats.trades,
      };
    })
    .sort((a, b) => b.totalReturn - a.totalReturn || a.account.localeCompare(b.account))
    .map((row, i) => ({ ...row, rank: i + 1 }));
  const spy = over(pm.benchmark.equity, pm.benchmark.performance);
  // The calibration of the window's weeks: the postmortem's own, over a report that starts with them.
  const since = window === 'all' ? undefined : mondayOf(pm.dates[start] as string);
  const calibration = since && since > pm.from ? ((await ledgerReport(ctx, since))?.calibration ?? []) : pm.calibration;
  return {
    window,
    from: pm.dates[start] ?? null,
    to: pm.to,
    rows,
    benchmark: { name: pm.benchmark.name, totalReturn: spy.totalReturn, sharpe: spy.sharpe, maxDrawdown: spy.maxDrawdown },
    calibration,
  };
}

/** Each account's equity at every session close of a window, SPY beside them: the postmortem's own curves, sliced as the leaderboard slices them. */
export interface EquityView {
  window: LeaderboardWindow;
  /** The sessions (New York dates) the window spans; empty until the first fill (nothing traded, nothing to draw). */
  dates: string[];
  accounts: { account: string; role: 'council' | 'member'; seat: string | null; equity: number[] }[];
  /** SPY bought and held with the accounts' starting cash over the same sessions; null without a record. */
  benchmark: { name: string; equity: number[] } | null;
}

/** The equity curves over the window (council, members, SPY), read from the same report as `leaderboard` and `profit`. */
export async function equity(ctx: AppContext, window: LeaderboardWindow): Promise<EquityView> {
  const pm = await ledgerReport(ctx);
  if (!pm || pm.ledger.fills.length === 0) return { window, dates: [], accounts: [], benchmark: null };
  const start = windowStart(pm.dates, window);
  return {
    window,
    dates: pm.dates.slice(start),
    accounts: pm.accounts.map((a) => ({
      account: a.account,
      role: a.role,
      seat: a.seat,
      equity: (pm.curves.find((c) => c.account === a.account)?.equity ?? []).slice(start),
    })),
    benchmark: { name: pm.benchmark.name, equity: pm.benchmark.equity.slice(start) },
  };
}

/**
 * One week's postmortem as `council postmortem --week` computes it, without publishing it: marked through
 * the session `through` (the last one a published postmortem marked, so the figures are the ones it
 * showed), or else no later than that Friday's close or the data's last close when sooner; null before the
 * council has run.
 */
export async function weekPostmortem(ctx: AppContext, week: string, through?: string): Promise<Postmortem | null> {
  const weekEnd = nyDateTime(addDays(week, 4), '20:00');
  const asOf = through ? nyDateTime(through, '20:00') : new Date(Math.min((await ctx.deps.clock.dataTime()).getTime(), weekEnd.getTime()));
  try {
    return await buildPostmortem(postmortemDeps(ctx), { week, asOf });
  } catch (error) {
    if (error instanceof PostmortemError) return null;
    throw error;
  }
}

/** The last `n` weeks: decision, proposal outcome, each account's week P/L. */
export async function history(ctx: AppContext, n: number): Promise<HistoryView> {
  const summaries = (await weekSummaries(ctx)).slice(0, Math.max(1, n));
  const pm = summaries.length ? await ledgerReport(ctx) : null;
  const declined = new Map((await ctx.deps.proposals.list()).map((p) => [p.proposalId, p.declined]));
  return {
    weeks: summaries.map((s) => ({
      week: s.week,
      runId: s.runId,
      outcome: s.outcome,
      decision: s.decision,
      proposal: s.proposal
        ? {
            id: s.proposal.id,
            status: s.proposal.status,
            approvedBy: s.proposal.approvedBy,
            rejected: s.proposal.rejected,
            expiresAt: s.proposal.expiresAt,
            declined: declined.get(s.proposal.id) ?? [],
          }
        : null,
      ...weekPnl(pm, s.week),
    })),
  };
}

/**
 * Each account's P/L over one week, from the report's curves: the week's last close marked (`pnlThrough`)
 * over the last close before the week. Nothing before the week's first mark.
 */
function weekPnl(pm: Postmortem | null, week: string): Pick<HistoryWeek, 'pnl' | 'pnlThrough'> {
  const last = pm ? pm.dates.reduce((found, d, i) => (mondayOf(d) === week ? i : found), -1) : -1;
  const first = pm ? pm.dates.findIndex((d) => mondayOf(d) === week) : -1;
  if (!pm || last < 0 || first < 0) return { pnl: [], pnlThrough: null };
  const base = Math.max(0, first - 1);
  return {
    pnl: pm.curves.map(({ account, equity }) => {
      const before = equity[base] as number;
      const after = equity[last] as number;
      return { account, pnl: after - before, return: after / before - 1 };
    }),
    pnlThrough: pm.dates[last] ?? null,
  };
}

/** LLM spend by seat and stage over the window, tokens, and each account's P/L per dollar of it. */
export async function cost(ctx: AppContext, window: CostWindow): Promise<CostView> {
  const { store, settings, clock } = ctx.deps;
  const now = await clock.markTime();
  const first = window === 'all' ? '' : mondayOf(addDays(nyDate(now), -WINDOW_DAYS['4w'] + 1));
  const prefix = `week:${settings.council}:`;
  const names = (await store.streams(prefix)).map((s) => s.stream.slice(prefix.length)).filter((w) => w >= first);
  const rows = new Map<string, CostRow>();
  const byAccount = new Map<string, Usage>();
  const charge = (seat: string, stage: CostRow['stage'], account: string, usage: Usage) => {
    const key = `${seat}\u0000${stage}`;
    const row = rows.get(key) ?? { seat, stage, calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };
    const sum = addUsage(row, usage);
    rows.set(key, { seat, stage, ...sum });
    byAccount.set(account, addUsage(byAccount.get(account) ?? NO_USAGE, usage));
  };
  const weeks: string[] = [];
  for (const week of names.sort()) {
    const s = foldWeek(await store.read(`${prefix}${week}`));
    if (!s.started) continue;
    weeks.push(week);
    const started = s.started;
    const accountOf = (seat: string) => settings.seatAccounts[seat] ?? started.seats.find((x) => x.id === seat)?.account ?? seat;
    if (s.research) charge('chairman', 'research', settings.chairAccount, s.research.usage);
    if (s.decision) charge('chairman', 'decision', settings.chairAccount, s.decision.usage);
    for (const p of s.pitches.values()) charge(p.seat, 'pitch', accountOf(p.seat), p.usage);
    for (const r of s.reviews.values()) charge(r.reviewer, 'review', accountOf(r.reviewer), r.usage);
  }
  const pnl = await profit(ctx, window);
  const accounts = ctx.deps.config.accounts.map((account) => {
    const usage = byAccount.get(account) ?? NO_USAGE;
    const p = pnl.accounts.find((a) => a.account === account)?.pnl ?? null;
    return { account, usage, pnl: p, pnlPerDollar: p !== null && usage.costUsd > 0 ? p / usage.costUsd : null };
  });
  const stageOrder: CostRow['stage'][] = ['research', 'pitch', 'review', 'decision'];
  return {
    window,
    weeks,
    rows: [...rows.values()].sort((a, b) => a.seat.localeCompare(b.seat) || stageOrder.indexOf(a.stage) - stageOrder.indexOf(b.stage)),
    accounts,
    total: [...byAccount.values()].reduce(addUsage, NO_USAGE),
  };
}

/** The resting protective leg of a kind for a position: from the newest parent order of that symbol that carries one. */
function legPrice(orders: readonly BrokerOrder[], symbol: string, kind: 'stop' | 'take_profit'): number | null {
  for (const o of [...orders].reverse()) {
    if (o.symbol !== symbol) continue;
    const leg = o.legs?.find((l) => l.kind === kind && (l.status === 'held' || l.status === 'accepted' || l.status === 'partially_filled'));
    if (leg) return leg.price;
  }
  return null;
}

/** When each account's position in a symbol was opened: the first recorded fill since it was last flat. */
async function openedAt(ctx: AppContext): Promise<Map<string, string>> {
  const fills: { account: string; symbol: string; signed: number; at: string }[] = [];
  for (const state of await ctx.deps.proposals.list())
    for (const order of state.orders) {
      const f = state.fills[order.clientOrderId];
      if (f) fills.push({ account: order.account, symbol: order.symbol, signed: order.side === 'buy' ? f.qty : -f.qty, at: f.filledAt });
    }
  const held = new Map<string, { qty: number; since: string }>();
  for (const f of fills.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))) {
    const key = `${f.account}\u0000${f.symbol}`;
    const before = held.get(key)?.qty ?? 0;
    const after = before + f.signed;
    held.set(key, { qty: after, since: before === 0 || Math.sign(before) !== Math.sign(after) ? f.at : (held.get(key)?.since ?? f.at) });
  }
  return new Map([...held].filter(([, h]) => h.qty !== 0).map(([key, h]) => [key, h.since]));
}

/** A fill time as an instant: the simulated broker writes New York wall time (YYYY-MM-DDTHH:MM), Alpaca an ISO instant. */
function fillInstant(at: string): Date {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(at)) return nyDateTime(at.slice(0, 10), at.slice(11));
  return new Date(at);
}

/** Every account's positions: qty, average price, mark, unrealised P/L, stop and take-profit, age, and whether it is being exited. */
export async function positions(ctx: AppContext): Promise<PositionsView> {
  const { broker, config, clock } = ctx.deps;
  const asOf = await clock.markTime();
  const opened = await openedAt(ctx);
  const accounts = await Promise.all(
    config.accounts.map(async (account) => {
      let view: AccountView;
      try {
        view = await broker.account(account, asOf);
      } catch (error) {
        // Without the database nothing here is true; an upstream's answer may echo what it was sent: as status says them.
        if (error instanceof DatabaseUnavailableError) throw error;
        const text = userErrorText(error, { logger: ctx.deps.logger, redact: ctx.redactor }, `positions: account ${account}`);
        return { account, equity: 0, cash: 0, positions: [], error: userErrorLine(text) };
      }
      const held = heldAfterPending(view);
      return {
        account,
        equity: view.equity,
        cash: view.cash,
        positions: view.positions
          .filter((p) => p.qty !== 0)
          .map((p): DeskPosition => {
            const since = opened.get(`${account}\u0000${p.symbol}`) ?? null;
            const sinceAt = since ? fillInstant(since) : null;
            return {
              account,
              symbol: p.symbol,
              qty: p.qty,
              avgPrice: p.avgPrice,
              mark: p.marketPrice,
              unrealizedPl: p.unrealizedPl,
              stop: legPrice(view.openOrders, p.symbol, 'stop'),
              takeProfit: legPrice(view.openOrders, p.symbol, 'take_profit'),
              openedAt: sinceAt && !Number.isNaN(sinceAt.getTime()) ? sinceAt.toISOString() : null,
              ageDays: sinceAt && !Number.isNaN(sinceAt.getTime()) ? Math.max(0, Math.floor((asOf.getTime() - sinceAt.getTime()) / 86_400_000)) : null,
              exiting: (held.find((h) => h.symbol === p.symbol)?.qty ?? 0) !== p.qty,
              qtyAfterExits: held.find((h) => h.symbol === p.symbol)?.qty ?? 0,
            };
          }),
      };
    }),
  );
  return { asOf: asOf.toISOString(), accounts };
}

/** The accounts an `exit` names: one (by name, any case) or all of them. */
function exitAccounts(ctx: AppContext, account: string): string[] {
  const all = ctx.deps.config.accounts;
  if (account.toLowerCase() === 'all') return [...all];
  const found = all.find((a) => a.toLowerCase() === account.toLowerCase());
  if (!found) throw new DeskError('NO_ACCOUNT', `no account "${account}"; the accounts are ${all.join(', ')} (or all)`);
  return [found];
}

/**
 * Closes a position (or every position of the account, or of every account) now, through the same
 * proposal and execution path as a checkpoint's exit: one exit proposal per position, approved by the
 * asker, its order's client id derived from it, so it is placed exactly once; shares an exit already
 * working will close are left to it. Approvers only; a refusal is recorded.
 */
export async function exit(ctx: AppContext, req: DeskExitRequest): Promise<DeskExitResult> {
  const { broker } = ctx.deps;
  if (!(req.authoriser ?? ctx.deps.authoriser).mayApprove(req.by, 'exit')) {
    await refuseRequest(ctx, { by: req.by, via: req.via, action: 'exit', reason: 'not an approver' });
    throw new ProposalError('UNAUTHORISED', `${req.by} may not exit positions; ask someone in COUNCIL_APPROVERS`);
  }
  const accounts = exitAccounts(ctx, req.account);
  const symbol = req.symbol?.toUpperCase();
  const at = await defaultCheckpointTime(ctx);
  const deps = checkpointDeps(ctx);
  const week = mondayOf(nyDate(at));
  const why = req.reason?.trim() ? req.reason.trim() : 'no reason given';
  const exits: ExitLine[] = [];
  let entriesWorking = 0;
  for (const account of accounts) {
    const book = await broker.account(account, at);
    entriesWorking += book.openOrders.filter((o) => o.filledQty < o.qty && !isExitOrder(o.clientOrderId) && (!symbol || o.symbol === symbol)).length;
    // What working orders (an exit a checkpoint already placed) will not close: never sold twice.
    for (const p of heldAfterPending(book)) {
      if (p.qty === 0 || (symbol && p.symbol !== symbol)) continue;
      const { line } = await exitPosition(deps, {
        account,
        symbol: p.symbol,
        qty: p.qty,
        reason: 'manual',
        detail: `${why} (${req.by} via ${req.via})`,
        entryProposalId: null,
        week,
        at,
        approvedBy: { by: req.by, via: req.via },
      });
      exits.push(line);
    }
  }
  if (exits.length === 0) {
    const who = req.account.toLowerCase() === 'all' ? `no account holds ${symbol ?? 'a position'}` : `${accounts[0]} holds no ${symbol ?? 'position'}`;
    const pending =
      entriesWorking > 0
        ? `; ${entriesWorking === 1 ? 'an order' : `${entriesWorking} orders`} to open it ${entriesWorking === 1 ? 'is' : 'are'} still working (a position exists only after its fill)`
        : '';
    throw new DeskError('NOTHING_TO_EXIT', `nothing to exit: ${who} that a working exit does not already close, as of ${nyDate(at)} ${nyTime(at)} ET${pending}`);
  }
  await ctx.sink.publish({ type: 'exit_report', week, at: at.toISOString(), exits, requireApproval: false });
  return { at: at.toISOString(), exits };
}

/** Stops (or lets again) new entries: approvals of weekly proposals are refused meanwhile; exits, stops and checkpoints go on. Approvers only. */
export async function pause(ctx: AppContext, req: PauseRequest): Promise<PauseState> {
  const action = req.paused ? 'pause' : 'unpause';
  if (!(req.authoriser ?? ctx.deps.authoriser).mayApprove(req.by, action)) {
    await refuseRequest(ctx, { by: req.by, via: req.via, action, reason: 'not an approver' });
    throw new ProposalError('UNAUTHORISED', `${req.by} may not ${action} trading; ask someone in COUNCIL_APPROVERS`);
  }
  return setPaused({ store: ctx.deps.store, sink: ctx.sink, council: ctx.deps.settings.council }, req.paused, req.by, req.via, ctx.deps.clock.now());
}

/** Halted beats paused: a halt stops everything, a pause only new entries. */
export async function tradingState(ctx: AppContext): Promise<TradingState> {
  const { store, settings } = ctx.deps;
  const [halt, paused] = await Promise.all([isHalted(store, settings.council), isPaused(store, settings.council)]);
  if (halt.halted) return { state: 'halted', ...(halt.by ? { by: halt.by } : {}), ...(halt.at ? { at: halt.at } : {}) };
  if (paused.paused) return { state: 'paused', ...(paused.by ? { by: paused.by } : {}), ...(paused.at ? { at: paused.at } : {}) };
  return { state: 'running' };
}

/**
 * The summary of the session `at` closes (or closed): each account's day P/L from the ledger (the
 * session's close over the one before), the positions with their stops, what the day's checkpoints did
 * and the next session's checkpoint times; published as a `daily_summary` notice into the week's thread
 * (none before the council's first run while nothing is held).
 */
export async function dailySummary(ctx: AppContext, at: Date): Promise<DailySummary> {
  const { calendar, config, settings, store } = ctx.deps;
  const date = nyDate(at);
  const week = mondayOf(date);
  const [pm, book, events] = await Promise.all([ledgerReport(ctx, undefined, at), positions(ctx), streams.checkpoint(settings.council, week).read(store)]);
  const day = pm ? pm.dates.lastIndexOf(date) : -1;
  const accounts = config.accounts.map((account) => {
    const equity = pm?.curves.find((c) => c.account === account)?.equity;
    if (!equity || day < 1) return { account, dayPnl: null, dayReturn: null, equity: null };
    const before = equity[day - 1] as number;
    const after = equity[day] as number;
    return { account, dayPnl: after - before, dayReturn: after / before - 1, equity: after };
  });
  const today = (iso: string) => nyDate(new Date(iso)) === date;
  const exits = events.flatMap((e) => (e.type === 'ExitOrdered' && today(e.data.at) ? [e.data] : []));
  const checkpoints = events
    .flatMap((e) => (e.type === 'CheckpointEvaluated' && today(e.data.at) ? [e.data] : []))
    .map((c) => ({
      at: c.at,
      positions: c.positions.length,
      exits: exits.filter((x) => x.at === c.at).map(({ account, symbol, reason }) => ({ account, symbol, reason })),
      trims: (c.trims ?? []).length,
    }));
  const session = calendar.nextTradingDay(date);
  const close = calendar.sessionClose(session);
  const summary: DailySummary = {
    week,
    date,
    at: at.toISOString(),
    accounts,
    positions: book.accounts.flatMap((a) =>
      a.positions.map(({ account, symbol, qty, avgPrice, mark, unrealizedPl, stop, takeProfit }) => ({ account, symbol, qty, avgPrice, mark, unrealizedPl, stop, takeProfit })),
    ),
    checkpoints,
    next: { session, checkpoints: config.file.schedule.checkpoints.filter((t) => t < close).map((t) => nyDateTime(session, t).toISOString()) },
  };
  // Before the council ever ran and with nothing held, there is no day to tell and no thread to tell it in.
  if (pm || summary.positions.length > 0) await ctx.sink.publish({ type: 'daily_summary', ...summary });
  return summary;
}
