/**
 * Stops and risk sizing in code (issue 17): a view's stop is checked and completed after every model
 * output (its own level when it protects and is near enough, else its invalidation level, else 2 x ATR),
 * each change recorded; risk sizing holds the shares that lose riskPerTradePct x |conviction| / 2 of
 * equity at the stop, then the usual caps, each recorded; orders carry their legs and their risk.
 */
import { describe, expect, it } from 'vitest';
import { legPlan, ordersForTargets, planAccount, type RiskLimits, sizeView } from '../../src/domain/sizing.ts';
import { protectionOf, type ProtectionInput } from '../../src/domain/stops.ts';
import { Pitch, PitchV1 } from '../../src/domain/schemas.ts';
import { decisionSchemaOf, pitchSchemaOf } from '../../src/llm/openai/prompts.ts';
import { averageTrueRange } from '../../src/market/indicators.ts';

const long = (over: Partial<ProtectionInput> = {}): ProtectionInput => ({
  direction: 'LONG',
  instrument: 'SPY',
  stop: null,
  takeProfit: null,
  invalidation: { conditions: [{ symbol: 'SPY', indicator: 'rsi_14', comparator: '<', threshold: 30 }] },
  ...over,
});

describe('protectionOf', () => {
  it('Given a stop under the close and within maxStopPct, Then it is kept as given, to the cent', () => {
    expect(protectionOf(long({ stop: 95.004 }), 100, 2, 0.1)).toEqual({ protection: { stop: 95, takeProfit: null, source: 'view' }, clamps: [] });
  });

  it('Given a stop above a long close, Then it is not used and the invalidation level takes its place, both recorded', () => {
    const view = long({ stop: 101, invalidation: { conditions: [{ symbol: 'SPY', indicator: 'close', comparator: '<', threshold: 96 }] } });
    expect(protectionOf(view, 100, 2, 0.1)).toEqual({
      protection: { stop: 96, takeProfit: null, source: 'invalidation' },
      clamps: ['stop 101.00 is not below the last close 100.00: not used', 'stop 96.00 from the invalidation level'],
    });
  });

  it('Given several close levels, Then the nearest on the protective side is the stop; a level on another symbol or side is not', () => {
    const view = long({
      invalidation: {
        conditions: [
          { symbol: 'SPY', indicator: 'close', comparator: '<', threshold: 92 },
          { symbol: 'SPY', indicator: 'close', comparator: '<=', threshold: 97 },
          { symbol: 'QQQ', indicator: 'close', comparator: '<', threshold: 99 },
          { symbol: 'SPY', indicator: 'close', comparator: '>', threshold: 110 },
        ],
      },
    });
    expect(protectionOf(view, 100, 2, 0.1).protection?.stop).toBe(97);
  });

  it('Given no level, Then the stop is 2 x ATR(14) from the close (above it for a short)', () => {
    expect(protectionOf(long(), 100, 2.5, 0.1)).toEqual({ protection: { stop: 95, takeProfit: null, source: 'volatility' }, clamps: ['stop 95.00 from 2 x ATR(14)'] });
    const short = protectionOf(long({ direction: 'SHORT' }), 100, 2.5, 0.1);
    expect(short.protection?.stop).toBe(105);
  });

  it('Given a stop further than maxStopPct (given, from the rule or from ATR), Then it is moved to maxStopPct and the move recorded', () => {
    expect(protectionOf(long({ stop: 80 }), 100, 2, 0.1)).toEqual({
      protection: { stop: 90, takeProfit: null, source: 'view' },
      clamps: ['stop 80.00 is further than maxStopPct 10% from the last close 100.00: moved to 90.00'],
    });
    expect(protectionOf(long(), 100, 8, 0.1).protection?.stop).toBe(90);
    expect(protectionOf(long({ direction: 'SHORT', stop: 130 }), 100, 8, 0.1).protection?.stop).toBe(110);
  });

  it('Given a take-profit on the losing side, Then it is dropped with the reason; on the profitable side it stays', () => {
    expect(protectionOf(long({ stop: 95, takeProfit: 98 }), 100, 2, 0.1)).toEqual({
      protection: { stop: 95, takeProfit: null, source: 'view' },
      clamps: ['take-profit 98 is not on the profitable side of the last close 100.00: dropped'],
    });
    expect(protectionOf(long({ stop: 95, takeProfit: 110 }), 100, 2, 0.1).protection?.takeProfit).toBe(110);
  });

  it('Given FLAT, Then no protection; given no close, Then none, said so; given no ATR, Then maxStopPct', () => {
    expect(protectionOf(long({ direction: 'FLAT' }), 100, 2, 0.1)).toEqual({ protection: null, clamps: [] });
    expect(protectionOf(long(), null, 2, 0.1)).toEqual({ protection: null, clamps: ['no last close for SPY: no stop'] });
    expect(protectionOf(long(), 100, null, 0.1).protection).toEqual({ stop: 90, takeProfit: null, source: 'volatility' });
  });

  it("When ATR(14) is computed, Then it is Wilder's: the mean of the first 14 true ranges, then smoothed", () => {
    const bars = Array.from({ length: 16 }, (_, i) => ({ date: `d${i}`, open: 100, high: 101 + (i === 15 ? 3 : 0), low: 99, close: 100, volume: 0 }));
    // True ranges: 2 each; the 16th bar's is 5 (high 104 against the previous close 100).
    expect(averageTrueRange(bars.slice(0, 15))).toBe(2);
    expect(averageTrueRange(bars)).toBeCloseTo(2 + (5 - 2) / 14, 12);
    expect(averageTrueRange(bars.slice(0, 14))).toBeNull();
  });

  it('When a model is asked with pitch.v1 or chair.v1, Then the schema is the one those runs were recorded with (no levels), so they replay', () => {
    expect(pitchSchemaOf('pitch.v1')).toBe(PitchV1);
    expect(pitchSchemaOf('pitch.v2')).toBe(Pitch);
    expect(Object.keys((decisionSchemaOf('chair.v1') as unknown as typeof PitchV1).shape)).not.toContain('stop');
    expect(Object.keys((decisionSchemaOf('chair.v2') as unknown as typeof PitchV1).shape)).toContain('stop');
  });
});

