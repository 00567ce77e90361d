/**
 * Indicators checked against formulas written out here from the raw CSV, not through trading-signals:
 * SPY on Friday 2024-03-01, from the same 300-session window the snapshot uses.
 */
import { EMA, getLogReturns, getMaximum, getStandardDeviation, MACD, RSI, SMA } from 'trading-signals';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledBarsDir, createCsvMarketData } from '../../src/market/csv.ts';
import { computeIndicators, INDICATOR_NAMES, IndicatorsOnDemand, type IndicatorSet, MIN_HISTORY, type SymbolIndicatorName } from '../../src/market/indicators.ts';
import type { Bar } from '../../src/market/port.ts';
import { SNAPSHOT_LOOKBACK } from '../../src/market/snapshot.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { readRaw } from './raw.ts';

const DAY = '2024-03-01';
const raw = readRaw('SPY');
const end = raw.findIndex((bar) => bar.date === DAY) + 1;
const closes = raw.slice(end - SNAPSHOT_LOOKBACK, end).map((bar) => bar.close);
const at = (back: number): number => closes[closes.length - 1 - back] as number;
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function wilderRsi(xs: readonly number[], period: number): number {
  const changes = xs.slice(1).map((x, i) => x - (xs[i] as number));
  let gain = mean(changes.slice(0, period).map((c) => Math.max(c, 0)));
  let loss = mean(changes.slice(0, period).map((c) => Math.max(-c, 0)));
  for (const c of changes.slice(period)) {
    gain = (gain * (period - 1) + Math.max(c, 0)) / period;
    loss = (loss * (period - 1) + Math.max(-c, 0)) / period;
  }
  return 100 - 100 / (1 + gain / loss);
}

/** An EMA seeded, as TA-Lib does, with the simple mean of its first `period` inputs. */
function emaSeries(xs: readonly number[], period: number): number[] {
  const k = 2 / (period + 1);
  const out: number[] = [mean(xs.slice(0, period))];
  for (const x of xs.slice(period)) out.push(x * k + (out[out.length - 1] as number) * (1 - k));
  return out;
}

let window: Bar[] = [];
let spy: IndicatorSet;
const syntheticBars = (n: number): Bar[] =>
  Array.from({ length: n }, (_, i) => {
    const close = 100 + 10 * Math.sin(i / 7) + i * 0.05;
    return { date: `d${String(i).padStart(4, '0')}`, open: close, high: close, low: close, close, volume: 1 };
  });

describe('Indicators of SPY on 2024-03-01', () => {
  beforeAll(async () => {
    const md = createCsvMarketData(bundledBarsDir());
    window = await md.bars({ symbol: 'SPY', asOf: nyDateTime('2024-03-04', '08:00'), limit: SNAPSHOT_LOOKBACK });
    spy = computeIndicators(window);
  });

  it('Given the snapshot window from the CSV source, Then it is the same 300 closes read independently', () => {
    expect(window.map((bar) => bar.close)).toEqual(closes);
    expect(window.at(-1)?.date).toBe(DAY);
  });

  it('Then close, returns and simple moving averages match the formulas to 1e-9', () => {
    expect(spy.close).toBe(at(0));
    expect(spy.return_1d).toBeCloseTo(at(0) / at(1) - 1, 9);
    expect(spy.return_1w).toBeCloseTo(at(0) / at(5) - 1, 9);
    expect(spy.return_1m).toBeCloseTo(at(0) / at(21) - 1, 9);
    expect(spy.sma_20).toBeCloseTo(mean(closes.slice(-20)), 9);
    expect(spy.sma_50).toBeCloseTo(mean(closes.slice(-50)), 9);
    expect(spy.sma_200).toBeCloseTo(mean(closes.slice(-200)), 9);
  });

  it('Then RSI-14 matches Wilder smoothing (seeded with the mean of the first 14 changes) to 1e-9', () => {
    expect(spy.rsi_14).toBeCloseTo(wilderRsi(closes, 14), 9);
  });

  it('Then realised volatility is the annualised sample deviation of 20 log returns, to 1e-12', () => {
    const logs = closes
      .slice(-21)
      .slice(1)
      .map((x, i) => Math.log(x / (closes.slice(-21)[i] as number)));
    const m = mean(logs);
    const variance = logs.reduce((s, r) => s + (r - m) ** 2, 0) / (logs.length - 1);
    expect(spy.realized_vol_20).toBeCloseTo(Math.sqrt(variance * 252), 12);
  });

  it('Then the distance from the 52-week high uses the 252 latest closes, today included', () => {
    expect(spy.dist_52w_high).toBeCloseTo(at(0) / Math.max(...closes.slice(-252)) - 1, 12);
  });

  it('Then MACD 12/26/9 agrees with TA-Lib-style seeding to 1e-6: after 300 sessions the seed has washed out', () => {
    const fast = emaSeries(closes, 12).slice(26 - 12);
    const slow = emaSeries(closes, 26);
    const line = slow.map((s, i) => (fast[i] as number) - s);
    const signal = emaSeries(line, 9);
    const macd = line.at(-1) as number;
    const sig = signal.at(-1) as number;
    expect(spy.macd).toBeCloseTo(macd, 6);
    expect(spy.macd_signal).toBeCloseTo(sig, 6);
    expect(spy.macd_hist).toBeCloseTo(macd - sig, 6);
  });
});

