/**
 * Every performance figure the council reports, computed in one place from plain numbers: daily
 * equity marks in, returns, risk and trade statistics out. No I/O, no dates beyond labels.
 */
import { seededRandom } from './random.ts';

export const TRADING_DAYS_PER_YEAR = 252;

export interface RiskOptions {
  /** Annual risk-free rate as a fraction (0.04 = 4 %); default 0. Applied per day as rate / 252. */
  riskFreeRate?: number;
  /** The risk-free return of each period, aligned with the returns (wins over riskFreeRate). */
  riskFreeReturns?: readonly number[];
  periodsPerYear?: number;
}

/** Below this many daily returns Sharpe, Sortino and volatility are not shown ("n/a (N sessions)"). */
export const MIN_RETURNS = 20;
/** Below this many pairs a correlation is not shown. */
export const MIN_PAIRS = 10;
/** Below this many weeks "did deliberation add value?" is inconclusive, whatever the interval says. */
export const MIN_WEEKS = 10;

/** Simple period returns: r[i] = equity[i+1] / equity[i] - 1. */
export function periodReturns(equity: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < equity.length; i++) out.push((equity[i] as number) / (equity[i - 1] as number) - 1);
  return out;
}

/** last / first - 1; 0 for fewer than two marks. */
export function totalReturn(equity: readonly number[]): number {
  if (equity.length < 2) return 0;
  return (equity[equity.length - 1] as number) / (equity[0] as number) - 1;
}

