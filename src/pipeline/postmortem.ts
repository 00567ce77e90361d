/**
 * The weekly postmortem: how each account did, from the events (fills) and the market's closes, the
 * council against its members and against SPY buy-and-hold and an equal-weight universe, how well
 * each reviewer's scores foretold the pitches' outcomes, and what the thinking cost.
 * The same function serves the live week and a whole backtest (a longer period, the same figures).
 */
import { cents, type LedgerFill, markAccount, notionalCents, roundTrips, tradeStats } from '../domain/ledger.ts';
import {
  betaAlpha,
  blockBootstrapMean,
  calmar,
  correlation,
  drawdownDuration,
  informationRatio,
  MIN_PAIRS,
  MIN_WEEKS,
  mean,
  median,
  performance,
  periodReturns,
} from '../domain/metrics.ts';
import type { ProposalEvent } from '../domain/proposal.ts';
import { rubricAverage } from '../domain/schemas.ts';
import type { TradingCalendar } from '../market/calendar.ts';
import type { Bar, MarketData } from '../market/port.ts';
import type { RiskFree } from '../market/rates.ts';
import { addDays, mondayOf, nyDate, nyDateTime, nyTime } from '../market/time.ts';
import { parseEvent, streamPrefixes, streams } from './streams.ts';
import type { EventStore } from '../store/port.ts';
import type { NoticeSink, PostmortemChart } from './notices.ts';
import type { AccountReport, BenchmarkReport, Calibration, KillShot, Postmortem } from './postmortem-report.ts';
import { addUsage, NO_USAGE, type Usage } from './seat-result.ts';
import { foldWeek, type WeekState } from './week.ts';

export type { AccountReport, BenchmarkReport, Calibration, KillShot, Postmortem } from './postmortem-report.ts';

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
  /** The risk-free rate for Sharpe, Sortino and alpha (market/rates.ts); default zero, said as such. */
  riskFree?: RiskFree;
  /** The broker's costs, charged to the benchmarks too (they buy once, at the base close). */
  costs?: { slippageBps: number; feePerShare: number; minFee: number };
  /** Idle cash earns the risk-free rate in the simulated broker (`broker.cashInterest`). */
  cashInterest?: boolean;
}

export interface PostmortemRequest {
  /** The Monday of the week under review. */
  week: string;
  /** Nothing published after this instant is used. */
  asOf: Date;
  /** The first session of the period measured; default: the first week the council ran. */
  since?: string;
}

export class PostmortemError extends Error {
  readonly code = 'POSTMORTEM';
  constructor(message: string) {
    super(message);
    this.name = 'PostmortemError';
  }
}

/** A fill's New York wall time: the simulated broker writes "YYYY-MM-DDTHH:MM" New York time, Alpaca an ISO instant. */
const fillTime = (filledAt: string): string => {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(filledAt)) return filledAt;
  const at = new Date(filledAt);
  return `${nyDate(at)}T${nyTime(at)}`;
};

