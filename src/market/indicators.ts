/**
 * The indicator set of the last bar of a daily history (ascending, one bar per session), from closes only.
 * A value is null when the history is too short for it.
 *
 * RSI, MACD and their exponential averages carry memory of the whole history fed in, so two histories that
 * end on the same day but start on different days give slightly different values; callers wanting
 * reproducible numbers pass a fixed-length window (see SNAPSHOT_LOOKBACK).
 *
 * Every indicator is a plain loop doing the arithmetic of trading-signals 8.3 (`RSI`: Wilder's WSMA seeded
 * by an SMA; `MACD`: three EMAs; `SMA`; its average, deviation, log-return and maximum helpers), operation
 * for operation, so the numbers are the library's to the last bit (test/market/indicators.test.ts checks
 * it against the library) at a fraction of the cost: the library's classes keep price arrays, state and
 * signals a single last value does not need, a backtest computes a 300-session window per symbol and
 * session, and importing the library loads 176 modules (~0.1-0.2 s of every CLI start).
 */
import { INDICATORS } from '../domain/schemas.ts';
import type { Bar } from './port.ts';

/** The indicator vocabulary is the domain's: models, pitches and checkpoints all speak it. */
export const INDICATOR_NAMES = INDICATORS;

export type IndicatorName = (typeof INDICATOR_NAMES)[number];

/** Every indicator computed per symbol ('vix' is the VIX close, one value per snapshot). */
export type SymbolIndicatorName = Exclude<IndicatorName, 'vix'>;

/**
 * The indicators per symbol, plus ATR(14): the average true range sizes stops in code (src/domain/stops.ts)
 * and is not part of the vocabulary models see. A snapshot recorded before it was computed lacks it.
 */
export type IndicatorSet = Record<SymbolIndicatorName, number | null> & { atr_14?: number | null };

/** Sessions of history ATR(14) needs: 14 true ranges, each over a bar and the close before it. */
export const ATR_PERIOD = 14;

export const TRADING_DAYS_PER_YEAR = 252;

/** MACD's first value: the slow EMA's 26th close. */
const MACD_FIRST = 26;
/** The signal line is a 9-session EMA of MACD, which itself starts on the 26th session. */
const MACD_SETTLED = MACD_FIRST + 9 - 1;

/** Sessions of history each indicator needs before it has a value. */
export const MIN_HISTORY: Readonly<Record<SymbolIndicatorName, number>> = {
  close: 1,
  return_1d: 2,
  return_1w: 6,
  return_1m: 22,
  realized_vol_20: 21,
  rsi_14: 15,
  macd: MACD_FIRST,
  macd_signal: MACD_SETTLED,
  macd_hist: MACD_SETTLED,
  sma_20: 20,
  sma_50: 50,
  sma_200: 200,
  dist_52w_high: TRADING_DAYS_PER_YEAR,
};

/** The mean as trading-signals' getAverage sums it: from 0, in order (0 for no values); of `values[from..]` when given, with no copy. */
function average(values: ArrayLike<number>, from = 0): number {
  const n = values.length - from;
  if (n <= 0) return 0;
  let sum = 0;
  for (let i = from; i < values.length; i++) sum += values[i] as number;
  return sum / n;
}

/** Population standard deviation (divides by n), as trading-signals' getStandardDeviation. */
function standardDeviation(values: readonly number[]): number {
  const middle = average(values);
  return Math.sqrt(average(values.map((value) => (value - middle) * (value - middle))));
}

/** Log returns of consecutive values from `values[from]` on, as trading-signals' getLogReturns (positive values only). */
function logReturns(values: ArrayLike<number>, from = 0): number[] {
  if (values.length - from < 2) throw new Error(`The log returns have to be taken over at least 2 values, but "${values.length - from}" was given.`);
  const returns: number[] = [];
  for (let i = from + 1; i < values.length; i++) {
    const previous = values[i - 1] as number;
    const current = values[i] as number;
    if (previous <= 0 || current <= 0) throw new Error(`The log returns need positive values, but "${previous}" and "${current}" were given.`);
    returns.push(Math.log(current / previous));
  }
  return returns;
}

/** The largest of `values[from..]`, as trading-signals' getMaximum (from Number.MIN_SAFE_INTEGER). */
function maximum(values: ArrayLike<number>, from = 0): number {
  let max = Number.MIN_SAFE_INTEGER;
  for (let i = from; i < values.length; i++) if (max < (values[i] as number)) max = values[i] as number;
  return max;
}

/** Simple return over `sessions` sessions. */
function change(closes: ArrayLike<number>, sessions: number): number | null {
  const last = closes[closes.length - 1];
  const base = closes[closes.length - 1 - sessions];
  return last === undefined || base === undefined ? null : last / base - 1;
}

function sma(closes: ArrayLike<number>, period: number): number | null {
  if (closes.length < period) return null;
  // The library's SMA: the average (a sum from 0, in order) of the last `period` inputs.
  return average(closes, closes.length - period);
}

