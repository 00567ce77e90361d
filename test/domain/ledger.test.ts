/** The round-trip ledger: FIFO matching per account and symbol, fees in cents, the blended-lot case of issue 15. */
import { describe, expect, it } from 'vitest';
import { feeCents } from '../../src/brokers/simulated.ts';
import { cents, type LedgerFill, markAccount, roundTrips, tradeStats, tradesCsv } from '../../src/domain/ledger.ts';

const fill = (time: string, side: 'buy' | 'sell', qty: number, price: number, reason: string, proposalId = 'p', fee = 1, symbol = 'IWM'): LedgerFill => ({
  time,
  account: 'CHATGPT',
  symbol,
  side,
  qty,
  price,
  fee,
  clientOrderId: `${proposalId}-${symbol}`,
  reason,
  proposalId,
});

describe('Round-trip ledger', () => {
  it("When a horizon exit and the next week's entry fill at one open and the entry was recorded first, Then the exit closes the old lot, not a blend", () => {
    // CHATGPT 2019-03-04: bought 139 IWM the week before; the new entry (recorded at 08:01) and the
    // horizon exit (ordered Friday 15:50) both fill at Monday's open.
    const fills = [
      fill('2019-02-25T09:30', 'buy', 139, 150.0, 'open LONG IWM at conviction 1.5', 'w1'),
      fill('2019-03-04T09:30', 'buy', 139, 144.4716, 'open LONG IWM at conviction 1.5', 'w2'),
      fill('2019-03-04T09:30', 'sell', 139, 144.4138, 'exit (horizon): horizon 1w ended with the session of 2019-03-01', 'x1'),
      fill('2019-03-11T09:30', 'sell', 139, 146.0, 'exit (invalidation): IWM close < 140', 'x2'),
    ];
    const trips = roundTrips(fills);
    expect(trips.map((t) => [t.entryTime, t.entryPrice, t.exitTime, t.exitPrice, t.exitReason])).toEqual([
      ['2019-02-25T09:30', 150.0, '2019-03-04T09:30', 144.4138, 'horizon'],
      ['2019-03-04T09:30', 144.4716, '2019-03-11T09:30', 146.0, 'invalidation'],
    ]);
    // (144.4138 - 150) × 139 = -776.4818 → -776.48; fees $1 + $1.
    expect(trips[0]?.pnlCents).toBe(-77_648 - 200);
    expect(trips[1]?.pnlCents).toBe(cents((146 - 144.4716) * 139) - 200);
    const stats = tradeStats(trips);
    expect(stats).toMatchObject({ trades: 2, hitRate: 0.5, profitFactor: trips[1]!.pnlCents / 77_848, holdingDays: 7 });
  });

  it('When a short is partly covered, Then each match shares the fees in whole cents that add up to the fills', () => {
    const fills = [
      fill('2024-01-02T09:30', 'sell', 3, 100, 'open SHORT', 'a', 1.01),
      fill('2024-01-03T09:30', 'buy', 1, 90, 'exit (horizon): x', 'b', 1),
      fill('2024-01-04T09:30', 'buy', 2, 110, 'open LONG', 'c', 1),
    ];
    const trips = roundTrips(fills);
    expect(trips.map((t) => [t.direction, t.qty, t.feesCents, t.pnlCents])).toEqual([
      ['SHORT', 1, 34 + 100, 1000 - 134],
      ['SHORT', 2, 67 + 100, -2000 - 167],
    ]);
    expect(tradesCsv(trips).split('\n')[1]).toBe('CHATGPT,IWM,SHORT,1,2024-01-02T09:30,100,2024-01-03T09:30,90,8.66,1.34,horizon,');
  });

  it('When fees are a fraction of a cent in binary floats, Then they are whole cents rounded half up', () => {
    expect(feeCents({ feePerShare: 0.005, minFee: 1 }, 139)).toBe(100);
    expect(feeCents({ feePerShare: 0.005, minFee: 1 }, 301)).toBe(151); // 1.505 → 1.51 (a float gives 1.50)
    expect(feeCents({ feePerShare: 0.005, minFee: 0 }, 1)).toBe(1);
  });

  it('When an account is marked, Then cash, equity and gross exposure come out per close, and idle cash earns the daily rate after the fills', () => {
    const fills = [fill('2024-01-02T09:30', 'buy', 10, 100, 'open', 'a', 1, 'SPY')];
    const closes: Record<string, number> = { '2024-01-02': 101, '2024-01-03': 99 };
    const marks = markAccount(
      10_000,
      fills,
      ['2024-01-01', '2024-01-02', '2024-01-03'],
      (_s, d) => closes[d],
      () => 0.0001,
    );
    expect(marks[0]).toEqual({ date: '2024-01-01', equity: 10_000, cash: 10_000, grossExposure: 0 });
    // 10,000 - 1,000 - 1 = 8,999, then a day's interest: 0.90.
    expect(marks[1]).toEqual({ date: '2024-01-02', equity: 8999.9 + 1010, cash: 8999.9, grossExposure: 1010 });
    expect(marks[2]?.cash).toBe(8999.9 + 0.9);
  });
});
