/**
 * One Broker over several: each account goes to Alpaca when it has keys, else to the simulated broker.
 * The pipeline keeps seeing a single port; `kindOf` says where an account trades.
 */
import type { Broker } from './port.ts';

export function createBrokerRouter(routes: { alpaca: Broker; alpacaAccounts: readonly string[]; simulated: Broker }): Broker {
  const onAlpaca = new Set(routes.alpacaAccounts);
  const brokerOf = (account: string): Broker => (onAlpaca.has(account) ? routes.alpaca : routes.simulated);

  return {
    kindOf: (account) => (onAlpaca.has(account) ? 'alpaca' : 'simulated'),
    submit: (order) => brokerOf(order.account).submit(order),
    findByClientOrderId: (account, clientOrderId) => brokerOf(account).findByClientOrderId(account, clientOrderId),
    account: (account, asOf) => brokerOf(account).account(account, asOf),
    async settle(accounts, asOf) {
      const alpaca = accounts.filter((a) => onAlpaca.has(a));
      const simulated = accounts.filter((a) => !onAlpaca.has(a));
      const [a, s] = await Promise.all([alpaca.length ? routes.alpaca.settle(alpaca, asOf) : [], simulated.length ? routes.simulated.settle(simulated, asOf) : []]);
      return [...a, ...s];
    },
    cancelOpenOrders: (account, at) => brokerOf(account).cancelOpenOrders(account, at),
    async cancelOrder(account, clientOrderId, at, reason) {
      const broker = brokerOf(account);
      if (!broker.cancelOrder) return broker.findByClientOrderId(account, clientOrderId);
      return broker.cancelOrder(account, clientOrderId, at, reason);
    },
    prepare: async (orders) => routes.alpaca.prepare?.(orders.filter((o) => onAlpaca.has(o.account))),
    anticipate: async (orders, until) =>
      routes.alpaca.anticipate?.(
        orders.filter((o) => onAlpaca.has(o.account)),
        until,
      ),
    close: () => {
      routes.alpaca.close?.();
      routes.simulated.close?.();
    },
  };
}