/**
 * Wilder's RSI (the library's default smoothing is Wilder's WSMA): average gain and loss seeded by the
 * simple average of the first `period` changes, then smoothed as (x - previous) / period + previous.
 */
function rsi(closes: ArrayLike<number>, period: number): number | null {
  if (closes.length < period + 1) return null;
  const factor = 1 / period;
  let gainSum = 0;
  let lossSum = 0;
  for (let i = 1; i <= period; i++) {
    const current = closes[i] as number;
    const previous = closes[i - 1] as number;
    if (current > previous) gainSum += current - previous;
    else lossSum += previous - current;
  }
  let avgGain = gainSum / period;
  let avgLoss = lossSum / period;
  for (let i = period + 1; i < closes.length; i++) {
    const current = closes[i] as number;
    const previous = closes[i - 1] as number;
    const gain = current > previous ? current - previous : 0;
    const loss = current > previous ? 0 : previous - current;
    avgGain = (gain - avgGain) * factor + avgGain;
    avgLoss = (loss - avgLoss) * factor + avgLoss;
  }
  if (avgLoss === 0) return 100;
  return 100 - 100 / (avgGain / avgLoss + 1);
}

/** The library's EMA weights: w = 2 / (interval + 1) on the price, 1 - w on the previous value. */
const FAST_WEIGHT = 2 / (12 + 1);
const FAST_REST = 1 - FAST_WEIGHT;
const SLOW_WEIGHT = 2 / (26 + 1);
const SLOW_REST = 1 - SLOW_WEIGHT;
const SIGNAL_WEIGHT = 2 / (9 + 1);
const SIGNAL_REST = 1 - SIGNAL_WEIGHT;

/**
 * MACD(12, 26, 9) as the library's `MACD`: each EMA is seeded by its first input (price × w + price × (1 - w))
 * and then steps as price × w + previous × (1 - w); the fast and slow EMAs take every close, the signal
 * EMA takes MACD from the 26th close on.
 */
function macd(closes: ArrayLike<number>): { macd: number | null; signal: number | null; histogram: number | null } {
  const first = MACD_FIRST - 1;
  if (closes.length <= first) return { macd: null, signal: null, histogram: null };
  let fast = closes[0] as number;
  let slow = fast;
  for (let i = 0; i < first; i++) {
    const close = closes[i] as number;
    fast = close * FAST_WEIGHT + fast * FAST_REST;
    slow = close * SLOW_WEIGHT + slow * SLOW_REST;
  }
  const close = closes[first] as number;
  fast = close * FAST_WEIGHT + fast * FAST_REST;
  slow = close * SLOW_WEIGHT + slow * SLOW_REST;
  let line = fast - slow;
  let signal = line * SIGNAL_WEIGHT + line * SIGNAL_REST;
  for (let i = first + 1; i < closes.length; i++) {
    const close = closes[i] as number;
    fast = close * FAST_WEIGHT + fast * FAST_REST;
    slow = close * SLOW_WEIGHT + slow * SLOW_REST;
    line = fast - slow;
    signal = line * SIGNAL_WEIGHT + signal * SIGNAL_REST;
  }
  // (module constants, not MIN_HISTORY's properties: reading those here sent V8 into a deoptimisation loop)
  const settled = closes.length >= MACD_SETTLED;
  return { macd: line, signal: settled ? signal : null, histogram: settled ? line - signal : null };
}

/** Annualised sample standard deviation of the last `period` daily log returns. */
function realizedVol(closes: ArrayLike<number>, period: number): number | null {
  if (closes.length < period + 1) return null;
  const returns = logReturns(closes, closes.length - (period + 1));
  // The library's deviation divides by n; realised volatility is conventionally the sample (n - 1) estimate.
  const sample = standardDeviation(returns) * Math.sqrt(period / (period - 1));
  return sample * Math.sqrt(TRADING_DAYS_PER_YEAR);
}

/** Close over the highest close of the last `period` sessions (today included), minus one: 0 at a new high. */
function distFromHigh(closes: ArrayLike<number>, period: number): number | null {
  const last = closes[closes.length - 1];
  if (last === undefined || closes.length < period) return null;
  return last / maximum(closes, closes.length - period) - 1;
}

/**
 * Wilder's average true range of the last bar: the true range is the widest of high - low and the gaps
 * from the previous close; the average is seeded by the mean of the first `period` ranges, then smoothed
 * as (range - previous) / period + previous. Null with fewer than period + 1 bars.
 */
