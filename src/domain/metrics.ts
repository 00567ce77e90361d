/**
 * Every performance figure the council reports, computed in one place from plain numbers: daily
 * equity marks in, returns, risk and trade statistics out. No I/O, no dates beyond labels.
 */

export const TRADING_DAYS_PER_YEAR = 252;

export interface RiskOptions {
  /** Annual risk-free rate as a fraction (0.04 = 4 %); default 0. Applied per day as rate / 252. */
  riskFreeRate?: number;
  periodsPerYear?: number;
}

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
  const perPeriod = (o.riskFreeRate ?? 0) / (o.periodsPerYear ?? TRADING_DAYS_PER_YEAR);
  return returns.map((r) => r - perPeriod);
};

/** Annualised Sharpe ratio: mean excess return over its sample deviation, times sqrt(periods per year). Null when undefined (flat or too short). */
export function sharpe(returns: readonly number[], o: RiskOptions = {}): number | null {
  const excess = excessOf(returns, o);
  const sd = stdev(excess);
  if (!(sd > 1e-12)) return null;
  return (mean(excess) / sd) * Math.sqrt(o.periodsPerYear ?? TRADING_DAYS_PER_YEAR);
}

/**
 * Annualised Sortino ratio: mean excess return over the downside deviation, the root mean square of
 * the negative excess returns taken over every period (zero for the others). Null when nothing fell.
 */
export function sortino(returns: readonly number[], o: RiskOptions = {}): number | null {
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

/**
 * Realised P/L of each closing fill under average cost (the way the simulated broker keeps its
 * books): a fill that reduces or flips a position realises (exit - average cost) on the shares it
 * closes. Fees are not included here; they are reported on their own.
 */
export function closedTrades(fills: readonly Fill[]): { symbol: string; date: string; pnl: number }[] {
  const books = new Map<string, { qty: number; cost: number }>();
  const trades: { symbol: string; date: string; pnl: number }[] = [];
  for (const f of fills) {
    const signed = f.side === 'buy' ? f.qty : -f.qty;
    const book = books.get(f.symbol) ?? { qty: 0, cost: 0 };
    const closing = book.qty !== 0 && Math.sign(signed) !== Math.sign(book.qty) ? Math.min(Math.abs(signed), Math.abs(book.qty)) : 0;
    if (closing > 0) trades.push({ symbol: f.symbol, date: f.date, pnl: (f.price - book.cost) * closing * Math.sign(book.qty) });
    const qty = book.qty + signed;
    const cost = qty === 0 ? 0 : Math.sign(qty) !== Math.sign(book.qty) ? f.price : Math.abs(qty) > Math.abs(book.qty) ? (book.cost * book.qty + f.price * signed) / qty : book.cost;
    books.set(f.symbol, { qty, cost });
  }
  return trades;
}

export interface TradeStats {
  trades: number;
  /** Winning closed trades over all closed trades; null with none. */
  hitRate: number | null;
  averageWin: number | null;
  averageLoss: number | null;
}

export function tradeStats(pnls: readonly number[]): TradeStats {
  const wins = pnls.filter((p) => p > 0);
  const losses = pnls.filter((p) => p < 0);
  return {
    trades: pnls.length,
    hitRate: pnls.length ? wins.length / pnls.length : null,
    averageWin: wins.length ? mean(wins) : null,
    averageLoss: losses.length ? mean(losses) : null,
  };
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
export function equityCurve(
  startingCash: number,
  fills: readonly Fill[],
  dates: readonly string[],
  closeOf: (symbol: string, date: string) => number | undefined,
): number[] {
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
  return {
    totalReturn: totalReturn(equity),
    annualisedReturn: annualisedReturn(equity, o.periodsPerYear),
    sharpe: sharpe(returns, o),
    sortino: sortino(returns, o),
    maxDrawdown: maxDrawdown(equity).depth,
    volatility: Number.isFinite(sd) ? sd * Math.sqrt(o.periodsPerYear ?? TRADING_DAYS_PER_YEAR) : null,
  };
}