const limits: RiskLimits = { maxPositionPct: 0.2, maxGrossPct: 1, allowShorts: true, minConviction: 0.25, sizing: 'risk', riskPerTradePct: 0.01 };

describe('risk sizing', () => {
  it('Given conviction 2 and a stop 5 under 100, Then the loss at the stop is 1% of equity: 200 shares', () => {
    expect(sizeView({ instrument: 'SPY', direction: 'LONG', conviction: 2, stop: 95 }, { equity: 100_000, positions: {} }, 100, ['SPY'], limits)).toEqual({
      symbol: 'SPY',
      qty: 200,
      clamps: [],
    });
  });

  it('Given conviction -1 on a short with a stop 4 above 100, Then half the risk, $500: 125 shares short', () => {
    expect(sizeView({ instrument: 'SPY', direction: 'SHORT', conviction: -1, stop: 104 }, { equity: 100_000, positions: {} }, 100, ['SPY'], limits).qty).toBe(-125);
  });

  it('Given a stop so near that the risk would buy more than maxPositionPct, Then the position is capped there and the cap recorded', () => {
    const r = sizeView({ instrument: 'SPY', direction: 'LONG', conviction: 2, stop: 99.5 }, { equity: 100_000, positions: {} }, 100, ['SPY'], limits);
    expect(r.qty).toBe(200);
    expect(r.clamps).toEqual(['risk $1,000.00 at the stop 99.5 would hold 2000 shares; position capped at 20% of equity: 200 shares']);
  });

  it('Given no stop, Then the view is sized by weight, recorded; weight mode ignores the stop', () => {
    const r = sizeView({ instrument: 'SPY', direction: 'LONG', conviction: 2, stop: null }, { equity: 100_000, positions: {} }, 100, ['SPY'], limits);
    expect(r).toEqual({ symbol: 'SPY', qty: 200, clamps: ['no stop below 100 for SPY: sized by weight'] });
    expect(sizeView({ instrument: 'SPY', direction: 'LONG', conviction: 1, stop: 95 }, { equity: 100_000, positions: {} }, 100, ['SPY'], { ...limits, sizing: 'weight' }).qty).toBe(
      100,
    );
  });

  it('When a view is planned, Then the opening order carries its stop, take-profit and risk in dollars and % of equity; the target its stop', () => {
    const plan = planAccount(
      'A',
      { instrument: 'SPY', direction: 'LONG', conviction: 1, stop: 95, takeProfit: 110 },
      { equity: 100_000, positions: { QQQ: 5 } },
      { SPY: 100, QQQ: 400 },
      ['SPY', 'QQQ'],
      limits,
    );
    expect(plan.orders).toEqual([
      { account: 'A', symbol: 'QQQ', side: 'sell', qty: 5, reason: "close QQQ: not in this week's view", clamps: [], cancelLegs: true },
      {
        account: 'A',
        symbol: 'SPY',
        side: 'buy',
        qty: 100,
        reason: 'open LONG SPY at conviction 1',
        clamps: [],
        protect: { stopPrice: 95, takeProfitPrice: 110 },
        risk: { dollars: 500, pctOfEquity: 0.005 },
      },
    ]);
    expect(plan.targets.find((t) => t.symbol === 'SPY')).toEqual({ account: 'A', symbol: 'SPY', qty: 100, price: 100, stop: 95, takeProfit: 110 });
  });

  it('When the book moved by the approval, Then the legs follow it: an add replaces them for the whole position, a flip cancels and sends', () => {
    const target = { account: 'A', symbol: 'SPY', qty: 100, price: 100, stop: 95, takeProfit: null };
    const book = (held: number) => ({ equity: 100_000, buyingPower: 200_000, positions: { SPY: held }, marks: { SPY: 100 } });
    const [add] = ordersForTargets('A', [target], book(40), ['SPY'], limits).orders;
    expect(add).toMatchObject({ side: 'buy', qty: 60, replaceLegs: { stopPrice: 95, takeProfitPrice: null, qty: 100 }, risk: { dollars: 500, pctOfEquity: 0.005 } });
    expect(add?.protect).toBeUndefined();
    const [flip] = ordersForTargets('A', [target], book(-30), ['SPY'], limits).orders;
    expect(flip).toMatchObject({ side: 'buy', qty: 130, cancelLegs: true, protect: { stopPrice: 95, takeProfitPrice: null } });
    expect(legPlan(100, 0, 95, null)).toEqual({ cancelLegs: true });
    expect(legPlan(100, 100, 95, null)).toEqual({});
  });
});
