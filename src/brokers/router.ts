/**
 * One Broker over any number of broker adapters, routed by account: each account trades on the
 * adapter it is given (Alpaca when it has keys), any other on the fallback (the simulated broker).
 * The pipeline keeps seeing a single port; `kindOf` says where an account trades, and each optional
 * capability reaches the adapters that have it.
 */
import {
  type Broker,
  type BrokerAdapter,
  type BrokerOrder,
  isCancellingOne,
  isClosing,
  isPrewarming,
  isProtecting,
  isSettling,
  isSettlingWithBooks,
  isStreaming,
  type PlannedOrder,
  type Prewarming,
  type SettledBooks,
} from './port.ts';

export interface BrokerRoutes {
  /** account -> the adapter it trades on. */
  accounts?: Readonly<Record<string, BrokerAdapter>>;
  /** Where every account not listed trades; without one, such an account is an error. */
  fallback?: BrokerAdapter;
}

export function createBrokerRouter(routes: BrokerRoutes): Broker {
  const routed = new Map(Object.entries(routes.accounts ?? {}));
  const adapters = [...new Set([...routed.values(), ...(routes.fallback ? [routes.fallback] : [])])];
  const brokerOf = (account: string): BrokerAdapter => {
    const broker = routed.get(account) ?? routes.fallback;
    if (!broker) throw new Error(`account ${account} has no broker`);
    return broker;
  };
  /** Items grouped by the adapter of their account, in the order the adapters were given. */
  const byAdapter = <T>(items: readonly T[], accountOf: (item: T) => string): [BrokerAdapter, T[]][] =>
    adapters.map((broker): [BrokerAdapter, T[]] => [broker, items.filter((item) => brokerOf(accountOf(item)) === broker)]).filter(([, mine]) => mine.length > 0);
  const prewarm = async (orders: readonly PlannedOrder[], warm: (broker: BrokerAdapter & Prewarming, mine: PlannedOrder[]) => Promise<void>) => {
    await Promise.all(byAdapter(orders, (o) => o.account).map(([broker, mine]) => (isPrewarming(broker) ? warm(broker, mine) : undefined)));
  };

  return {
    kindOf: (account) => brokerOf(account).kind,
    submit: (order) => brokerOf(order.account).submit(order),
    findByClientOrderId: (account, clientOrderId) => brokerOf(account).findByClientOrderId(account, clientOrderId),
    account: (account, asOf) => brokerOf(account).account(account, asOf),
    cancelOpenOrders: (account, at) => brokerOf(account).cancelOpenOrders(account, at),
    async settle(accounts, asOf) {
      const settled = await Promise.all(
        byAdapter(accounts, (a) => a).map(([broker, mine]): Promise<BrokerOrder[]> | BrokerOrder[] => (isSettling(broker) ? broker.settle(mine, asOf) : [])),
      );
      return settled.flat();
    },
    async settleAndView(accounts, asOf) {
      // Each adapter settles and views its own accounts (in one call where it can); the books come back in the accounts' order.
      const parts = await Promise.all(
        byAdapter(accounts, (a) => a).map(async ([broker, mine]): Promise<SettledBooks & { mine: string[] }> => {
          if (isSettlingWithBooks(broker)) return { mine, ...(await broker.settleAndView(mine, asOf)) };
          const changed = isSettling(broker) ? await broker.settle(mine, asOf) : [];
          return { mine, changed, books: await Promise.all(mine.map((account) => broker.account(account, asOf))) };
        }),
      );
      const books = new Map(parts.flatMap(({ mine, books }) => mine.map((account, i) => [account, books[i]!] as const)));
      return { changed: parts.flatMap((p) => p.changed), books: accounts.map((account) => books.get(account)!) };
    },
    async cancelOrder(account, clientOrderId, at, reason) {
      const broker = brokerOf(account);
      return isCancellingOne(broker) ? broker.cancelOrder(account, clientOrderId, at, reason) : broker.findByClientOrderId(account, clientOrderId);
    },
    async cancelLegs(account, symbol, at) {
      const broker = brokerOf(account);
      return isProtecting(broker) ? broker.cancelLegs(account, symbol, at) : [];
    },
    async replaceLegs(request) {
      const broker = brokerOf(request.account);
      if (!isProtecting(broker)) throw new Error(`account ${request.account} trades on ${broker.kind}, which holds no protective legs`);
      return broker.replaceLegs(request);
    },
    watch(handlers) {
      const stops = adapters.filter(isStreaming).map((broker) => broker.watch(handlers));
      return () => {
        for (const stop of stops) stop();
      };
    },
    prepare: (orders) => prewarm(orders, (broker, mine) => broker.prepare(mine)),
    anticipate: (orders, until) => prewarm(orders, (broker, mine) => broker.anticipate(mine, until)),
    close: () => {
      for (const broker of adapters) if (isClosing(broker)) broker.close();
    },
  };
}