/** Every fill with its order's recorded reason and its proposal, in store order. */
async function loadFills(store: EventStore, accounts: readonly string[]): Promise<LedgerFill[]> {
  const events = await store.readAll({ streamPrefix: streamPrefixes.proposal, types: ['ProposalOpened', 'OrderFilled'] });
  const orders = new Map<string, { reason: string; proposalId: string }>();
  const fills: LedgerFill[] = [];
  for (const e of events) {
    const ev: ProposalEvent = parseEvent(streams.proposal(e.stream.slice(streamPrefixes.proposal.length)), e);
    if (ev.type === 'ProposalOpened') for (const o of ev.data.orders) orders.set(o.clientOrderId, { reason: o.reason, proposalId: ev.data.proposalId });
    else if (ev.type === 'OrderFilled' && accounts.includes(ev.data.account)) {
      const f = ev.data;
      // A protective leg's fill closes the position its parent opened: an exit by stop or take-profit.
      const leg = f.leg ? (f.leg === 'stop' ? 'stop' : 'take-profit') : null;
      const order = leg
        ? { reason: `exit (${leg}): the ${leg} of ${f.clientOrderId.slice(0, -'-sl'.length)} filled`, proposalId: e.stream.slice(streamPrefixes.proposal.length) }
        : orders.get(f.clientOrderId);
      fills.push({
        time: fillTime(f.filledAt),
        account: f.account,
        symbol: f.symbol,
        side: f.side,
        qty: f.qty,
        price: f.price,
        fee: f.fee,
        clientOrderId: f.clientOrderId,
        reason: order?.reason ?? '',
        proposalId: order?.proposalId ?? e.stream.slice('proposal:'.length),
      });
    }
  }
  return fills;
}

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
  const allFills = await loadFills(store, deps.accounts);

  const prices = await loadPrices(market, [BENCHMARK_SYMBOL, ...deps.universe, ...allFills.map((f) => f.symbol)], base, req.asOf);
  const dates = prices
    .bars(BENCHMARK_SYMBOL)
    .map((b) => b.date)
    .filter((d) => d <= friday);
  if (dates.length < 2 || dates[0] !== base) throw new PostmortemError(`no ${BENCHMARK_SYMBOL} closes from ${base} to ${friday} published by ${req.asOf.toISOString()}`);
  const to = dates[dates.length - 1] as string;
  // The mark before the week: the last session before its Monday (or the period's base).
  const weekStart = Math.max(0, dates.findIndex((d) => d >= req.week) - 1);
  const weekFrom = dates[weekStart] as string;
  const riskFree = deps.riskFree ?? { source: 'zero (no risk-free rate)', daily: () => 0 };
  const rfReturns = dates.slice(1).map((d) => riskFree.daily(d));
  const rf = { riskFreeReturns: rfReturns };
  const fills = allFills.filter((f) => f.time.slice(0, 10) > base && f.time.slice(0, 10) <= to);

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

  const trips = roundTrips(fills, stopLevels(states));
  const benchmark = benchmarkOf(`${BENCHMARK_SYMBOL} buy-and-hold`, [BENCHMARK_SYMBOL], dates, prices, deps.startingCash, weekStart, rf, deps.costs);
  const held = deps.universe.filter((s) => prices.close(s, base) !== undefined);
  const equalWeight = benchmarkOf('Equal-weight universe', held, dates, prices, deps.startingCash, weekStart, rf, deps.costs);
  const spyReturns = periodReturns(benchmark.equity);

  const seatOf = new Map(Object.entries(deps.seatAccounts).map(([seat, account]) => [account, seat]));
  const interest = deps.cashInterest ? (d: string) => riskFree.daily(d) : undefined;
  const curves = deps.accounts.map((account) => {
    const own = fills.filter((f) => f.account === account);
    const marks = markAccount(deps.startingCash, own, dates, prices.close, interest);
    return { account, fills: own, marks, equity: marks.map((m) => m.equity) };
  });
  const accounts: AccountReport[] = curves.map(({ account, fills: own, marks, equity }) => {
    const last = equity[equity.length - 1] as number;
    const usage = usageByAccount.get(account) ?? NO_USAGE;
    const pnl = last - deps.startingCash;
    const returns = periodReturns(equity);
    const exposure = mean(marks.map((m) => (m.equity > 0 ? m.grossExposure / m.equity : 0)));
    const ba = betaAlpha(returns, spyReturns, rfReturns);
    return {
      account,
      role: account === deps.chairAccount ? 'council' : 'member',
      seat: account === deps.chairAccount ? null : (seatOf.get(account) ?? null),
      equity: last,
      weekPnl: last - (equity[weekStart] as number),
      weekReturn: last / (equity[weekStart] as number) - 1,
      pnl,
      performance: performance(equity, rf),
      trades: tradeStats(trips.filter((t) => t.account === account)),
      turnover: mean(equity) > 0 ? own.reduce((s, f) => s + Math.abs(notionalCents(f.qty, f.price)), 0) / 100 / mean(equity) : 0,
      fees: own.reduce((s, f) => s + cents(f.fee), 0) / 100,
      exposure,
      timeInMarket: marks.filter((m) => m.grossExposure > 0).length / marks.length,
      beta: ba?.beta ?? null,
      alpha: ba?.alpha ?? null,
      informationRatio: informationRatio(returns, spyReturns),
      calmar: calmar(equity),
      drawdownSessions: drawdownDuration(equity),
      scaled: {
        spy: performance(scaledCurve(benchmark.equity, exposure, deps.startingCash), rf),
        equalWeight: performance(scaledCurve(equalWeight.equity, exposure, deps.startingCash), rf),
      },
      usage,
      pnlPerTokenDollar: usage.costUsd > 0 ? pnl / usage.costUsd : null,
    };
  });

  const councilReport = accounts.find((a) => a.role === 'council');
  const members = accounts.filter((a) => a.role === 'member');
  let deliberation: Postmortem['deliberation'] = null;
  if (councilReport && members.length) {
    const best = members.reduce((b, m) => (m.performance.totalReturn > b.performance.totalReturn ? m : b));
    const med = median(members.map((m) => m.performance.totalReturn));
    const c = councilReport.performance.totalReturn;
    const curveOf = (account: string) => curves.find((x) => x.account === account)?.equity ?? [];
    deliberation = {
      council: c,
      best: { account: best.account, totalReturn: best.performance.totalReturn },
      median: med,
      vsBest: c - best.performance.totalReturn,
      vsMedian: c - med,
      weekly: weeklyEdge(
        dates,
        curveOf(councilReport.account),
        members.map((m) => curveOf(m.account)),
      ),
    };
  }

  const { calibration, killShots } = calibrate(
    states.filter((s) => s.started!.week >= firstWeek),
    prices,
    calendar,
    to,
  );
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
    marks: curves.map(({ account, marks }) => ({ account, marks })),
    scaledBenchmarks: {
      exposure: mean(accounts.map((a) => a.exposure)),
      spy: scaledCurve(benchmark.equity, mean(accounts.map((a) => a.exposure)), deps.startingCash),
      equalWeight: scaledCurve(equalWeight.equity, mean(accounts.map((a) => a.exposure)), deps.startingCash),
    },
    ledger: { fills, trips },
    riskFree: { source: riskFree.source, cashInterest: deps.cashInterest ?? false, returns: rfReturns },
    benchmark,
    equalWeight,
    deliberation,
    calibration,
    killShots,
    usage: [...usageByAccount.values()].reduce(addUsage, NO_USAGE),
  };
}

