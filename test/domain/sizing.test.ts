import { describe, expect, it } from 'vitest';
import { planAccount, type RiskLimits, sizeView, targetWeight } from '../../src/domain/sizing.ts';

const limits: RiskLimits = { maxPositionPct: 0.2, maxGrossPct: 1, allowShorts: true, minConviction: 0.25 };
const universe = ['SPY', 'QQQ', 'TLT'];
const book = { equity: 100_000, positions: {} };

describe('Sizing from conviction', () => {
  it('When conviction grows, Then the position never shrinks (monotone in |conviction|)', () => {
    const sizes = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2].map((c) => sizeView({ instrument: 'SPY', direction: 'LONG', conviction: c }, book, 500, universe, limits).qty);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]!).toBeGreaterThanOrEqual(sizes[i - 1]!);
    expect(sizes.at(-1)).toBe(40); // 20% of 100k at |conviction| 2, whole shares at 500
    expect(targetWeight(2, limits)).toBe(0.2);
    expect(targetWeight(-1, limits)).toBe(0.1);
  });

  it('When a model asks for an instrument outside the universe, Then no position and the clamp is recorded', () => {
    const r = sizeView({ instrument: 'TSLA', direction: 'LONG', conviction: 2 }, book, 200, universe, limits);
    expect(r.qty).toBe(0);
    expect(r.clamps.join()).toMatch(/TSLA is not in the universe/);
  });

  it('When a model asks for 10x conviction, Then it is clamped to 2 and recorded', () => {
    const r = sizeView({ instrument: 'SPY', direction: 'LONG', conviction: 20 }, book, 500, universe, limits);
    expect(r.qty).toBe(40);
    expect(r.clamps.join()).toMatch(/clamped to 2/);
  });

  it('When shorts are disabled, Then a SHORT view holds nothing and says why', () => {
    const r = sizeView({ instrument: 'SPY', direction: 'SHORT', conviction: -2 }, book, 500, universe, { ...limits, allowShorts: false });
    expect(r.qty).toBe(0);
    expect(r.clamps.join()).toMatch(/shorts are disabled/);
  });

  it('Given an account holding TLT, When the new view is LONG SPY, Then TLT is closed and SPY opened', () => {
    const plan = planAccount('A', { instrument: 'SPY', direction: 'LONG', conviction: 1 }, { equity: 100_000, positions: { TLT: 30 } }, { SPY: 500, TLT: 90 }, universe, limits);
    expect(plan.orders.map((o) => `${o.side} ${o.qty} ${o.symbol}`)).toEqual(['sell 30 TLT', 'buy 20 SPY']);
  });

  it('Given an account already at target, When planned again, Then no order', () => {
    const plan = planAccount('A', { instrument: 'SPY', direction: 'LONG', conviction: 1 }, { equity: 100_000, positions: { SPY: 20 } }, { SPY: 500 }, universe, limits);
    expect(plan.orders).toEqual([]);
  });
});
