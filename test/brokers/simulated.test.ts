/**
 * The simulated broker's money and time (issue 15): fills exist from their own time, a view as of an
 * earlier instant shows the order still working, idle cash earns the T-bill rate only when asked, and
 * the bundled DTB3 series is read point in time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSimulatedBroker } from '../../src/brokers/simulated.ts';
import { createNyseCalendar } from '../../src/market/calendar.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import { BUNDLED_RATES_FILE, bundledRiskFree } from '../../src/market/rates.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { createMemoryEventStore } from '../../src/store/memory.ts';
import type { EventStore } from '../../src/store/port.ts';
import { BARS_DIR, readRaw } from '../market/raw.ts';

const broker = (interestRate?: (session: string) => number, store: EventStore = createMemoryEventStore()) =>
  createSimulatedBroker({
    store,
    market: createCsvMarketData(BARS_DIR),
    calendar: createNyseCalendar(),
    settings: { startingCash: 100_000, slippageBps: 0, feePerShare: 0.005, minFee: 1, interestRate },
  });

describe('Simulated broker', () => {
  it('When an order settled at the close is viewed at 09:00, Then the position does not exist yet and the order is still working; at 09:31 it does', async () => {
    const b = broker();
    await b.submit({ account: 'A', clientOrderId: 'tc-1', symbol: 'SPY', side: 'buy', qty: 10, at: nyDateTime('2024-03-04', '08:01') });
    await b.settle(['A'], nyDateTime('2024-03-04', '16:00'));
    const before = await b.account('A', nyDateTime('2024-03-04', '09:00'));
    expect(before.positions).toEqual([]);
    expect(before.cash).toBe(100_000);
    expect(before.openOrders.map((o) => [o.clientOrderId, o.status, o.filledQty])).toEqual([['tc-1', 'accepted', 0]]);
    const after = await b.account('A', nyDateTime('2024-03-04', '09:31'));
    const open = readRaw('SPY').find((x) => x.date === '2024-03-04')!.open;
    expect(after.positions.map((p) => [p.symbol, p.qty])).toEqual([['SPY', 10]]);
    expect(after.cash).toBe(Math.round((100_000 - (10 * Math.round(open * 10_000)) / 10_000 - 1) * 100) / 100);
    expect(after.openOrders).toEqual([]);
  });

  it('When the store answers every read with the whole stream (as the SQL store does), Then a week of orders, fills and cancels looks the same as on a store that reads from a version', async () => {
    const memory = createMemoryEventStore();
    const whole: EventStore = { ...memory, read: (stream) => memory.read(stream) };
    const views = [];
    for (const b of [broker(undefined), broker(undefined, whole)]) {
      const seen = [];
      for (const [i, day] of ['2024-03-04', '2024-03-05', '2024-03-06', '2024-03-07'].entries()) {
        await b.submit({ account: 'A', clientOrderId: `buy-${i}`, symbol: 'SPY', side: 'buy', qty: 10 + i, at: nyDateTime(day, '08:01') });
        await b.submit({ account: 'A', clientOrderId: `sell-${i}`, symbol: 'QQQ', side: 'sell', qty: 5, at: nyDateTime(day, '08:02') });
        if (i % 2 === 1) await b.cancelOrder?.('A', `sell-${i}`, nyDateTime(day, '08:03'), 'test');
        seen.push(await b.settle(['A'], nyDateTime(day, '16:00')));
        seen.push(await b.account('A', nyDateTime(day, '12:00')));
      }
      seen.push(await b.cancelOpenOrders('A', nyDateTime('2024-03-08', '08:00')));
      views.push(seen);
    }
    const [onVersions, onWhole] = views;
    expect(onWhole).toEqual(onVersions);
    expect((onVersions?.at(-2) as { positions: unknown[] } | undefined)?.positions).toHaveLength(2);
  });

  it('Given two brokers on one store (two processes), When each changes an account the other changed since it last looked, Then no change is lost and both see the same book', async () => {
    const store = createMemoryEventStore();
    const [x, y] = [broker(undefined, store), broker(undefined, store)];
    const at = nyDateTime('2024-03-04', '08:01');
    await x.submit({ account: 'A', clientOrderId: 'tc-1', symbol: 'SPY', side: 'buy', qty: 10, at });
    expect((await y.account('A', at)).openOrders.map((o) => o.clientOrderId)).toEqual(['tc-1']);
    // x moves the stream on; y's next change starts from what it saw, and its append meets x's.
    await x.submit({ account: 'A', clientOrderId: 'tc-2', symbol: 'QQQ', side: 'buy', qty: 5, at });
    expect((await y.cancelOrder?.('A', 'tc-1', at, 'test'))?.status).toBe('canceled');
    // An order y has never seen is canceled too (nothing to do on what it saw: it reads again).
    await x.submit({ account: 'A', clientOrderId: 'tc-3', symbol: 'IWM', side: 'buy', qty: 5, at });
    expect((await y.cancelOrder?.('A', 'tc-3', at, 'test'))?.status).toBe('canceled');
    const [onX, onY] = [await x.account('A', at), await y.account('A', at)];
    expect(onX).toEqual(onY);
    expect(onX.openOrders.map((o) => [o.clientOrderId, o.status])).toEqual([['tc-2', 'accepted']]);
    expect((await store.read('sim:A')).map((e) => e.type)).toEqual([
      'SimAccountOpened',
      'SimOrderAccepted',
      'SimOrderAccepted',
      'SimOrderCanceled',
      'SimOrderAccepted',
      'SimOrderCanceled',
    ]);
  });

  it('When broker.cashInterest is on, Then positive idle cash compounds the daily rate per session; off, it earns nothing', async () => {
    const flat = broker();
    const paid = broker(() => 0.0001);
    for (const b of [flat, paid]) {
      await b.submit({ account: 'A', clientOrderId: 'tc-1', symbol: 'SPY', side: 'buy', qty: 10, at: nyDateTime('2024-03-04', '08:01') });
      await b.settle(['A'], nyDateTime('2024-03-04', '16:00'));
    }
    const base = (await flat.account('A', nyDateTime('2024-03-08', '17:00'))).cash;
    // Five sessions (Mon-Fri) closed by Friday 17:00, each paying 1 bp on the cash left after Monday's fill, in cents.
    let cents = Math.round(base * 100);
    for (let i = 0; i < 5; i++) cents += Math.round(cents * 0.0001);
    expect((await paid.account('A', nyDateTime('2024-03-08', '17:00'))).cash).toBe(cents / 100);
  });

  it('When the bundled DTB3 rate is read, Then a session gets the last value published before it, / 100 / 252', () => {
    const rows = readFileSync(BUNDLED_RATES_FILE, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('date,rate_pct');
    expect(BUNDLED_RATES_FILE).toBe(join(BARS_DIR, '../rates/DTB3.csv'));
    const before = rows
      .filter((r) => r < '2024-03-04')
      .at(-1)!
      .split(',');
    expect(bundledRiskFree().daily('2024-03-04')).toBeCloseTo(Number(before[1]) / 100 / 252, 15);
    expect(bundledRiskFree().daily('1900-01-02')).toBe(0);
  });
});
