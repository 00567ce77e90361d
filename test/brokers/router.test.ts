/**
 * The broker router (issue 14, item 5): accounts routed to any number of broker kinds, and each
 * optional capability (settling, pre-warming, one-order cancels, closing) reaching only the adapters
 * that declare it. The adapters are small in-memory brokers written here; nothing is mocked.
 */
import { describe, expect, it } from 'vitest';
import {
  type AccountView,
  type BrokerAdapter,
  type BrokerOrder,
  type CancellingOne,
  type Closing,
  isCancellingOne,
  isClosing,
  isPrewarming,
  isSettling,
  isSettlingWithBooks,
  type OrderRequest,
  type PlannedOrder,
  type Prewarming,
  type Settling,
  type SettlingWithBooks,
} from '../../src/brokers/port.ts';
import { createBrokerRouter } from '../../src/brokers/router.ts';
import { acceptedOrder } from '../support/orders.ts';

/** A broker of one kind that accepts every order and keeps them; `log` records what reached it. */
function plainBroker(kind: string, log: string[]): BrokerAdapter {
  const orders = new Map<string, BrokerOrder>();
  return {
    kind,
    async submit(order: OrderRequest) {
      log.push(`${kind} submit ${order.account} ${order.clientOrderId}`);
      const placed = acceptedOrder(order, `${kind}-${order.clientOrderId}`);
      orders.set(order.clientOrderId, placed);
      return placed;
    },
    findByClientOrderId: async (_account, clientOrderId) => orders.get(clientOrderId),
    account: async (account): Promise<AccountView> => ({ account, broker: kind, equity: 0, cash: 0, buyingPower: 0, positions: [], openOrders: [...orders.values()] }),
    cancelOpenOrders: async () => 0,
  };
}

function settlingBroker(kind: string, log: string[]): BrokerAdapter & Settling {
  return {
    ...plainBroker(kind, log),
    async settle(accounts) {
      log.push(`${kind} settle ${accounts.join(',')}`);
      return [];
    },
  };
}

function warmingBroker(kind: string, log: string[]): BrokerAdapter & Prewarming & Closing {
  const symbols = (orders: readonly PlannedOrder[]) => orders.map((o) => `${o.account}:${o.symbol}`).join(',');
  return {
    ...plainBroker(kind, log),
    prepare: async (orders) => void log.push(`${kind} prepare ${symbols(orders)}`),
    anticipate: async (orders) => void log.push(`${kind} anticipate ${symbols(orders)}`),
    close: () => void log.push(`${kind} close`),
  };
}

const at = new Date('2024-03-04T14:00:00Z');
const sell = (account: string, symbol: string): PlannedOrder => ({ account, symbol, side: 'sell', qty: 1 });

describe('Broker router', () => {
  it('When accounts are routed to three kinds of broker, Then each order, lookup and book goes to its account’s broker, and kindOf names it', async () => {
    const log: string[] = [];
    const router = createBrokerRouter({
      accounts: { LIVE: warmingBroker('alpaca', log), PAPER2: plainBroker('other', log) },
      fallback: settlingBroker('simulated', log),
    });
    expect(['LIVE', 'PAPER2', 'SIM'].map((a) => router.kindOf(a))).toEqual(['alpaca', 'other', 'simulated']);
    for (const account of ['LIVE', 'PAPER2', 'SIM']) await router.submit({ account, clientOrderId: `tc-${account}`, symbol: 'SPY', side: 'buy', qty: 1, at });
    expect(log).toEqual(['alpaca submit LIVE tc-LIVE', 'other submit PAPER2 tc-PAPER2', 'simulated submit SIM tc-SIM']);
    expect((await router.account('PAPER2', at)).broker).toBe('other');
    expect(await router.findByClientOrderId('SIM', 'tc-SIM')).toMatchObject({ brokerOrderId: 'simulated-tc-SIM' });
  });

  it('When the week settles, warms up and closes, Then each capability reaches only the brokers that have it, with their own accounts', async () => {
    const log: string[] = [];
    const router = createBrokerRouter({ accounts: { A: warmingBroker('alpaca', log), B: plainBroker('other', log) }, fallback: settlingBroker('simulated', log) });
    expect(await router.settle(['A', 'B', 'S1', 'S2'], at)).toEqual([]);
    await router.prepare([sell('A', 'SPY'), sell('B', 'TLT'), sell('S1', 'GLD')]);
    await router.anticipate([sell('A', 'QQQ'), sell('S2', 'SPY')], at);
    router.close();
    expect(log).toEqual(['simulated settle S1,S2', 'alpaca prepare A:SPY', 'alpaca anticipate A:QQQ', 'alpaca close']);
  });

  it('When a checkpoint settles and views its accounts in one call, Then each broker settles its own, and the books come back in the accounts’ order from the broker that holds each', async () => {
    const log: string[] = [];
    const booked: BrokerAdapter & SettlingWithBooks = {
      ...settlingBroker('booked', log),
      async settleAndView(accounts) {
        log.push(`booked settleAndView ${accounts.join(',')}`);
        return { changed: [], books: accounts.map((account) => ({ account, broker: 'booked', equity: 1, cash: 1, buyingPower: 1, positions: [], openOrders: [] })) };
      },
    };
    const router = createBrokerRouter({ accounts: { A: plainBroker('alpaca', log), B: booked }, fallback: settlingBroker('simulated', log) });
    const { changed, books } = await router.settleAndView(['S1', 'A', 'B', 'S2'], at);
    expect(changed).toEqual([]);
    expect(books.map((b) => `${b.account}@${b.broker}`)).toEqual(['S1@simulated', 'A@alpaca', 'B@booked', 'S2@simulated']);
    expect(log).toEqual(['booked settleAndView B', 'simulated settle S1,S2']);
    expect(isSettlingWithBooks(booked) && !isSettlingWithBooks(settlingBroker('plain', []))).toBe(true);
  });

  it('When a broker cannot cancel one order, Then the router answers the order as it stands, and one that can is asked to cancel it', async () => {
    const log: string[] = [];
    const cancelling: BrokerAdapter & CancellingOne = {
      ...plainBroker('simulated', log),
      cancelOrder: async (_account, id) => {
        log.push(`cancel ${id}`);
        return undefined;
      },
    };
    const router = createBrokerRouter({ accounts: { P: plainBroker('other', log) }, fallback: cancelling });
    await router.submit({ account: 'P', clientOrderId: 'tc-p', symbol: 'SPY', side: 'sell', qty: 1, at });
    expect(await router.cancelOrder('P', 'tc-p', at, 'netted')).toMatchObject({ clientOrderId: 'tc-p', status: 'accepted' });
    expect(await router.cancelOrder('S', 'tc-s', at, 'netted')).toBeUndefined();
    expect(log).toContain('cancel tc-s');
  });

  it('When an account has no broker and there is no fallback, Then using it is an error, not a guess', () => {
    const router = createBrokerRouter({ accounts: { A: plainBroker('alpaca', []) } });
    expect(() => router.kindOf('B')).toThrow('account B has no broker');
  });

  it('When capabilities are asked of an adapter, Then the type guards find only what it implements', () => {
    const plain = plainBroker('other', []);
    const warming = warmingBroker('alpaca', []);
    expect([isSettling(plain), isPrewarming(plain), isCancellingOne(plain), isClosing(plain)]).toEqual([false, false, false, false]);
    expect([isSettling(warming), isPrewarming(warming), isCancellingOne(warming), isClosing(warming)]).toEqual([false, true, false, true]);
    expect(isSettling(settlingBroker('simulated', []))).toBe(true);
  });
});