/** Compound annual growth over `periods` periods of `periodsPerYear`. */
export function annualisedReturn(equity: readonly number[], periodsPerYear = TRADING_DAYS_PER_YEAR): number {
  if (equity.length < 2) return 0;
  return (1 + totalReturn(equity)) ** (periodsPerYear / (equity.length - 1)) - 1;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Sample standard deviation (n - 1). */
export function stdev(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const excessOf = (returns: readonly number[], o: RiskOptions) => {
  if (o.riskFreeReturns) return returns.map((r, i) => r - (o.riskFreeReturns?.[i] ?? 0));
  const perPeriod = (o.riskFreeRate ?? 0) / (o.periodsPerYear ?? TRADING_DAYS_PER_YEAR);
  return returns.map((r) => r - perPeriod);
};

/**
 * Annualised Sharpe ratio: mean excess return over its sample deviation, times sqrt(periods per year). Null
 * when undefined: too short, or an account that took no risk (its own returns never moved; against a
 * varying T-bill rate its excess returns would, and read as a Sharpe of -100 for cash).
 */
export function sharpe(returns: readonly number[], o: RiskOptions = {}): number | null {
  if (!(stdev(returns) > 1e-12)) return null;
  const excess = excessOf(returns, o);
  const sd = stdev(excess);
  if (!(sd > 1e-12)) return null;
  return (mean(excess) / sd) * Math.sqrt(o.periodsPerYear ?? TRADING_DAYS_PER_YEAR);
}

/**
 * Annualised Sortino ratio: mean excess return over the downside deviation, the root mean square of
 * the negative excess returns taken over every period (zero for the others). Null when nothing fell, or
 * for an account that took no risk (as Sharpe).
 */
export function sortino(returns: readonly number[], o: RiskOptions = {}): number | null {
  if (!(stdev(returns) > 1e-12)) return null;
  const excess = excessOf(returns, o);
  if (excess.length < 2) return null;
  const downside = Math.sqrt(excess.reduce((s, r) => s + Math.min(0, r) ** 2, 0) / excess.length);
  if (!(downside > 1e-12)) return null;
  return (mean(excess) / downside) * Math.sqrt(o.periodsPerYear ?? TRADING_DAYS_PER_YEAR);
}

export interface Drawdown {
  /** The deepest fall from a running peak, as a positive fraction (0.337 = 33.7 %). */
  depth: number;
  peakIndex: number;
  troughIndex: number;
}

export function maxDrawdown(equity: readonly number[]): Drawdown {
  let best: Drawdown = { depth: 0, peakIndex: 0, troughIndex: 0 };
  let peak = 0;
  for (let i = 0; i < equity.length; i++) {
    const x = equity[i] as number;
    if (x > (equity[peak] as number)) peak = i;
    const depth = 1 - x / (equity[peak] as number);
    if (depth > best.depth) best = { depth, peakIndex: peak, troughIndex: i };
  }
  return best;
}

/** The fall below the running peak at every mark, as a non-positive fraction (-0.1 = 10 % under water). */
export function drawdownSeries(equity: readonly number[]): number[] {
  let peak = Number.NEGATIVE_INFINITY;
  return equity.map((x) => {
    peak = Math.max(peak, x);
    return x / peak - 1;
  });
}

/** Pearson correlation; null with fewer than three pairs or no variation on either side. */
export function correlation(xs: readonly number[], ys: readonly number[]): number | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 3) return null;
  const mx = mean(xs.slice(0, n));
  const my = mean(ys.slice(0, n));
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    const dy = (ys[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx < 1e-18 || syy < 1e-18) return null;
  return sxy / Math.sqrt(sxx * syy);
}

export interface Fill {
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  price: number;
  fee: number;
  /** Session date of the fill, YYYY-MM-DD. */
  date: string;
}

/** Traded notional over average equity: 1.0 means the account traded its own size once. */
export function turnover(fills: readonly Fill[], equity: readonly number[]): number {
  const avg = mean(equity);
  if (!(avg > 0)) return 0;
  return fills.reduce((s, f) => s + Math.abs(f.qty * f.price), 0) / avg;
}

export const totalFees = (fills: readonly Fill[]): number => fills.reduce((s, f) => s + f.fee, 0);

/**
 * Marks an account at each session's close: cash moves with every fill on or before that session,
 * positions are valued at that session's close (or the last known close before it).
 */
export function equityCurve(startingCash: number, fills: readonly Fill[], dates: readonly string[], closeOf: (symbol: string, date: string) => number | undefined): number[] {
  const sorted = [...fills].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const positions = new Map<string, number>();
  const lastClose = new Map<string, number>();
  let cash = startingCash;
  let next = 0;
  return dates.map((date) => {
    while (next < sorted.length && (sorted[next] as Fill).date <= date) {
      const f = sorted[next++] as Fill;
      const signed = f.side === 'buy' ? f.qty : -f.qty;
      cash -= signed * f.price + f.fee;
      positions.set(f.symbol, (positions.get(f.symbol) ?? 0) + signed);
      if (!lastClose.has(f.symbol)) lastClose.set(f.symbol, f.price);
    }
    let equity = cash;
    for (const [symbol, qty] of positions) {
      if (qty === 0) continue;
      const close = closeOf(symbol, date);
      if (close !== undefined) lastClose.set(symbol, close);
      equity += qty * (lastClose.get(symbol) ?? 0);
    }
    return equity;
  });
}

export interface Performance {
  /** Daily returns the figures rest on (Sharpe, Sortino and volatility are null below MIN_RETURNS). */
  sessions: number;
  totalReturn: number;
  annualisedReturn: number;
  sharpe: number | null;
  sortino: number | null;
  maxDrawdown: number;
  volatility: number | null;
}

/** The headline figures of one equity curve of daily marks. */
export function performance(equity: readonly number[], o: RiskOptions = {}): Performance {
  const returns = periodReturns(equity);
  const sd = stdev(returns);
  const enough = returns.length >= MIN_RETURNS;
  return {
    sessions: returns.length,
    totalReturn: totalReturn(equity),
    annualisedReturn: annualisedReturn(equity, o.periodsPerYear),
    sharpe: enough ? sharpe(returns, o) : null,
    sortino: enough ? sortino(returns, o) : null,
    maxDrawdown: maxDrawdown(equity).depth,
    volatility: enough && Number.isFinite(sd) ? sd * Math.sqrt(o.periodsPerYear ?? TRADING_DAYS_PER_YEAR) : null,
  };
}

/** Beta and annualised alpha (Jensen's, on excess returns when `rf` is given) of `returns` against `market`; null below MIN_RETURNS. */
export function betaAlpha(
  returns: readonly number[],
  market: readonly number[],
  rf: readonly number[] = [],
  periodsPerYear = TRADING_DAYS_PER_YEAR,
): { beta: number; alpha: number } | null {
  const n = Math.min(returns.length, market.length);
  if (n < MIN_RETURNS) return null;
  const y = returns.slice(0, n).map((r, i) => r - (rf[i] ?? 0));
  const x = market.slice(0, n).map((r, i) => r - (rf[i] ?? 0));
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((x[i] as number) - mx) * ((y[i] as number) - my);
    sxx += ((x[i] as number) - mx) ** 2;
  }
  if (sxx < 1e-18) return null;
  const beta = sxy / sxx;
  return { beta, alpha: (my - beta * mx) * periodsPerYear };
}

