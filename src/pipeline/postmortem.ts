/**
 * The weekly postmortem: how each account did, from the events (fills) and the market's closes, the
 * council against its members and against SPY buy-and-hold and an equal-weight universe, how well
 * each reviewer's scores foretold the pitches' outcomes, and what the thinking cost.
 * The same function serves the live week and a whole backtest (a longer period, the same figures).
 */
import {
  closedTrades,
  correlation,
  equityCurve,
  type Fill,
  median,
  type Performance,
  performance,
  type TradeStats,
  tradeStats,
  totalFees,
  turnover,
} from '../domain/metrics.ts';
import { rubricAverage } from '../domain/schemas.ts';
import type { TradingCalendar } from '../market/calendar.ts';
import type { Bar, MarketData } from '../market/port.ts';
import { addDays, nyDate, nyDateTime } from '../market/time.ts';
import type { EventStore } from '../store/port.ts';
import type { NoticeSink, PostmortemChart } from './notices.ts';
import { addUsage, NO_USAGE, type Usage } from './seats.ts';
import { foldWeek, type WeekState } from './week.ts';

export const BENCHMARK_SYMBOL = 'SPY';

export interface PostmortemDeps {
  store: EventStore;
  market: MarketData;
  calendar: TradingCalendar;
  council: string;
  startingCash: number;
  universe: readonly string[];
  /** Every account, the council's included. */
  accounts: readonly string[];
  /** seat id -> the account that trades its pitches */
  seatAccounts: Readonly<Record<string, string>>;
  chairAccount: string;
  /** Annual risk-free rate for Sharpe and Sortino; default 0. */
  riskFreeRate?: number;
}

export interface PostmortemRequest {
  /** The Monday of the week under review. */
  week: string;
  /** Nothing published after this instant is used. */
  asOf: Date;
  /** The first session of the period measured; default: the first week the council ran. */
  since?: string;
}

export interface AccountReport {
  account: string;
  role: 'council' | 'member';
  /** The seat trading this account (members), or null (the council). */
  seat: string | null;
  equity: number;
  weekPnl: number;
  weekReturn: number;
  pnl: number;
  performance: Performance;
  trades: TradeStats;
  turnover: number;
  fees: number;
  usage: Usage;
  /** P/L per dollar of LLM spend; null when nothing was spent. */
  pnlPerTokenDollar: number | null;
}

export interface BenchmarkReport {
  name: string;
  symbols: string[];
  weekReturn: number;
  performance: Performance;
  /** Equity scaled to the accounts' starting cash, one mark per session. */
  equity: number[];
}

export interface Calibration {
  reviewer: string;
  pitches: number;
  meanScore: number | null;
  /** Pearson correlation between the reviewer's average rubric score and the pitch's realised return. */
  correlation: number | null;
}

export interface KillShot {
  week: string;
  reviewer: string;
  target: string;
  trade: string;
  killShot: string;
  flipCondition: string;
  realised: number;
}

export interface Postmortem {
  council: string;
  week: string;
  /** The session the period's marks start from (before the first trade) and the last session marked. */
  from: string;
  to: string;
  weekFrom: string;
  weeks: number;
  dates: string[];
  accounts: AccountReport[];
  curves: { account: string; equity: number[] }[];
  benchmark: BenchmarkReport;
  equalWeight: BenchmarkReport;
  /** Council total return minus the best and the median member's; null without members. */
  deliberation: { council: number; best: { account: string; totalReturn: number }; median: number; vsBest: number; vsMedian: number } | null;
  calibration: Calibration[];
  killShots: KillShot[];
  usage: Usage;
}

export class PostmortemError extends Error {
  readonly code = 'POSTMORTEM';
  constructor(message: string) {
    super(message);
    this.name = 'PostmortemError';
  }
}

/** A fill's session date: the simulated broker writes "YYYY-MM-DDTHH:MM" New York time, Alpaca an ISO instant. */
const fillDate = (filledAt: string): string => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(filledAt) ? filledAt.slice(0, 10) : nyDate(new Date(filledAt)));

interface Prices {
  close(symbol: string, date: string): number | undefined;
  bars(symbol: string): readonly Bar[];
}

async function loadPrices(market: MarketData, symbols: Iterable<string>, from: string, asOf: Date): Promise<Prices> {
  const bySymbol = new Map<string, { bars: Bar[]; closes: Map<string, number> }>();
  await Promise.all(
    [...new Set(symbols)].map(async (symbol) => {
      const bars = await market.bars({ symbol, asOf, from });
      bySymbol.set(symbol, { bars, closes: new Map(bars.map((b) => [b.date, b.close])) });
    }),
  );
  return {
    close: (symbol, date) => bySymbol.get(symbol)?.closes.get(date),
    bars: (symbol) => bySymbol.get(symbol)?.bars ?? [],
  };
}