describe('Indicators of a short history', () => {
  it('Given no bars, Then every indicator is null', () => {
    expect(Object.values(computeIndicators([])).every((v) => v === null)).toBe(true);
  });

  const names = Object.keys(MIN_HISTORY) as SymbolIndicatorName[];
  for (const name of names) {
    const need = MIN_HISTORY[name];
    it(`Given ${need - 1} sessions, Then ${name} is null; given ${need}, Then it is a finite number`, () => {
      expect(computeIndicators(syntheticBars(need - 1))[name]).toBeNull();
      expect(Number.isFinite(computeIndicators(syntheticBars(need))[name])).toBe(true);
    });
  }

  it('Then the per-symbol names are every indicator name except vix', () => {
    expect([...names].sort()).toEqual(INDICATOR_NAMES.filter((n) => n !== 'vix').sort());
  });
});

/** The indicators as trading-signals 8.3's classes compute them, the reference the plain loops must equal bit for bit. */
function libraryIndicators(closes: readonly number[]) {
  const sma = (period: number) => {
    if (closes.length < period) return null;
    const indicator = new SMA(period);
    for (const close of closes.slice(-period)) indicator.add(close);
    return indicator.getResult();
  };
  const rsi = new RSI(14);
  const macd = new MACD(new EMA(12), new EMA(26), new EMA(9));
  for (const close of closes) {
    rsi.add(close);
    macd.add(close);
  }
  const m = closes.length >= MIN_HISTORY.macd ? macd.getResult() : null;
  const settled = closes.length >= MIN_HISTORY.macd_signal;
  return {
    rsi_14: closes.length >= 15 ? rsi.getResult() : null,
    macd: m?.macd ?? null,
    macd_signal: settled ? (m?.signal ?? null) : null,
    macd_hist: settled ? (m?.histogram ?? null) : null,
    sma_20: sma(20),
    sma_50: sma(50),
    sma_200: sma(200),
    realized_vol_20: closes.length >= 21 ? getStandardDeviation(getLogReturns(closes.slice(-21))) * Math.sqrt(20 / 19) * Math.sqrt(252) : null,
    dist_52w_high: closes.length >= 252 ? (closes[closes.length - 1] as number) / getMaximum(closes.slice(-252)) - 1 : null,
  };
}

describe('Indicators against trading-signals, to the last bit', () => {
  it('Given every bundled symbol and 300-session windows ending on each 13th session, Then RSI, MACD, the SMAs, realised volatility and the distance from the high are the numbers of the library exactly', () => {
    let windows = 0;
    for (const symbol of ['SPY', 'QQQ', 'IWM', 'TLT', 'GLD', 'HYG', 'USO', 'UUP', 'VIX']) {
      const all = readRaw(symbol).map((bar) => bar.close);
      for (let end = 1; end <= all.length; end += 13) {
        const window = all.slice(Math.max(0, end - SNAPSHOT_LOOKBACK), end);
        const bars = window.map((close, i): Bar => ({ date: String(i), open: close, high: close, low: close, close, volume: 0 }));
        const ours = computeIndicators(bars);
        const theirs = libraryIndicators(window);
        for (const [name, value] of Object.entries(theirs))
          expect(Object.is(ours[name as SymbolIndicatorName], value), `${symbol} ${end} ${name}: ${ours[name as SymbolIndicatorName]} vs ${value}`).toBe(true);
        windows++;
      }
    }
    expect(windows).toBeGreaterThan(3000);
  });

  it('Given flat and falling prices (no losses, no gains), Then RSI and MACD match the library exactly', () => {
    for (const closes of [Array.from({ length: 40 }, () => 50), Array.from({ length: 40 }, (_, i) => 100 - i), Array.from({ length: 40 }, (_, i) => 10 + i)]) {
      const bars = closes.map((close, i): Bar => ({ date: String(i), open: close, high: close, low: close, close, volume: 0 }));
      const ours = computeIndicators(bars);
      for (const [name, value] of Object.entries(libraryIndicators(closes))) expect(Object.is(ours[name as SymbolIndicatorName], value), name).toBe(true);
    }
  });
});

describe('Indicators worked out on demand (a checkpoint reads the one or two its rules name)', () => {
  it('Given every bundled symbol, windows of every length up to 300 ending on each 17th session, and the values read in any order, Then each is computeIndicators’ number to the last bit', async () => {
    const md = createCsvMarketData(bundledBarsDir());
    const names = [...Object.keys(computeIndicators([])), 'atr_14'] as (SymbolIndicatorName | 'atr_14')[];
    let windows = 0;
    for (const symbol of ['SPY', 'TLT', 'USO', 'VIX']) {
      const all = await md.bars({ symbol, asOf: new Date('2100-01-01T00:00:00Z') });
      for (let end = 1; end <= all.length; end += 17) {
        const bars = all.slice(Math.max(0, end - (end % SNAPSHOT_LOOKBACK) - 1), end);
        const eager = computeIndicators(bars);
        const lazy = new IndicatorsOnDemand(bars);
        // Read in a different order each window, some twice: the order must not matter.
        const order = names.map((_, i) => names[(i * 5 + end) % names.length] as SymbolIndicatorName | 'atr_14');
        for (const name of [...order, ...order.slice(0, 3)]) expect(Object.is(lazy[name], eager[name]), `${symbol} ${end} ${name}: ${lazy[name]} vs ${eager[name]}`).toBe(true);
        windows++;
      }
    }
    expect(windows).toBeGreaterThan(1000);
  });

  it('Given no bars, Then every indicator reads null', () => {
    const lazy = new IndicatorsOnDemand([]);
    for (const name of Object.keys(computeIndicators([])) as SymbolIndicatorName[]) expect(lazy[name]).toBeNull();
  });
});