export function averageTrueRange(bars: readonly Bar[], period = ATR_PERIOD): number | null {
  if (bars.length < period + 1) return null;
  const trueRange = (i: number) => {
    const bar = bars[i] as Bar;
    const previous = (bars[i - 1] as Bar).close;
    return Math.max(bar.high - bar.low, Math.abs(bar.high - previous), Math.abs(bar.low - previous));
  };
  let atr = 0;
  for (let i = 1; i <= period; i++) atr += trueRange(i);
  atr /= period;
  for (let i = period + 1; i < bars.length; i++) atr += (trueRange(i) - atr) / period;
  return atr;
}

/**
 * The set at the last of `bars`. The closes are read once into one typed array and every indicator reads
 * its part of it in place: the same values in the same order (a float64 holds a close exactly), without
 * the ~10 KB of slices per call that made indicators a sixth of a backtest's allocation (issue 21).
 */
export function computeIndicators(bars: readonly Bar[]): IndicatorSet {
  const closes = new Float64Array(bars.length);
  for (let i = 0; i < bars.length; i++) closes[i] = (bars[i] as Bar).close;
  const m = macd(closes);
  return {
    close: closes[closes.length - 1] ?? null,
    return_1d: change(closes, 1),
    return_1w: change(closes, 5),
    return_1m: change(closes, 21),
    realized_vol_20: realizedVol(closes, 20),
    rsi_14: rsi(closes, 14),
    macd: m.macd,
    macd_signal: m.signal,
    macd_hist: m.histogram,
    sma_20: sma(closes, 20),
    sma_50: sma(closes, 50),
    sma_200: sma(closes, 200),
    dist_52w_high: distFromHigh(closes, TRADING_DAYS_PER_YEAR),
    atr_14: averageTrueRange(bars),
  };
}

/**
 * computeIndicators' set, each indicator worked out the first time it is read: the same functions over
 * the same closes, so the same values to the last bit. For a reader that looks values up by name, as a
 * checkpoint reads the one or two its invalidation rules name out of fourteen (the full sets of every held
 * symbol, every session, were ~5% of a backtest: issue 21). The values are getters on the prototype, so
 * JSON, spreads and Object.keys see none of them: anything stored or shown takes computeIndicators' object.
 */
export class IndicatorsOnDemand implements IndicatorSet {
  readonly #bars: readonly Bar[];
  #closes: Float64Array | undefined;
  #macd: ReturnType<typeof macd> | undefined;
  /** Values read so far (undefined: not yet worked out). */
  readonly #known: Partial<Record<SymbolIndicatorName | 'atr_14', number | null>> = {};

  constructor(bars: readonly Bar[]) {
    this.#bars = bars;
  }

  get close(): number | null {
    const bar = this.#bars[this.#bars.length - 1];
    return bar === undefined ? null : bar.close;
  }
  get return_1d(): number | null {
    return this.#change(1);
  }
  get return_1w(): number | null {
    return this.#change(5);
  }
  get return_1m(): number | null {
    return this.#change(21);
  }
  get realized_vol_20(): number | null {
    return this.#value('realized_vol_20', (c) => realizedVol(c, 20));
  }
  get rsi_14(): number | null {
    return this.#value('rsi_14', (c) => rsi(c, 14));
  }
  get macd(): number | null {
    return this.#macdOf().macd;
  }
  get macd_signal(): number | null {
    return this.#macdOf().signal;
  }
  get macd_hist(): number | null {
    return this.#macdOf().histogram;
  }
  get sma_20(): number | null {
    return this.#value('sma_20', (c) => sma(c, 20));
  }
  get sma_50(): number | null {
    return this.#value('sma_50', (c) => sma(c, 50));
  }
  get sma_200(): number | null {
    return this.#value('sma_200', (c) => sma(c, 200));
  }
  get dist_52w_high(): number | null {
    return this.#value('dist_52w_high', (c) => distFromHigh(c, TRADING_DAYS_PER_YEAR));
  }
  get atr_14(): number | null {
    return this.#value('atr_14', () => averageTrueRange(this.#bars));
  }

  /** change() read off the bars themselves: two closes need no array of them all. */
  #change(sessions: number): number | null {
    const bars = this.#bars;
    const last = bars[bars.length - 1];
    const base = bars[bars.length - 1 - sessions];
    return last === undefined || base === undefined ? null : last.close / base.close - 1;
  }

  #value(name: SymbolIndicatorName | 'atr_14', compute: (closes: Float64Array) => number | null): number | null {
    const known = this.#known[name];
    if (known !== undefined) return known;
    const value = compute(this.#closesOf());
    this.#known[name] = value;
    return value;
  }

  #macdOf(): ReturnType<typeof macd> {
    this.#macd ??= macd(this.#closesOf());
    return this.#macd;
  }

  /** The closes in one typed array, as computeIndicators reads them. */
  #closesOf(): Float64Array {
    if (this.#closes === undefined) {
      const bars = this.#bars;
      const closes = new Float64Array(bars.length);
      for (let i = 0; i < bars.length; i++) closes[i] = (bars[i] as Bar).close;
      this.#closes = closes;
    }
    return this.#closes;
  }
}
