/**
 * Protective levels in code. Every view (a pitch or the chairman's decision) gets a stop after its model
 * answered, and the model never has the last word: a stop it proposes is kept only on the protective side
 * of the last close and no further than `maxStopPct` of it; without one, the stop comes from the view's
 * own price-level invalidation rule (a `close` condition on the traded symbol), else from volatility
 * (2 x ATR(14) from the last close). A take-profit is kept only on the profitable side. Every change is
 * recorded in words, as the sizing clamps are.
 */
import type { Condition, Direction } from './schemas.ts';

/** A stop's distance from the last close, in ATR(14), when it comes from volatility. */
export const ATR_STOP_MULTIPLE = 2;

/** The stop (and take-profit) a position carries at the broker. */
export interface Protection {
  stop: number;
  takeProfit: number | null;
  /** Where the stop came from. */
  source: 'view' | 'invalidation' | 'volatility';
}

export interface ProtectionInput {
  direction: Direction;
  instrument: string;
  /** The levels the view gave (null or absent: none). */
  stop?: number | null;
  takeProfit?: number | null;
  invalidation: { conditions: readonly Condition[] };
}

export interface ProtectionResult {
  protection: Protection | null;
  clamps: string[];
}

/** Prices to the cent: what an order can carry. */
export const toCents = (price: number): number => Math.round(price * 100) / 100;

const fmt = (x: number) => x.toFixed(2);

/**
 * The stop and take-profit of a view on its instrument, from the last close and ATR(14) (null when the
 * history is too short). FLAT, or no close, has no protection.
 */
export function protectionOf(view: ProtectionInput, close: number | null, atr: number | null, maxStopPct: number): ProtectionResult {
  const clamps: string[] = [];
  if (view.direction === 'FLAT') return { protection: null, clamps };
  if (close === null || !(close > 0)) return { protection: null, clamps: [`no last close for ${view.instrument}: no stop`] };
  const sign = view.direction === 'LONG' ? 1 : -1;
  const side = sign > 0 ? 'below' : 'above';
  const furthest = close * (1 - sign * maxStopPct);
  /** A candidate stop checked: on the protective side, and within maxStopPct of the close (clamped to it). */
  const check = (stop: number, what: string): number | null => {
    if (!Number.isFinite(stop) || !(stop > 0)) {
      clamps.push(`${what} ${stop} is not a price: not used`);
      return null;
    }
    if (sign * (close - stop) <= 0) {
      clamps.push(`${what} ${fmt(stop)} is not ${side} the last close ${fmt(close)}: not used`);
      return null;
    }
    if (sign * (close - stop) > close * maxStopPct + 1e-9) {
      clamps.push(`${what} ${fmt(stop)} is further than maxStopPct ${(maxStopPct * 100).toFixed(0)}% from the last close ${fmt(close)}: moved to ${fmt(furthest)}`);
      return furthest;
    }
    return stop;
  };
  let stop: number | null = null;
  let source: Protection['source'] = 'view';
  if (view.stop !== null && view.stop !== undefined) stop = check(view.stop, 'stop');
  if (stop === null) {
    // The level the view's own exit rule names: the nearest `close` threshold on the protective side.
    const levels = view.invalidation.conditions
      .filter((c) => c.symbol === view.instrument && c.indicator === 'close' && (sign > 0 ? c.comparator.startsWith('<') : c.comparator.startsWith('>')))
      .map((c) => c.threshold)
      .sort((a, b) => sign * (b - a));
    const level = levels[0];
    if (level !== undefined) {
      stop = check(level, 'invalidation level');
      source = 'invalidation';
    }
  }
  if (stop === null) {
    source = 'volatility';
    if (atr === null || !(atr > 0)) {
      clamps.push(`no ATR(14) for ${view.instrument}: the stop is maxStopPct from the last close`);
      stop = furthest;
    } else stop = check(close - sign * ATR_STOP_MULTIPLE * atr, `${ATR_STOP_MULTIPLE} x ATR(14) stop`) ?? furthest;
  }
  if (source !== 'view') clamps.push(`stop ${fmt(toCents(stop))} from ${source === 'invalidation' ? 'the invalidation level' : `${ATR_STOP_MULTIPLE} x ATR(14)`}`);
  stop = toCents(stop);
  let takeProfit: number | null = null;
  const tp = view.takeProfit;
  if (tp !== null && tp !== undefined) {
    if (Number.isFinite(tp) && sign * (tp - close) > 0) takeProfit = toCents(tp);
    else clamps.push(`take-profit ${tp} is not on the profitable side of the last close ${fmt(close)}: dropped`);
  }
  return { protection: { stop, takeProfit, source }, clamps };
}
