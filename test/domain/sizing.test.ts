import { describe, expect, it } from 'vitest';
import { type ExecutionBook, ordersForTargets, planAccount, type RiskLimits, sizeView, targetWeight } from '../../src/domain/sizing.ts';

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

  it('When an account is planned, Then its targets list what it holds afterwards: zeros for closes, the view signed', () => {
    const plan = planAccount('A', { instrument: 'SPY', direction: 'SHORT', conviction: -1 }, { equity: 100_000, positions: { TLT: 30 } }, { SPY: 500, TLT: 90 }, universe, limits);
    expect(plan.targets).toEqual([
      { account: 'A', symbol: 'TLT', qty: 0, price: 90 },
      { account: 'A', symbol: 'SPY', qty: -20, price: 500 },
    ]);
  });
});

describe('Orders toward targets, from the book at execution', () => {
  const empty: ExecutionBook = { equity: 100_000, buyingPower: 200_000, positions: {}, marks: {} };
  const show = (r: { orders: { side: string; qty: number; symbol: string }[] }) => r.orders.map((o) => `${o.side} ${o.qty} ${o.symbol}`);
  const targets = [
    { account: 'A', symbol: 'TLT', qty: 0, price: 90 },
    { account: 'A', symbol: 'SPY', qty: 20, price: 500 },
  ];

  it('Given the book the targets were planned from, When executed, Then the orders are the planned ones', () => {
    const r = ordersForTargets('A', targets, { ...empty, positions: { TLT: 30 }, marks: { TLT: 90 } }, universe, limits);
    expect(r.refusals).toEqual([]);
    expect(show(r)).toEqual(['sell 30 TLT', 'buy 20 SPY']);
  });

  it('Given a checkpoint already closed TLT, When executed, Then the close is dropped and no short is opened', () => {
    const r = ordersForTargets('A', targets, empty, universe, limits);
    expect(show(r)).toEqual(['buy 20 SPY']);
  });

  it('Given another proposal already bought the target, When executed, Then nothing stacks on top', () => {
    const r = ordersForTargets('A', targets, { ...empty, positions: { SPY: 20 }, marks: { SPY: 500 } }, universe, limits);
    expect(r.refusals).toEqual([]);
    expect(r.orders).toEqual([]);
  });

  it('Given the account now holds a symbol the targets never showed, When executed, Then it is refused', () => {
    const r = ordersForTargets('A', targets, { ...empty, positions: { QQQ: 10 }, marks: { QQQ: 400 } }, universe, limits);
    expect(r.refusals.join()).toMatch(/A now holds 10 QQQ, a position this proposal never showed/);
  });

  it('Given equity fell since planning, When executed, Then the target is clamped to maxPositionPct and the clamp recorded', () => {
    const r = ordersForTargets('A', [{ account: 'A', symbol: 'SPY', qty: 40, price: 500 }], { ...empty, equity: 50_000 }, universe, limits);
    expect(r.refusals).toEqual([]);
    expect(show(r)).toEqual(['buy 20 SPY']);
    expect(r.orders[0]?.clamps.join()).toMatch(/position capped at 20% of equity at execution: 40 -> 20 shares/);
  });

  it('Given little buying power, When executed, Then the buy is clamped to it; none at all is a refusal', () => {
    const some = ordersForTargets('A', [{ account: 'A', symbol: 'SPY', qty: 20, price: 500 }], { ...empty, buyingPower: 5_000 }, universe, limits);
    expect(show(some)).toEqual(['buy 10 SPY']);
    expect(some.orders[0]?.clamps.join()).toMatch(/buying power 5000.00 at execution: 20 -> 10 shares/);
    const none = ordersForTargets('A', [{ account: 'A', symbol: 'SPY', qty: 20, price: 500 }], { ...empty, buyingPower: 0 }, universe, limits);
    expect(none.refusals.join()).toMatch(/A can no longer hold 20 SPY: buying power/);
  });

  it('Given shorts were disabled or the symbol left the universe, When a target needs them, Then it is refused', () => {
    const short = ordersForTargets('A', [{ account: 'A', symbol: 'SPY', qty: -20, price: 500 }], empty, universe, { ...limits, allowShorts: false });
    expect(short.refusals.join()).toMatch(/A can no longer hold -20 SPY: shorts are disabled/);
    const gone = ordersForTargets('A', [{ account: 'A', symbol: 'GLD', qty: 5, price: 200 }], empty, universe, limits);
    expect(gone.refusals.join()).toMatch(/not in the universe/);
  });

  it('Given a target of 0 on a symbol left short, When executed, Then it buys back to flat, never further', () => {
    const r = ordersForTargets('A', targets, { ...empty, positions: { TLT: -5, SPY: 20 }, marks: { TLT: 90, SPY: 500 } }, universe, limits);
    expect(show(r)).toEqual(['buy 5 TLT']);
  });
});
