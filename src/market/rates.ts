/**
 * The risk-free rate: FRED DTB3 (3-month T-bill, secondary market, discount basis, percent per year),
 * bundled in market-data/rates with its provenance. A session's risk-free return is the last rate
 * published before that session, divided by 252 (the sessions in a year); that convention is the one
 * every Sharpe, Sortino, alpha and the simulated broker's cash interest use.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUNDLED_RATES_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../market-data/rates/DTB3.csv');
export const RATE_SOURCE = 'FRED DTB3 (3-month T-bill), last value before each session, / 252 per session';

export interface RiskFree {
  source: string;
  /** The risk-free return earned over the session ending on `date` (YYYY-MM-DD). */
  daily(date: string): number;
}

/** Parses DTB3.csv (`date,rate_pct`, ascending); throws on a malformed line. */
export function parseRates(text: string): { dates: string[]; rates: number[] } {
  const dates: string[] = [];
  const rates: number[] = [];
  for (const [i, line] of text.trim().split(/\r?\n/).entries()) {
    if (i === 0) continue;
    const [date, pct] = line.split(',');
    const rate = Number(pct);
    if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !Number.isFinite(rate)) throw new Error(`rates: bad line ${i + 1}: ${line}`);
    dates.push(date);
    rates.push(rate / 100);
  }
  return { dates, rates };
}

export function riskFreeOf(text: string, source = RATE_SOURCE): RiskFree {
  const { dates, rates } = parseRates(text);
  const memo = new Map<string, number>();
  return {
    source,
    daily(date) {
      const known = memo.get(date);
      if (known !== undefined) return known;
      // The last observation strictly before the session: what was published by its open.
      let lo = 0;
      let hi = dates.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((dates[mid] as string) < date) lo = mid + 1;
        else hi = mid;
      }
      const value = lo === 0 ? 0 : (rates[lo - 1] as number) / 252;
      memo.set(date, value);
      return value;
    },
  };
}

let bundled: RiskFree | undefined;
/** The bundled DTB3 series, read once. */
export function bundledRiskFree(): RiskFree {
  bundled ??= riskFreeOf(readFileSync(BUNDLED_RATES_FILE, 'utf8'));
  return bundled;
}

/** A zero rate, said as such in the report. */
export const ZERO_RATE: RiskFree = { source: 'zero (no risk-free rate)', daily: () => 0 };