/**
 * Buy-and-hold: equal dollars in each symbol at the base close, never rebalanced. With `costs`, it pays
 * what the accounts pay: whole shares bought at the close plus slippage, and the broker's fee.
 */
function benchmarkOf(
  name: string,
  symbols: readonly string[],
  dates: readonly string[],
  prices: Prices,
  cash: number,
  weekStart: number,
  rf: { riskFreeReturns: readonly number[] },
  costs?: PostmortemDeps['costs'],
): BenchmarkReport {
  const base = dates[0] as string;
  const last = new Map<string, number>();
  let left = cents(cash);
  const shares = new Map<string, number>();
  for (const s of symbols) {
    const close = prices.close(s, base) as number;
    if (!costs) continue;
    const price = Math.round(close * (1 + costs.slippageBps / 10_000) * 10_000) / 10_000;
    const qty = Math.floor(cash / symbols.length / price);
    left -= notionalCents(qty, price) + Math.max(cents(costs.minFee), Math.round(costs.feePerShare * 100 * qty));
    shares.set(s, qty);
  }
  // With costs the base mark is the cash before buying, so the entry costs fall in the first session's return.
  const equity = dates.map((date, i) => {
    if (costs && i === 0) return cash;
    let value = costs ? left / 100 : 0;
    for (const s of symbols) {
      const close = prices.close(s, date) ?? last.get(s) ?? (prices.close(s, base) as number);
      last.set(s, close);
      value += costs ? (shares.get(s) as number) * close : (cash / symbols.length) * (close / (prices.close(s, base) as number));
    }
    return value;
  });
  const end = equity[equity.length - 1] as number;
  return { name, symbols: [...symbols], weekReturn: end / (equity[weekStart] as number) - 1, performance: performance(equity, rf), equity };
}

/** A benchmark held at a constant fraction `exposure` of equity (rest in cash), rebalanced daily at no further cost. */
function scaledCurve(equity: readonly number[], exposure: number, cash: number): number[] {
  let value = cash * ((equity[0] as number) / cash);
  return equity.map((x, i) => {
    if (i > 0) value *= 1 + exposure * (x / (equity[i - 1] as number) - 1);
    return value;
  });
}

/** Each council week's return (last close of the week over the last close before it); `weeks` is each date's Monday. */
function weeklyReturns(weeks: readonly string[], equity: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  let base = equity[0] as number;
  for (let i = 1; i < weeks.length; i++) {
    const week = weeks[i] as string;
    if (i + 1 < weeks.length && weeks[i + 1] === week) continue;
    out.set(week, (equity[i] as number) / base - 1);
    base = equity[i] as number;
  }
  return out;
}

