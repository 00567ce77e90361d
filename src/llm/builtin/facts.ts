/** Small helpers the builtin systematic seats share: reading indicators and phrasing numbers. */
import type { Condition, Indicator } from '../../domain/schemas.ts';
import type { MarketSnapshot } from '../../market/snapshot.ts';

export type Ind = Exclude<Indicator, 'vix'>;

export function ind(snapshot: MarketSnapshot, symbol: string, name: Ind): number | null {
  return snapshot.symbols[symbol]?.[name] ?? null;
}

export function need(snapshot: MarketSnapshot, symbol: string, name: Ind): number {
  const v = ind(snapshot, symbol, name);
  if (v === null || !Number.isFinite(v)) throw new Error(`${symbol} has no ${name} as of ${snapshot.lastSession}`);
  return v;
}

export const pct = (x: number, digits = 1): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(digits)}%`;
export const num = (x: number, digits = 2): string => x.toFixed(digits);

/** Rounds to the nearest step (0.25 by default) and keeps the result inside [lo, hi]. */
export const roundTo = (x: number, step = 0.25, lo = -2, hi = 2): number => Math.min(hi, Math.max(lo, Math.round(x / step) * step));

/** Prices to cents, ratios to 4 decimals: thresholds a human can read and a machine can check. */
export const level = (x: number): number => Math.round(x * 100) / 100;
export const ratio = (x: number): number => Math.round(x * 10_000) / 10_000;

export function holds(value: number, c: Pick<Condition, 'comparator' | 'threshold'>): boolean {
  switch (c.comparator) {
    case '>':
      return value > c.threshold;
    case '>=':
      return value >= c.threshold;
    case '<':
      return value < c.threshold;
    case '<=':
      return value <= c.threshold;
    default: {
      const never: never = c.comparator;
      return never;
    }
  }
}

/** The value a condition refers to, from a snapshot ('vix' reads the VIX close). */
export function conditionValue(snapshot: MarketSnapshot, c: Pick<Condition, 'symbol' | 'indicator'>): number | null {
  if (c.indicator === 'vix') return snapshot.vix;
  return ind(snapshot, c.symbol, c.indicator);
}

export const describeCondition = (c: Condition): string => `${c.indicator === 'vix' ? 'VIX' : `${c.symbol} ${c.indicator}`} ${c.comparator} ${c.threshold}`;