export async function buildPostmortem(deps: PostmortemDeps, req: PostmortemRequest): Promise<Postmortem> {
  const { store, market, calendar, council } = deps;
  const rf = { riskFreeRate: deps.riskFreeRate ?? 0 };
  const weekStreams = (await store.streams(`week:${council}:`)).map((s) => s.stream);
  const states: WeekState[] = [];
  for (const stream of weekStreams) {
    const state = foldWeek(await store.read(stream));
    if (state.started && state.started.week <= req.week) states.push(state);
  }
  const firstWeek = req.since ?? states[0]?.started?.week;
  if (!firstWeek) throw new PostmortemError(`the council "${council}" has not run yet; nothing to review`);

  const firstSession = calendar.isTradingDay(firstWeek) ? firstWeek : calendar.nextTradingDay(firstWeek);
  const base = calendar.previousTradingDay(firstSession);
  const friday = addDays(req.week, 4);
  const fills = (await store.readAll({ streamPrefix: 'proposal:', types: ['OrderFilled'] }))
    .map((e) => e.data as { account: string; symbol: string; side: 'buy' | 'sell'; qty: number; price: number; fee: number; filledAt: string })
    .filter((f) => deps.accounts.includes(f.account))
    .map((f) => ({ account: f.account, fill: { symbol: f.symbol, side: f.side, qty: f.qty, price: f.price, fee: f.fee, date: fillDate(f.filledAt) } satisfies Fill }));

  const prices = await loadPrices(market, [BENCHMARK_SYMBOL, ...deps.universe, ...fills.map((f) => f.fill.symbol)], base, req.asOf);
  const dates = prices
    .bars(BENCHMARK_SYMBOL)
    .map((b) => b.date)
    .filter((d) => d <= friday);
  if (dates.length < 2 || dates[0] !== base) throw new PostmortemError(`no ${BENCHMARK_SYMBOL} closes from ${base} to ${friday} published by ${req.asOf.toISOString()}`);
  const to = dates[dates.length - 1] as string;
  // The mark before the week: the last session before its Monday (or the period's base).
  const weekStart = Math.max(0, dates.findIndex((d) => d >= req.week) - 1);
  const weekFrom = dates[weekStart] as string;

  const usageByAccount = new Map<string, Usage>();
  const charge = (account: string, usage: Usage) => usageByAccount.set(account, addUsage(usageByAccount.get(account) ?? NO_USAGE, usage));
  for (const s of states) {
    if (s.started!.week < firstWeek) continue;
    const accountOf = (seat: string) => deps.seatAccounts[seat] ?? s.started!.seats.find((x) => x.id === seat)?.account ?? seat;
    charge(deps.chairAccount, s.research?.usage ?? NO_USAGE);
    charge(deps.chairAccount, s.decision?.usage ?? NO_USAGE);
    for (const p of s.pitches.values()) charge(accountOf(p.seat), p.usage);
    for (const r of s.reviews.values()) charge(accountOf(r.reviewer), r.usage);
  }

  const seatOf = new Map(Object.entries(deps.seatAccounts).map(([seat, account]) => [account, seat]));
  const curves = deps.accounts.map((account) => {
    const own = fills.filter((f) => f.account === account && f.fill.date > base && f.fill.date <= to).map((f) => f.fill);
    return { account, fills: own, equity: equityCurve(deps.startingCash, own, dates, prices.close) };
  });
  const accounts: AccountReport[] = curves.map(({ account, fills: own, equity }) => {
    const last = equity[equity.length - 1] as number;
    const usage = usageByAccount.get(account) ?? NO_USAGE;
    const pnl = last - deps.startingCash;
    return {
      account,
      role: account === deps.chairAccount ? 'council' : 'member',
      seat: account === deps.chairAccount ? null : (seatOf.get(account) ?? null),
      equity: last,
      weekPnl: last - (equity[weekStart] as number),
      weekReturn: last / (equity[weekStart] as number) - 1,
      pnl,
      performance: performance(equity, rf),
      trades: tradeStats(closedTrades(own).map((t) => t.pnl)),
      turnover: turnover(own, equity),
      fees: totalFees(own),
      usage,
      pnlPerTokenDollar: usage.costUsd > 0 ? pnl / usage.costUsd : null,
    };
  });

  const benchmark = benchmarkOf(`${BENCHMARK_SYMBOL} buy-and-hold`, [BENCHMARK_SYMBOL], dates, prices, deps.startingCash, weekStart, rf);
  const held = deps.universe.filter((s) => prices.close(s, base) !== undefined);
  const equalWeight = benchmarkOf('Equal-weight universe', held, dates, prices, deps.startingCash, weekStart, rf);

  const councilReport = accounts.find((a) => a.role === 'council');
  const members = accounts.filter((a) => a.role === 'member');
  let deliberation: Postmortem['deliberation'] = null;
  if (councilReport && members.length) {
    const best = members.reduce((b, m) => (m.performance.totalReturn > b.performance.totalReturn ? m : b));
    const med = median(members.map((m) => m.performance.totalReturn));
    const c = councilReport.performance.totalReturn;
    deliberation = { council: c, best: { account: best.account, totalReturn: best.performance.totalReturn }, median: med, vsBest: c - best.performance.totalReturn, vsMedian: c - med };
  }

  const { calibration, killShots } = calibrate(states.filter((s) => s.started!.week >= firstWeek), prices, calendar, to);
  return {
    council,
    week: req.week,
    from: base,
    to,
    weekFrom,
    weeks: states.filter((s) => s.started!.week >= firstWeek).length,
    dates,
    accounts,
    curves: curves.map(({ account, equity }) => ({ account, equity })),
    benchmark,
    equalWeight,
    deliberation,
    calibration,
    killShots,
    usage: [...usageByAccount.values()].reduce(addUsage, NO_USAGE),
  };
}