/** Council minus median member, week by week, with a seeded block bootstrap (blocks of 4 weeks, 2,000 draws). */
function weeklyEdge(dates: readonly string[], council: readonly number[], members: readonly (readonly number[])[]): NonNullable<Postmortem['deliberation']>['weekly'] {
  const weeks = dates.map(mondayOf);
  const c = weeklyReturns(weeks, council);
  const ms = members.map((m) => weeklyReturns(weeks, m));
  const diffs = [...c.entries()].map(([week, r]) => r - median(ms.map((m) => m.get(week) ?? 0)));
  const ci = blockBootstrapMean(diffs, { block: 4, draws: 2000, seed: 15 });
  if (!ci) return null;
  // Too few weeks say nothing, however narrow their interval: the JSON's verdict is the one the text gives.
  const verdict = ci.n < MIN_WEEKS ? 'inconclusive' : ci.low > 0 ? 'added' : ci.high < 0 ? 'subtracted' : 'inconclusive';
  return { weeks: ci.n, mean: ci.mean, low: ci.low, high: ci.high, verdict };
}

/** The stop level of each entry: its invalidation rule's price threshold on the traded symbol, when it has one. */
function stopLevels(states: readonly WeekState[]): (proposalId: string, account: string, symbol: string) => number | null {
  const byProposal = new Map<string, WeekState>();
  for (const s of states) if (s.proposal) byProposal.set(s.proposal.proposalId, s);
  return (proposalId, account, symbol) => {
    const s = byProposal.get(proposalId);
    if (!s?.started) return null;
    // The stop the position carried at the broker, when it was planned with one; else its invalidation level.
    const stop = s.proposal?.targets?.find((t) => t.account === account && t.symbol === symbol)?.stop;
    if (stop !== undefined && stop !== null) return stop;
    const conditions =
      s.started.chair.account === account
        ? s.decision?.decision.invalidation.conditions
        : s.pitches.get(s.started.seats.find((x) => x.account === account)?.id ?? '')?.pitch?.invalidation.conditions;
    return conditions?.find((c) => c.symbol === symbol && c.indicator === 'close')?.threshold ?? null;
  };
}

/** How many of `bars` (ascending by date, as MarketData gives them) are dated `date` or earlier: a binary search, as a linear one per pitch made a long backtest's postmortem quadratic. */
function barsThrough(bars: readonly Bar[], date: string): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((bars[mid] as Bar).date <= date) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A pitch's realised return: its direction times the instrument's move from the week's first open to
 * its last close (the holding the accounts had), FLAT counting as zero.
 */
function pitchReturn(prices: Prices, calendar: TradingCalendar, week: string, instrument: string, direction: string, to: string): number | null {
  if (direction === 'FLAT') return 0;
  const first = calendar.isTradingDay(week) ? week : calendar.nextTradingDay(week);
  const bars = prices.bars(instrument);
  const atFirst = bars[barsThrough(bars, first) - 1];
  const open = atFirst?.date === first ? atFirst.open : undefined;
  const friday = addDays(week, 4) < to ? addDays(week, 4) : to;
  const last = bars[barsThrough(bars, friday) - 1];
  const close = last !== undefined && last.date >= first ? last.close : undefined;
  if (open === undefined || close === undefined) return null;
  return (direction === 'SHORT' ? -1 : 1) * (close / open - 1);
}

function calibrate(states: readonly WeekState[], prices: Prices, calendar: TradingCalendar, to: string): { calibration: Calibration[]; killShots: KillShot[] } {
  const byReviewer = new Map<string, { scores: number[]; returns: number[] }>();
  const killShots: KillShot[] = [];
  const end = nyDateTime(to, '16:00').getTime();
  for (const s of states) {
    const week = s.started!.week;
    if (nyDateTime(week, '09:30').getTime() > end) continue;
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
          killShots.push({
            week,
            reviewer: review.reviewer,
            target: score.seat,
            trade: `${pitch.direction} ${pitch.instrument}`,
            killShot: score.killShot,
            flipCondition: score.flipCondition,
            realised,
          });
      }
      byReviewer.set(review.reviewer, row);
    }
  }
  const calibration = [...byReviewer.entries()]
    .map(([reviewer, { scores, returns }]) => ({
      reviewer,
      pitches: scores.length,
      meanScore: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null,
      correlation: scores.length >= MIN_PAIRS ? correlation(scores, returns) : null,
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