/** Annualised mean active return over tracking error; null below MIN_RETURNS or with no tracking error. */
export function informationRatio(returns: readonly number[], benchmark: readonly number[], periodsPerYear = TRADING_DAYS_PER_YEAR): number | null {
  const n = Math.min(returns.length, benchmark.length);
  if (n < MIN_RETURNS) return null;
  const active = returns.slice(0, n).map((r, i) => r - (benchmark[i] as number));
  const sd = stdev(active);
  if (!(sd > 1e-12)) return null;
  return (mean(active) / sd) * Math.sqrt(periodsPerYear);
}

/** Annualised return over maximum drawdown; null without a drawdown. */
export function calmar(equity: readonly number[], periodsPerYear = TRADING_DAYS_PER_YEAR): number | null {
  const dd = maxDrawdown(equity).depth;
  return dd > 1e-12 ? annualisedReturn(equity, periodsPerYear) / dd : null;
}

/** The longest stretch under a previous peak, in marks (sessions), and whether it is still running at the end. */
export function drawdownDuration(equity: readonly number[]): { sessions: number; ongoing: boolean } {
  let peak = Number.NEGATIVE_INFINITY;
  let since = 0;
  let longest = 0;
  let ongoing = false;
  for (const [i, x] of equity.entries()) {
    if (x >= peak) {
      peak = x;
      since = i;
    }
    const under = i - since;
    if (under >= longest && under > 0) {
      longest = under;
      ongoing = i === equity.length - 1;
    } else if (i === equity.length - 1) ongoing = false;
  }
  return { sessions: longest, ongoing: ongoing && longest > 0 };
}

/** Returns per period label (e.g. "2019-03" or "2019"): each period's last mark over the previous period's last mark. */
export function periodicReturns(dates: readonly string[], equity: readonly number[], labelOf: (date: string) => string): { period: string; ret: number }[] {
  const out: { period: string; ret: number }[] = [];
  let base = equity[0] as number;
  for (let i = 1; i < dates.length; i++) {
    const label = labelOf(dates[i] as string);
    const lastOfPeriod = i === dates.length - 1 || labelOf(dates[i + 1] as string) !== label;
    if (!lastOfPeriod) continue;
    out.push({ period: label, ret: (equity[i] as number) / base - 1 });
    base = equity[i] as number;
  }
  return out;
}

/** Sharpe over each trailing window of `window` periods (annualised with periodsPerYear); null entries before the first full window. */
export function rollingSharpe(returns: readonly number[], window: number, periodsPerYear: number, rf: readonly number[] = []): (number | null)[] {
  return returns.map((_, i) => (i + 1 < window ? null : sharpe(returns.slice(i + 1 - window, i + 1), { riskFreeReturns: rf.slice(i + 1 - window, i + 1), periodsPerYear })));
}

/**
 * A moving-block bootstrap interval on the mean of `xs` (e.g. weekly return differences): resamples
 * blocks of `block` consecutive values (keeping short-range dependence), `draws` times, seeded.
 */
export function blockBootstrapMean(
  xs: readonly number[],
  o: { block?: number; draws?: number; level?: number; seed?: number } = {},
): { mean: number; low: number; high: number; n: number } | null {
  const n = xs.length;
  if (n < 2) return null;
  const block = Math.max(1, Math.min(o.block ?? 4, n));
  const draws = o.draws ?? 2000;
  const level = o.level ?? 0.95;
  const random = seededRandom(o.seed ?? 15);
  const means: number[] = [];
  for (let d = 0; d < draws; d++) {
    let sum = 0;
    let count = 0;
    while (count < n) {
      const start = Math.floor(random() * (n - block + 1));
      for (let j = 0; j < block && count < n; j++, count++) sum += xs[start + j] as number;
    }
    means.push(sum / n);
  }
  means.sort((a, b) => a - b);
  const at = (q: number) => means[Math.min(draws - 1, Math.max(0, Math.floor(q * draws)))] as number;
  return { mean: mean(xs), low: at((1 - level) / 2), high: at(1 - (1 - level) / 2), n };
}