/** Buy-and-hold: equal dollars in each symbol at the base close, never rebalanced. */
function benchmarkOf(
  name: string,
  symbols: readonly string[],
  dates: readonly string[],
  prices: Prices,
  cash: number,
  weekStart: number,
  rf: { riskFreeRate: number },
): BenchmarkReport {
  const base = dates[0] as string;
  const last = new Map<string, number>();
  const equity = dates.map((date) => {
    let value = 0;
    for (const s of symbols) {
      const close = prices.close(s, date) ?? last.get(s) ?? (prices.close(s, base) as number);
      last.set(s, close);
      value += (cash / symbols.length) * (close / (prices.close(s, base) as number));
    }
    return value;
  });
  const end = equity[equity.length - 1] as number;
  return { name, symbols: [...symbols], weekReturn: end / (equity[weekStart] as number) - 1, performance: performance(equity, rf), equity };
}

/**
 * A pitch's realised return: its direction times the instrument's move from the week's first open to
 * its last close (the holding the accounts had), FLAT counting as zero.
 */
function pitchReturn(prices: Prices, calendar: TradingCalendar, week: string, instrument: string, direction: string, to: string): number | null {
  if (direction === 'FLAT') return 0;
  const first = calendar.isTradingDay(week) ? week : calendar.nextTradingDay(week);
  const bars = prices.bars(instrument);
  const open = bars.find((b) => b.date === first)?.open;
  const friday = addDays(week, 4) < to ? addDays(week, 4) : to;
  const close = [...bars].reverse().find((b) => b.date <= friday && b.date >= first)?.close;
  if (open === undefined || close === undefined) return null;
  return (direction === 'SHORT' ? -1 : 1) * (close / open - 1);
}

function calibrate(states: readonly WeekState[], prices: Prices, calendar: TradingCalendar, to: string): { calibration: Calibration[]; killShots: KillShot[] } {
  const byReviewer = new Map<string, { scores: number[]; returns: number[] }>();
  const killShots: KillShot[] = [];
  for (const s of states) {
    const week = s.started!.week;
    if (nyDateTime(week, '09:30').getTime() > nyDateTime(to, '16:00').getTime()) continue;
    for (const review of s.reviews.values()) {
      if (review.status !== 'ok') continue;
      const row = byReviewer.get(review.reviewer) ?? { scores: [], returns: [] };
      for (const score of review.scores) {
        const pitch = s.pitches.get(score.seat)?.pitch;
        if (!pitch) continue;
        const realised = pitchReturn(prices, calendar, week, pitch.instrument, pitch.direction, to);
        if (realised === null) continue;
        row.scores.push(rubricAverage(score.rubric));
        row.returns.push(realised);
        // A kill shot came true when the pitch it attacked lost money over its week.
        if (realised < 0)
          killShots.push({ week, reviewer: review.reviewer, target: score.seat, trade: `${pitch.direction} ${pitch.instrument}`, killShot: score.killShot, flipCondition: score.flipCondition, realised });
      }
      byReviewer.set(review.reviewer, row);
    }
  }
  const calibration = [...byReviewer.entries()]
    .map(([reviewer, { scores, returns }]) => ({
      reviewer,
      pitches: scores.length,
      meanScore: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null,
      correlation: correlation(scores, returns),
    }))
    .sort((a, b) => a.reviewer.localeCompare(b.reviewer));
  return { calibration, killShots: killShots.sort((a, b) => a.realised - b.realised) };
}

/**
 * The weekly postmortem use case: compute, let the caller render (and perhaps store) the charts,
 * publish one `postmortem_ready` notice to every channel.
 */
export async function publishPostmortem(
  deps: PostmortemDeps & { sink: NoticeSink; charts?: (pm: Postmortem) => Promise<PostmortemChart[]> },
  req: PostmortemRequest,
): Promise<{ postmortem: Postmortem; charts: PostmortemChart[] }> {
  const postmortem = await buildPostmortem(deps, req);
  const charts = deps.charts ? await deps.charts(postmortem) : [];
  await deps.sink.publish({ type: 'postmortem_ready', week: req.week, postmortem, charts });
  return { postmortem, charts };
}
