/** The metrics against figures computed here, independently, from the bundled CSV (test/market/raw.ts parses it without src/). */
import { describe, expect, it } from 'vitest';
import { correlation, drawdownSeries, equityCurve, maxDrawdown, periodReturns, sharpe, sortino, totalReturn, turnover } from '../../src/domain/metrics.ts';
import { readRaw } from '../market/raw.ts';

const spy = readRaw('SPY');
const between = (from: string, to: string) => spy.filter((b) => b.date >= from && b.date <= to);

describe('Metrics', () => {
  it('When SPY adjusted closes of 2020 are given, Then the max drawdown is the 33.7% fall from 2020-02-19 to 2020-03-23', () => {
    const bars = between('2020-01-02', '2020-12-31');
    const dd = maxDrawdown(bars.map((b) => b.close));
    expect(bars[dd.peakIndex]?.date).toBe('2020-02-19');
    expect(bars[dd.troughIndex]?.date).toBe('2020-03-23');
    const peak = spy.find((b) => b.date === '2020-02-19')!.close;
    const trough = spy.find((b) => b.date === '2020-03-23')!.close;
    expect(dd.depth).toBeCloseTo(1 - trough / peak, 12);
    expect(Math.round(dd.depth * 1000) / 10).toBe(33.7);
    expect(Math.min(...drawdownSeries(bars.map((b) => b.close)))).toBeCloseTo(-dd.depth, 12);
  });

  it('When SPY closes for 2019 are given, Then total return, Sharpe and Sortino match a hand computation (rf 0 and rf 2%)', () => {
    const closes = between('2018-12-31', '2019-12-31').map((b) => b.close);
    const r: number[] = [];
    for (let i = 1; i < closes.length; i++) r.push(closes[i]! / closes[i - 1]! - 1);
    expect(periodReturns(closes)).toEqual(r);
    expect(totalReturn(closes)).toBeCloseTo(closes.at(-1)! / closes[0]! - 1, 12);
    for (const rf of [0, 0.02]) {
      const ex = r.map((x) => x - rf / 252);
      const m = ex.reduce((a, b) => a + b, 0) / ex.length;
      const sd = Math.sqrt(ex.reduce((a, b) => a + (b - m) ** 2, 0) / (ex.length - 1));
      const dd = Math.sqrt(ex.reduce((a, b) => a + Math.min(0, b) ** 2, 0) / ex.length);
      expect(sharpe(r, { riskFreeRate: rf })).toBeCloseTo((m / sd) * Math.sqrt(252), 10);
      expect(sortino(r, { riskFreeRate: rf })).toBeCloseTo((m / dd) * Math.sqrt(252), 10);
    }
    // SPY's total return in 2019 was about 31%.
    expect(totalReturn(closes)).toBeGreaterThan(0.3);
    expect(totalReturn(closes)).toBeLessThan(0.32);
  });

  it('When returns are flat or too few, Then Sharpe and Sortino are null, not Infinity or NaN', () => {
    expect(sharpe([0, 0, 0])).toBeNull();
    expect(sharpe([0.01])).toBeNull();
    expect(sortino([0.01, 0.02])).toBeNull();
  });

  it('When an account held cash while the T-bill rate moved, Then Sharpe and Sortino are null (no risk taken), not a large negative ratio', () => {
    const flat = [0, 0, 0, 0, 0, 0];
    const riskFreeReturns = [0.0001, 0.0002, 0.0001, 0.0003, 0.0002, 0.0001];
    expect(sharpe(flat, { riskFreeReturns })).toBeNull();
    expect(sortino(flat, { riskFreeReturns })).toBeNull();
  });

  it('When a long is opened, added to, partly sold and flipped short, Then turnover is the traded notional over average equity', () => {
    const fills = [
      { symbol: 'SPY', side: 'buy' as const, qty: 10, price: 100, fee: 1, date: '2024-01-02' },
      { symbol: 'SPY', side: 'buy' as const, qty: 10, price: 110, fee: 1, date: '2024-01-03' },
      { symbol: 'SPY', side: 'sell' as const, qty: 5, price: 120, fee: 1, date: '2024-01-04' }, // +5 * (120 - 105) = 75
      { symbol: 'SPY', side: 'sell' as const, qty: 25, price: 100, fee: 1, date: '2024-01-05' }, // 15 * (100 - 105) = -75, then short 10 at 100
      { symbol: 'SPY', side: 'buy' as const, qty: 10, price: 90, fee: 1, date: '2024-01-08' }, // short covered: 10 * (100 - 90) = 100
    ];
    expect(turnover(fills, [10_000, 10_000])).toBeCloseTo((1000 + 1100 + 600 + 2500 + 900) / 10_000, 12);
  });

  it('When fills and closes are given, Then the equity curve is cash plus positions at each close, fees deducted', () => {
    const closes: Record<string, number> = { '2024-01-02': 101, '2024-01-03': 99, '2024-01-04': 105 };
    const curve = equityCurve(
      1000,
      [
        { symbol: 'SPY', side: 'buy', qty: 5, price: 100, fee: 1, date: '2024-01-02' },
        { symbol: 'SPY', side: 'sell', qty: 5, price: 104, fee: 1, date: '2024-01-04' },
      ],
      ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'],
      (_s, d) => closes[d],
    );
    expect(curve).toEqual([1000, 1000 - 500 - 1 + 505, 1000 - 501 + 495, 1000 - 501 + 520 - 1]);
  });

  it('When two series move together or apart, Then the correlation is +1 or -1, and null without variation', () => {
    expect(correlation([1, 2, 3, 4], [2, 4, 6, 8])).toBeCloseTo(1, 12);
    expect(correlation([1, 2, 3, 4], [8, 6, 4, 2])).toBeCloseTo(-1, 12);
    expect(correlation([1, 1, 1], [1, 2, 3])).toBeNull();
  });
});
