/**
 * Protective legs on Alpaca (issue 17), through the real SDK against the fake: an opening order goes
 * one-triggers-other with its stop, or as a bracket with a take-profit too, prices on Alpaca's tick;
 * the legs rest once the entry fills and the fake's price path fills them; an exit cancels them first
 * and so sells once; a resize replaces them with one order for the whole position, idempotently.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type AlpacaBroker, createAlpacaBroker, toTick } from '../../src/brokers/alpaca.ts';
import { AmbiguousOrderError, OrderRejectedError } from '../../src/brokers/port.ts';
import { openOrderText } from '../../src/bot/format.ts';
import { ordersAddingRisk } from '../../src/pipeline/proposals/halt.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';
import { keyOf, secretOf } from './env.ts';

let fake: FakeAlpaca;
let broker: AlpacaBroker;
const at = new Date('2024-04-22T14:00:00Z');
let n = 0;
const id = (what: string) => `tc-p${++n}-${what}`;

beforeEach(async () => {
  await fake?.close();
  fake = await startFakeAlpaca();
  fake.addAccount(keyOf('COUNCIL'), secretOf('COUNCIL'), { fillMode: 'fill' });
  fake.prices.set('IWM', 150);
  broker = createAlpacaBroker({
    accounts: { COUNCIL: { keyId: keyOf('COUNCIL'), secret: secretOf('COUNCIL') } },
    endpoints: { paper: true, apiUrl: fake.url, dataUrl: fake.url },
    tuning: { timeoutMs: 1_000, retry: false, rateLimit: false },
  });
});

afterAll(async () => {
  broker?.close();
  await fake?.close();
});

const orderPosts = () => fake.posts().map((r) => r.body ?? {});
const held = () => fake.accounts.get(keyOf('COUNCIL'))?.positions.get('IWM')?.qty ?? 0;

describe('Alpaca protective legs', () => {
  it('When an opening order carries a stop, Then it goes oto (gtc) with the stop on the tick; with a take-profit too, as a bracket; the legs are held until it fills', async () => {
    fake.accounts.get(keyOf('COUNCIL'))!.fillMode = 'hold';
    const oto = await broker.submit({
      account: 'COUNCIL',
      clientOrderId: id('iwm'),
      symbol: 'IWM',
      side: 'buy',
      qty: 10,
      at,
      protect: { stopPrice: 140.104, takeProfitPrice: null },
    });
    const bracket = await broker.submit({
      account: 'COUNCIL',
      clientOrderId: id('iwm'),
      symbol: 'IWM',
      side: 'sell',
      qty: 5,
      at,
      protect: { stopPrice: 160, takeProfitPrice: 130.5 },
    });
    expect(orderPosts()).toEqual([
      expect.objectContaining({ order_class: 'oto', type: 'market', time_in_force: 'gtc', side: 'buy', qty: '10', stop_loss: { stop_price: '140.1' } }),
      expect.objectContaining({
        order_class: 'bracket',
        type: 'market',
        time_in_force: 'gtc',
        side: 'sell',
        stop_loss: { stop_price: '160' },
        take_profit: { limit_price: '130.5' },
      }),
    ]);
    expect(orderPosts()[0]).not.toHaveProperty('take_profit');
    expect(oto.legs).toEqual([expect.objectContaining({ kind: 'stop', price: 140.1, status: 'held' })]);
    expect(bracket.legs?.map((l) => [l.kind, l.price, l.status]).sort()).toEqual([
      ['stop', 160, 'held'],
      ['take_profit', 130.5, 'held'],
    ]);
    // The book lists parents with their legs, never a leg alone.
    const book = await broker.account('COUNCIL', at);
    expect(book.openOrders.map((o) => o.clientOrderId).sort()).toEqual([oto.clientOrderId, bracket.clientOrderId].sort());
    expect(toTick(0.512_345)).toBe(0.5123);
    expect(toTick(95.125_01)).toBe(95.13);
  });

  it('When a stop is on the wrong side or the take-profit is not beyond it, Then nothing is sent; Alpaca definitely refuses a buy with its stop over the price', async () => {
    await expect(
      broker.submit({ account: 'COUNCIL', clientOrderId: id('x'), symbol: 'IWM', side: 'buy', qty: 1, at, protect: { stopPrice: 140, takeProfitPrice: 130 } }),
    ).rejects.toBeInstanceOf(OrderRejectedError);
    expect(orderPosts()).toEqual([]);
    await expect(
      broker.submit({ account: 'COUNCIL', clientOrderId: id('x'), symbol: 'IWM', side: 'buy', qty: 1, at, protect: { stopPrice: 151, takeProfitPrice: null } }),
    ).rejects.toThrow(/stop_loss.stop_price/);
  });

  it('When the answer to a protected order is lost, Then it is ambiguous, and the lookup by client order id finds it with its legs', async () => {
    fake.script({ method: 'POST', path: '/v2/orders', status: 500, accept: true });
    const clientOrderId = id('iwm');
    await expect(
      broker.submit({ account: 'COUNCIL', clientOrderId, symbol: 'IWM', side: 'buy', qty: 10, at, protect: { stopPrice: 140, takeProfitPrice: 170 } }),
    ).rejects.toBeInstanceOf(AmbiguousOrderError);
    const found = await broker.findByClientOrderId('COUNCIL', clientOrderId);
    expect(found).toMatchObject({ status: 'filled', filledQty: 10 });
    expect(found?.legs?.map((l) => [l.kind, l.status]).sort()).toEqual([
      ['stop', 'accepted'],
      ['take_profit', 'accepted'],
    ]);
    expect(fake.posts()).toHaveLength(1);
  });

  it('When the price path crosses a resting stop, Then the leg fills at that price, its sibling is canceled and the position is out', async () => {
    const entry = await broker.submit({
      account: 'COUNCIL',
      clientOrderId: id('iwm'),
      symbol: 'IWM',
      side: 'buy',
      qty: 139,
      at,
      protect: { stopPrice: 141, takeProfitPrice: 170 },
    });
    expect(held()).toBe(139);
    fake.setPrice('IWM', 145);
    expect(held()).toBe(139);
    fake.setPrice('IWM', 140.1);
    const after = await broker.findByClientOrderId('COUNCIL', entry.clientOrderId);
    expect(after?.legs?.find((l) => l.kind === 'stop')).toMatchObject({ status: 'filled', filledQty: 139, avgFillPrice: 140.1 });
    expect(after?.legs?.find((l) => l.kind === 'take_profit')).toMatchObject({ status: 'canceled' });
    expect(held()).toBe(0);
    expect((await broker.account('COUNCIL', at)).openOrders).toEqual([]);
  });

  it('When an exit cancels the legs first, Then the exit sells once: the canceled stop no longer fills, and a second cancel finds nothing', async () => {
    const entry = await broker.submit({
      account: 'COUNCIL',
      clientOrderId: id('iwm'),
      symbol: 'IWM',
      side: 'buy',
      qty: 20,
      at,
      protect: { stopPrice: 141, takeProfitPrice: null },
    });
    const canceled = await broker.cancelLegs('COUNCIL', 'IWM', at);
    expect(canceled).toEqual([
      expect.objectContaining({ clientOrderId: entry.clientOrderId, status: 'filled', legs: [expect.objectContaining({ kind: 'stop', status: 'canceled' })] }),
    ]);
    await broker.submit({ account: 'COUNCIL', clientOrderId: id('exit'), symbol: 'IWM', side: 'sell', qty: 20, at });
    fake.setPrice('IWM', 120);
    expect(held()).toBe(0);
    expect(fake.posts().filter((r) => r.body?.side === 'sell')).toHaveLength(1);
    expect(await broker.cancelLegs('COUNCIL', 'IWM', at)).toEqual([]);
  });

  it('When a leg filled before the cancel reached it, Then cancelLegs answers it filled', async () => {
    const entry = await broker.submit({
      account: 'COUNCIL',
      clientOrderId: id('iwm'),
      symbol: 'IWM',
      side: 'buy',
      qty: 20,
      at,
      protect: { stopPrice: 141, takeProfitPrice: null },
    });
    // The stop fills between the list and the cancel: the price path crosses it as the DELETE arrives.
    fake.script({ method: 'DELETE', path: `/v2/orders/${entry.legs?.[0]?.brokerOrderId}`, before: () => fake.setPrice('IWM', 140) });
    const answered = await broker.cancelLegs('COUNCIL', 'IWM', at);
    expect(answered).toEqual([expect.objectContaining({ clientOrderId: entry.clientOrderId, legs: [expect.objectContaining({ kind: 'stop', status: 'filled', filledQty: 20 })] })]);
    expect(held()).toBe(0);
  });

  it('When a position is resized, Then replaceLegs cancels the old legs and puts one oco pair on the whole position, read back as the legs of the resize, once however often it is asked', async () => {
    const first = await broker.submit({
      account: 'COUNCIL',
      clientOrderId: id('iwm'),
      symbol: 'IWM',
      side: 'buy',
      qty: 10,
      at,
      protect: { stopPrice: 140, takeProfitPrice: null },
    });
    const resize = await broker.submit({ account: 'COUNCIL', clientOrderId: id('iwm'), symbol: 'IWM', side: 'buy', qty: 5, at });
    const request = { account: 'COUNCIL', symbol: 'IWM', qty: 15, legs: { stopPrice: 142.5, takeProfitPrice: 175 }, clientOrderId: resize.clientOrderId, at };
    const replaced = await broker.replaceLegs(request);
    expect(replaced).toMatchObject({ clientOrderId: resize.clientOrderId, brokerOrderId: resize.brokerOrderId, side: 'buy', qty: 5, status: 'filled' });
    expect(replaced.legs?.map((l) => [l.kind, l.price, l.status])).toEqual([
      ['stop', 142.5, 'accepted'],
      ['take_profit', 175, 'accepted'],
    ]);
    // Alpaca takes a client order id once: the guard goes under the resize's with -legs.
    expect(orderPosts().at(-1)).toMatchObject({
      client_order_id: `${resize.clientOrderId}-legs`,
      order_class: 'oco',
      type: 'limit',
      side: 'sell',
      qty: '15',
      time_in_force: 'gtc',
      stop_loss: { stop_price: '142.5' },
      take_profit: { limit_price: '175' },
    });
    expect((await broker.findByClientOrderId('COUNCIL', first.clientOrderId))?.legs).toEqual([expect.objectContaining({ kind: 'stop', status: 'canceled' })]);
    expect(await broker.replaceLegs(request)).toEqual(replaced);
    expect(fake.posts()).toHaveLength(3);
    // The guard is no working order of the book: it is listed as the position's protection (filled,
    // its legs resting), and it holds the whole position.
    const book = await broker.account('COUNCIL', at);
    expect(book.openOrders).toEqual([expect.objectContaining({ clientOrderId: resize.clientOrderId, symbol: 'IWM', side: 'buy', qty: 15, filledQty: 15, status: 'filled' })]);
    expect(book.openOrders[0]?.legs?.map((l) => [l.kind, l.price, l.status])).toEqual([
      ['stop', 142.5, 'accepted'],
      ['take_profit', 175, 'accepted'],
    ]);
    expect(openOrderText(book.openOrders[0]!)).toBe('IWM protected at the broker: stop 142.50, take-profit 175.00');
    expect(ordersAddingRisk(book)).toEqual([]);
    fake.setPrice('IWM', 142);
    expect(held()).toBe(0);
    expect((await broker.findByClientOrderId('COUNCIL', resize.clientOrderId))?.legs).toEqual([
      expect.objectContaining({ kind: 'stop', status: 'filled', filledQty: 15, avgFillPrice: 142 }),
      expect.objectContaining({ kind: 'take_profit', status: 'canceled' }),
    ]);
  });

  it('When a short is resized without a take-profit, Then one buy stop above covers it; an exit cancels it and answers the resize; halting keeps it', async () => {
    await broker.submit({ account: 'COUNCIL', clientOrderId: id('iwm'), symbol: 'IWM', side: 'sell', qty: 8, at, protect: { stopPrice: 160, takeProfitPrice: null } });
    const resize = await broker.submit({ account: 'COUNCIL', clientOrderId: id('iwm'), symbol: 'IWM', side: 'sell', qty: 4, at });
    const guarded = await broker.replaceLegs({
      account: 'COUNCIL',
      symbol: 'IWM',
      qty: -12,
      legs: { stopPrice: 158, takeProfitPrice: null },
      clientOrderId: resize.clientOrderId,
      at,
    });
    expect(orderPosts().at(-1)).toMatchObject({ type: 'stop', side: 'buy', qty: '12', stop_price: '158', time_in_force: 'gtc' });
    expect(guarded.legs).toEqual([expect.objectContaining({ kind: 'stop', price: 158, status: 'accepted' })]);
    fake.accounts.get(keyOf('COUNCIL'))!.fillMode = 'hold';
    await broker.submit({ account: 'COUNCIL', clientOrderId: id('spy'), symbol: 'SPY', side: 'buy', qty: 1, at });
    expect(await broker.cancelOpenOrders('COUNCIL', at)).toBe(1);
    expect((await broker.findByClientOrderId('COUNCIL', resize.clientOrderId))?.legs).toEqual([expect.objectContaining({ kind: 'stop', status: 'accepted' })]);
    expect(await broker.cancelLegs('COUNCIL', 'IWM', at)).toEqual([
      expect.objectContaining({ clientOrderId: resize.clientOrderId, legs: [expect.objectContaining({ kind: 'stop', status: 'canceled' })] }),
    ]);
    fake.setPrice('IWM', 159);
    expect(held()).toBe(-12);
  });
});
