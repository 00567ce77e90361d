/**
 * Buying power enforced before any order (issue 15): the simulated broker refuses an order that adds
 * more exposure than 2 x equity less gross (working orders counted), with the figures; an order that
 * reduces exposure always goes. cancelOrder cancels one working order, and says when it had filled.
 */
import { describe, expect, it } from 'vitest';
import { OrderRejectedError } from '../../src/brokers/port.ts';
import { createSimulatedBroker } from '../../src/brokers/simulated.ts';
import { createNyseCalendar } from '../../src/market/calendar.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { createMemoryEventStore } from '../../src/store/memory.ts';
import { BARS_DIR } from '../market/raw.ts';

const broker = () =>
  createSimulatedBroker({
    store: createMemoryEventStore(),
    market: createCsvMarketData(BARS_DIR),
    calendar: createNyseCalendar(),
    settings: { startingCash: 100_000, slippageBps: 0, feePerShare: 0.005, minFee: 1 },
  });
const at = nyDateTime('2024-03-04', '08:01');

describe('Simulated broker buying power', () => {
  it('When an order needs more than 2 x equity less gross, Then it is refused with the figures and nothing is recorded', async () => {
    const b = broker();
    // SPY closed at 497.83 on 2024-03-01: 410 shares is about $204k of the $200k buying power.
    const refused = await b.submit({ account: 'A', clientOrderId: 'tc-big', symbol: 'SPY', side: 'buy', qty: 410, at }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OrderRejectedError);
    expect((refused as Error).message).toMatch(/^buying power: buy 410 SPY adds [\d.]+ of exposure, the account has 200000\.00 of buying power/);
    expect(await b.findByClientOrderId('A', 'tc-big')).toBeUndefined();
  });

  it('When working orders already use the buying power, Then the next order that adds exposure is refused, and one that reduces it goes', async () => {
    const b = broker();
    await b.submit({ account: 'A', clientOrderId: 'tc-1', symbol: 'SPY', side: 'buy', qty: 300, at });
    // Another 110 SPY would take the book (working order counted) past 2 x equity.
    await expect(b.submit({ account: 'A', clientOrderId: 'tc-2', symbol: 'SPY', side: 'buy', qty: 110, at })).rejects.toThrow(/buying power/);
    // A sell against the working buy reduces exposure: always accepted.
    await expect(b.submit({ account: 'A', clientOrderId: 'tc-3', symbol: 'SPY', side: 'sell', qty: 100, at })).resolves.toMatchObject({ status: 'accepted' });
  });

  it('When a short would exceed the buying power, Then it is refused; a sell that closes a long is not', async () => {
    const b = broker();
    await b.submit({ account: 'A', clientOrderId: 'tc-long', symbol: 'QQQ', side: 'buy', qty: 100, at });
    await b.settle(['A'], nyDateTime('2024-03-04', '16:00'));
    const later = nyDateTime('2024-03-05', '08:01');
    await expect(b.submit({ account: 'A', clientOrderId: 'tc-close', symbol: 'QQQ', side: 'sell', qty: 100, at: later })).resolves.toMatchObject({ status: 'accepted' });
    await expect(b.submit({ account: 'A', clientOrderId: 'tc-short', symbol: 'SPY', side: 'sell', qty: 1000, at: later })).rejects.toThrow(/buying power: sell 1000 SPY/);
  });

  it('When a working order is canceled, Then it never fills; a filled one answers filled and stays filled', async () => {
    const b = broker();
    await b.submit({ account: 'A', clientOrderId: 'tc-x-1', symbol: 'SPY', side: 'buy', qty: 10, at });
    await b.submit({ account: 'A', clientOrderId: 'tc-x-2', symbol: 'QQQ', side: 'buy', qty: 10, at });
    expect(await b.cancelOrder('A', 'tc-x-1', at, 'netted')).toMatchObject({ status: 'canceled', filledQty: 0, rejectReason: 'netted' });
    await b.settle(['A'], nyDateTime('2024-03-04', '16:00'));
    expect(await b.findByClientOrderId('A', 'tc-x-1')).toMatchObject({ status: 'canceled', filledQty: 0 });
    expect(await b.cancelOrder('A', 'tc-x-2', nyDateTime('2024-03-04', '16:00'), 'too late')).toMatchObject({ status: 'filled', filledQty: 10 });
    expect((await b.account('A', nyDateTime('2024-03-04', '16:00'))).positions.map((p) => [p.symbol, p.qty])).toEqual([['QQQ', 10]]);
  });
});
