/**
 * The simulated broker's protective legs on the bundled daily bars (issue 17): held until the parent
 * fills, then resting; a stop fills at its price when a session's low reaches it, at the open when the
 * session opens through it (2020-03-09, SPY opened 7% under Friday's close), with slippage; a stop and a
 * take-profit inside one bar: the stop is assumed first; canceled before an exit, replaced after a resize.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSimulatedBroker } from '../../src/brokers/simulated.ts';
import { createNyseCalendar } from '../../src/market/calendar.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { createMemoryEventStore } from '../../src/store/memory.ts';
import { BARS_DIR } from '../market/raw.ts';

const SLIPPAGE_BPS = 2;

const broker = () =>
  createSimulatedBroker({
    store: createMemoryEventStore(),
    market: createCsvMarketData(BARS_DIR),
    calendar: createNyseCalendar(),
    settings: { startingCash: 100_000, slippageBps: SLIPPAGE_BPS, feePerShare: 0.005, minFee: 1 },
  });

/** One bundled bar, read without src/market. */
function bar(symbol: string, date: string) {
  const line = readFileSync(`${BARS_DIR}${symbol}.csv`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${date},`));
  const [, open, high, low, close] = (line ?? '').split(',').map(Number);
  return { open: open as number, high: high as number, low: low as number, close: close as number };
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

describe('Simulated broker: stops and take-profits on daily bars', () => {
  it('Given a long SPY with a stop under Friday 2020-03-06, When Monday 2020-03-09 opens through it, Then the stop fills at that open less slippage, stamped 09:30', async () => {
    const b = broker();
    const friday = bar('SPY', '2020-03-06');
    const monday = bar('SPY', '2020-03-09');
    const stop = 260;
    // The data: Friday never reached the stop, Monday opened under it.
    expect(friday.low).toBeGreaterThan(stop);
    expect(monday.open).toBeLessThan(stop);
    const placed = await b.submit({
      account: 'A',
      clientOrderId: 'tc-w-a-spy',
      symbol: 'SPY',
      side: 'buy',
      qty: 10,
      at: nyDateTime('2020-03-06', '08:00'),
      protect: { stopPrice: stop, takeProfitPrice: null },
    });
    expect(placed.legs?.map((l) => [l.kind, l.price, l.status])).toEqual([['stop', stop, 'held']]);
    await b.settle(['A'], nyDateTime('2020-03-06', '17:00'));
    const resting = await b.findByClientOrderId('A', 'tc-w-a-spy');
    expect([resting?.status, resting?.legs?.[0]?.status]).toEqual(['filled', 'accepted']);
    // The book lists the filled entry with its resting stop, as Alpaca lists a parent with nested legs; it works no more shares.
    const book = await b.account('A', nyDateTime('2020-03-06', '17:00'));
    expect(book.openOrders.map((o) => [o.clientOrderId, o.status, o.qty - o.filledQty, o.legs?.map((l) => [l.kind, l.price, l.status])])).toEqual([
      ['tc-w-a-spy', 'filled', 0, [['stop', stop, 'accepted']]],
    ]);
    // Before Monday's open nothing is known; from 09:30 the gap is.
    expect(await b.settle(['A'], nyDateTime('2020-03-09', '09:00'))).toEqual([]);
    const changed = await b.settle(['A'], nyDateTime('2020-03-09', '09:31'));
    const leg = changed[0]?.legs?.[0];
    expect([changed[0]?.clientOrderId, leg?.status, leg?.filledQty, leg?.filledAt]).toEqual(['tc-w-a-spy', 'filled', 10, '2020-03-09T09:30']);
    expect(leg?.avgFillPrice).toBe(round4(monday.open * (1 - SLIPPAGE_BPS / 10_000)));
    expect((await b.account('A', nyDateTime('2020-03-09', '09:31'))).positions).toEqual([]);
    expect((await b.account('A', nyDateTime('2020-03-09', '09:31'))).openOrders).toEqual([]);
    // Settled again, nothing more happens.
    expect(await b.settle(['A'], nyDateTime('2020-03-10', '17:00'))).toEqual([]);
  });

  it('Given a long SPY with a stop, When settle and view come in one call at each instant, Then they answer what a settle and then a view of each account answer', async () => {
    const [separate, together] = [broker(), broker()];
    for (const b of [separate, together]) {
      for (const account of ['A', 'B'])
        await b.submit({
          account,
          clientOrderId: `tc-w-${account}-spy`,
          symbol: 'SPY',
          side: 'buy',
          qty: 10,
          at: nyDateTime('2020-03-06', '08:00'),
          protect: { stopPrice: 260, takeProfitPrice: null },
        });
    }
    // The entry fills at Friday's open; Monday opens through the stop.
    for (const at of [nyDateTime('2020-03-06', '17:00'), nyDateTime('2020-03-09', '10:00'), nyDateTime('2020-03-10', '10:00')]) {
      const changed = await separate.settle(['A', 'B'], at);
      const books = [await separate.account('A', at), await separate.account('B', at)];
      expect(await together.settleAndView(['A', 'B'], at)).toEqual({ changed, books });
    }
    expect((await together.account('A', nyDateTime('2020-03-10', '10:00'))).positions).toEqual([]);
  });

  it('Given a stop inside Friday 2020-03-06 range, When the bar is complete, Then it fills at the stop less slippage, stamped at the close', async () => {
    const b = broker();
    const friday = bar('SPY', '2020-03-06');
    const stop = 265;
    expect(friday.open).toBeGreaterThan(stop);
    expect(friday.low).toBeLessThan(stop);
    await b.submit({
      account: 'A',
      clientOrderId: 'p',
      symbol: 'SPY',
      side: 'buy',
      qty: 10,
      at: nyDateTime('2020-03-06', '08:00'),
      protect: { stopPrice: stop, takeProfitPrice: null },
    });
    // At 12:00 the position is open and the day's low is not known yet.
    const noon = await b.settle(['A'], nyDateTime('2020-03-06', '12:00'));
    expect(noon.map((o) => o.legs?.[0]?.status)).toEqual(['accepted']);
    const [after] = await b.settle(['A'], nyDateTime('2020-03-06', '16:00'));
    expect(after?.legs?.[0]).toMatchObject({ status: 'filled', filledQty: 10, avgFillPrice: round4(stop * (1 - SLIPPAGE_BPS / 10_000)), filledAt: '2020-03-06T16:00' });
  });

  it('Given a stop and a take-profit both inside the 2020-03-10 bar, Then the stop is assumed first and the take-profit is canceled', async () => {
    const b = broker();
    const day = bar('SPY', '2020-03-10');
    const stop = 249.5;
    const takeProfit = 262;
    expect(day.low).toBeLessThan(stop);
    expect(day.high).toBeGreaterThan(takeProfit);
    expect(day.open).toBeGreaterThan(stop);
    expect(day.open).toBeLessThan(takeProfit);
    await b.submit({
      account: 'A',
      clientOrderId: 'p',
      symbol: 'SPY',
      side: 'buy',
      qty: 10,
      at: nyDateTime('2020-03-10', '08:00'),
      protect: { stopPrice: stop, takeProfitPrice: takeProfit },
    });
    // (the parent's fill first, then its legs')
    const after = (await b.settle(['A'], nyDateTime('2020-03-10', '16:00'))).at(-1);
    expect(after?.legs?.map((l) => [l.kind, l.status, l.avgFillPrice])).toEqual([
      ['stop', 'filled', round4(stop * (1 - SLIPPAGE_BPS / 10_000))],
      ['take_profit', 'canceled', null],
    ]);
  });

  it('Given a short with a take-profit the session reaches, Then the buy-back fills at the limit, without slippage', async () => {
    const b = broker();
    const day = bar('SPY', '2020-03-12');
    const lastClose = bar('SPY', '2020-03-11').close;
    const takeProfit = 230;
    expect(day.open).toBeGreaterThan(takeProfit);
    expect(day.low).toBeLessThan(takeProfit);
    expect(day.high).toBeLessThan(lastClose + 10);
    await b.submit({
      account: 'A',
      clientOrderId: 'p',
      symbol: 'SPY',
      side: 'sell',
      qty: 5,
      at: nyDateTime('2020-03-12', '08:00'),
      protect: { stopPrice: lastClose + 10, takeProfitPrice: takeProfit },
    });
    const after = (await b.settle(['A'], nyDateTime('2020-03-12', '16:00'))).at(-1);
    expect(after?.legs?.map((l) => [l.kind, l.status, l.avgFillPrice])).toEqual([
      ['stop', 'canceled', null],
      ['take_profit', 'filled', takeProfit],
    ]);
    expect((await b.account('A', nyDateTime('2020-03-12', '17:00'))).positions).toEqual([]);
  });

  it('When the legs are canceled before an exit, Then the gap that would have stopped the position leaves it alone; canceling again changes nothing', async () => {
    const b = broker();
    await b.submit({
      account: 'A',
      clientOrderId: 'p',
      symbol: 'SPY',
      side: 'buy',
      qty: 10,
      at: nyDateTime('2020-03-06', '08:00'),
      protect: { stopPrice: 260, takeProfitPrice: null },
    });
    await b.settle(['A'], nyDateTime('2020-03-06', '17:00'));
    const [canceled] = await b.cancelLegs('A', 'SPY', nyDateTime('2020-03-06', '17:30'));
    expect(canceled?.legs?.[0]?.status).toBe('canceled');
    expect(await b.cancelLegs('A', 'SPY', nyDateTime('2020-03-06', '17:31'))).toEqual([]);
    expect(await b.settle(['A'], nyDateTime('2020-03-09', '17:00'))).toEqual([]);
    expect((await b.account('A', nyDateTime('2020-03-09', '17:00'))).positions.map((p) => [p.symbol, p.qty])).toEqual([['SPY', 10]]);
  });

  it('When the legs are canceled after the gap, Then they are answered filled: the position is already out', async () => {
    const b = broker();
    await b.submit({
      account: 'A',
      clientOrderId: 'p',
      symbol: 'SPY',
      side: 'buy',
      qty: 10,
      at: nyDateTime('2020-03-06', '08:00'),
      protect: { stopPrice: 260, takeProfitPrice: null },
    });
    await b.settle(['A'], nyDateTime('2020-03-06', '17:00'));
    const answered = await b.cancelLegs('A', 'SPY', nyDateTime('2020-03-09', '15:50'));
    expect(answered.map((o) => [o.clientOrderId, o.legs?.[0]?.status])).toEqual([['p', 'filled']]);
  });

  it('When a resize replaces the legs, Then the whole position has one stop, the old legs are canceled, and replacing again is a no-op', async () => {
    const b = broker();
    await b.submit({
      account: 'A',
      clientOrderId: 'open',
      symbol: 'SPY',
      side: 'buy',
      qty: 10,
      at: nyDateTime('2020-03-02', '08:00'),
      protect: { stopPrice: 200, takeProfitPrice: null },
    });
    await b.submit({ account: 'A', clientOrderId: 'add', symbol: 'SPY', side: 'buy', qty: 5, at: nyDateTime('2020-03-03', '08:00') });
    await b.settle(['A'], nyDateTime('2020-03-03', '17:00'));
    const request = { account: 'A', symbol: 'SPY', qty: 15, legs: { stopPrice: 240, takeProfitPrice: null }, clientOrderId: 'add', at: nyDateTime('2020-03-03', '17:00') };
    const replaced = await b.replaceLegs(request);
    expect(replaced.legs?.map((l) => [l.kind, l.price, l.status])).toEqual([['stop', 240, 'accepted']]);
    expect((await b.findByClientOrderId('A', 'open'))?.legs?.[0]?.status).toBe('canceled');
    await b.replaceLegs(request);
    expect((await b.findByClientOrderId('A', 'add'))?.legs).toEqual(replaced.legs);
    // The new stop closes all 15 shares at the 2020-03-12 open, the first session under it.
    expect(bar('SPY', '2020-03-11').low).toBeGreaterThan(240);
    expect(bar('SPY', '2020-03-12').open).toBeLessThan(240);
    const changed = await b.settle(['A'], nyDateTime('2020-03-12', '17:00'));
    expect(changed.map((o) => [o.clientOrderId, o.legs?.[0]?.status, o.legs?.[0]?.filledQty])).toEqual([['add', 'filled', 15]]);
  });

  it('When an order whose legs are held is canceled, Then its legs go with it; a stop on the wrong side is refused', async () => {
    const b = broker();
    await b.submit({
      account: 'A',
      clientOrderId: 'p',
      symbol: 'SPY',
      side: 'buy',
      qty: 10,
      at: nyDateTime('2020-03-06', '08:00'),
      protect: { stopPrice: 260, takeProfitPrice: null },
    });
    const canceled = await b.cancelOrder('A', 'p', nyDateTime('2020-03-06', '08:01'), 'test');
    expect([canceled?.status, canceled?.legs?.[0]?.status]).toEqual(['canceled', 'canceled']);
    await expect(
      b.submit({
        account: 'A',
        clientOrderId: 'q',
        symbol: 'SPY',
        side: 'buy',
        qty: 10,
        at: nyDateTime('2020-03-06', '08:00'),
        protect: { stopPrice: 300, takeProfitPrice: null },
      }),
    ).rejects.toThrow(/not below the last close/);
  });

  it("Given orders with and without legs, When they are viewed, settled and viewed again, Then each shows exactly the port's fields, the same way every time", async () => {
    const b = broker();
    const fields = ['account', 'clientOrderId', 'brokerOrderId', 'symbol', 'side', 'qty', 'status', 'filledQty', 'avgFillPrice', 'fee', 'filledAt', 'rejectReason'];
    const at = nyDateTime('2020-03-06', '08:00');
    const plain = await b.submit({ account: 'A', clientOrderId: 'tc-plain', symbol: 'QQQ', side: 'buy', qty: 5, at });
    const guarded = await b.submit({ account: 'A', clientOrderId: 'tc-legs', symbol: 'SPY', side: 'buy', qty: 10, at, protect: { stopPrice: 260, takeProfitPrice: 400 } });
    expect(Object.keys(plain)).toEqual(fields);
    expect(Object.keys(guarded)).toEqual([...fields, 'legs']);
    const working = (await b.account('A', at)).openOrders;
    expect(working.map((o) => Object.keys(o))).toEqual([fields, [...fields, 'legs']]);
    const { changed, books } = await b.settleAndView(['A'], nyDateTime('2020-03-06', '10:00'));
    expect(changed.map((o) => [o.clientOrderId, o.status, Object.keys(o)])).toEqual([
      ['tc-plain', 'filled', fields],
      ['tc-legs', 'filled', [...fields, 'legs']],
    ]);
    // The filled entry is still listed while its legs rest; a view as of before the fills shows both working (the later fill first).
    expect(books[0]?.openOrders.map((o) => [o.clientOrderId, o.status])).toEqual([['tc-legs', 'filled']]);
    const earlier = await b.account('A', nyDateTime('2020-03-06', '09:00'));
    expect(earlier.openOrders.map((o) => [o.clientOrderId, o.status, o.filledQty])).toEqual([
      ['tc-legs', 'accepted', 0],
      ['tc-plain', 'accepted', 0],
    ]);
    expect(earlier.positions).toEqual([]);
  });
});
