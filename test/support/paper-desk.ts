/**
 * A paper desk for the approval races (test/pipeline/approval-*.test.ts): one account whose book is fixed
 * (cash, and the positions given), every order accepted and kept, nothing else. `onBookRead` runs at each
 * read of the book, where a test lands the halt or pause it races against the click.
 */
import type { AccountView, Broker, BrokerOrder, OrderRequest, PositionView } from '../../src/brokers/port.ts';
import { acceptedOrder } from './orders.ts';

export function paperDesk(options: { onBookRead?: () => Promise<void>; positions?: PositionView[] } = {}) {
  const positions = options.positions ?? [];
  const invested = positions.reduce((s, p) => s + p.marketValue, 0);
  const submitted: OrderRequest[] = [];
  const orders = new Map<string, BrokerOrder>();
  const broker: Broker = {
    kindOf: () => 'simulated',
    async submit(order) {
      submitted.push(order);
      const placed = acceptedOrder(order, `b-${submitted.length}`);
      orders.set(order.clientOrderId, placed);
      return placed;
    },
    findByClientOrderId: async (_account, id) => orders.get(id),
    async account(account): Promise<AccountView> {
      await options.onBookRead?.();
      return { account, broker: 'simulated', equity: 100_000, cash: 100_000 - invested, buyingPower: 100_000 - invested, positions, openOrders: [] };
    },
    settle: async () => [],
    async settleAndView(accounts) {
      return { changed: [], books: await Promise.all(accounts.map((account) => broker.account(account, new Date(0)))) };
    },
    cancelOpenOrders: async () => 0,
    cancelOrder: async (_account, id) => orders.get(id),
    prepare: async () => {},
    anticipate: async () => {},
    cancelLegs: async () => [],
    replaceLegs: async () => {
      throw new Error('no legs on the paper desk');
    },
    watch: () => () => {},
    close: () => {},
  };
  return { broker, submitted };
}
