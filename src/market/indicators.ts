/**
 * The indicator set of the last bar of a daily history (ascending, one bar per session), from closes only.
 * A value is null when the history is too short for it.
 *
 * RSI, MACD and their exponential averages carry memory of the whole history fed in, so two histories that
 * end on the same day but start on different days give slightly different values; callers wanting
 * reproducible numbers pass a fixed-length window (see SNAPSHOT_LOOKBACK).
 */
import { EMA, getLogReturns, getMaximum, getStandardDeviation, MACD, RSI, SMA } from 'trading-signals';
import { INDICATORS } from '../domain/schemas.ts';
import type { Bar } from './port.ts';

/** The indicator vocabulary is the domain's: models, pitches and checkpoints all speak it. */
export const INDICATOR_NAMES = INDICATORS;

export type IndicatorName = (typeof INDICATOR_NAMES)[number];

/** Every indicator computed per symbol ('vix' is the VIX close, one value per snapshot). */
export type SymbolIndicatorName = Exclude<IndicatorName, 'vix'>;

export type IndicatorSet = Record<SymbolIndicatorName, number | null>;

export const TRADING_DAYS_PER_YEAR = 252;

/** Sessions of history each indicator needs before it has a value. */
export const MIN_HISTORY: Readonly<Record<SymbolIndicatorName, number>> = {
  close: 1,
  return_1d: 2,
  return_1w: 6,
  return_1m: 22,
  realized_vol_20: 21,
  rsi_14: 15,
  macd: 26,
  // The signal line is a 9-session EMA of MACD, which itself starts on the 26th session.
  macd_signal: 34,
  macd_hist: 34,
  sma_20: 20,
  sma_50: 50,
  sma_200: 200,
  dist_52w_high: TRADING_DAYS_PER_YEAR,
};

/** Simple return over `sessions` sessions. */
function change(closes: readonly number[], sessions: number): number | null {
  const last = closes[closes.length - 1];
  const base = closes[closes.length - 1 - sessions];
  return last === undefined || base === undefined ? null : last / base - 1;
}

function sma(closes: readonly number[], period: number): number | null {
  if (closes.length < period) return null;
  const indicator = new SMA(period);
  for (const close of closes.slice(-period)) indicator.add(close);
  return indicator.getResult();
}

/** Wilder's RSI (the library's default smoothing is Wilder's WSMA). */
function rsi(closes: readonly number[], period: number): number | null {
  if (closes.length < period + 1) return null;
  const indicator = new RSI(period);
  for (const close of closes) indicator.add(close);
  return indicator.getResult();
}

function macd(closes: readonly number[]): { macd: number | null; signal: number | null; histogram: number | null } {
  if (closes.length < MIN_HISTORY.macd) return { macd: null, signal: null, histogram: null };
  const indicator = new MACD(new EMA(12), new EMA(26), new EMA(9));
  for (const close of closes) indicator.add(close);
  const result = indicator.getResult();
  if (result === null) return { macd: null, signal: null, histogram: null };
  const settled = closes.length >= MIN_HISTORY.macd_signal;
  return { macd: result.macd, signal: settled ? result.signal : null, histogram: settled ? result.histogram : null };
}

/** Annualised sample standard deviation of the last `period` daily log returns. */
function realizedVol(closes: readonly number[], period: number): number | null {
  if (closes.length < period + 1) return null;
  const returns = getLogReturns(closes.slice(-(period + 1)));
  // The library's deviation divides by n; realised volatility is conventionally the sample (n - 1) estimate.
  const sample = getStandardDeviation(returns) * Math.sqrt(period / (period - 1));
  return sample * Math.sqrt(TRADING_DAYS_PER_YEAR);
}

/** Close over the highest close of the last `period` sessions (today included), minus one: 0 at a new high. */
function distFromHigh(closes: readonly number[], period: number): number | null {
  const last = closes[closes.length - 1];
  if (last === undefined || closes.length < period) return null;
  return last / getMaximum(closes.slice(-period)) - 1;
}

export function computeIndicators(bars: readonly Bar[]): IndicatorSet {
  const closes = bars.map((bar) => bar.close);
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
  };
}
