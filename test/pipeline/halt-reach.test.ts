/**
 * The kill switch reaches every account: one the broker cannot answer for (keys revoked, a 403) does not
 * keep the others' risk-adding orders working. The halt is recorded and announced, the other accounts'
 * orders are canceled, and the caller is told which account failed.
 */
import { describe, expect, it } from 'vitest';
import type { AccountView, Broker, BrokerOrder } from '../../src/brokers/port.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { HaltIncompleteError, isHalted, setHalted } from '../../src/pipeline/proposals/halt.ts';
import { createMemoryEventStore } from '../../src/store/memory.ts';
import { acceptedOrder } from '../support/orders.ts';

const now = new Date('2026-11-24T15:00:00Z');

const working = (account: string, clientOrderId: string): BrokerOrder => acceptedOrder({ account, clientOrderId, symbol: 'SPY', side: 'buy', qty: 10 }, `b-${clientOrderId}`);

/** Three accounts, each with one opening order working; the broker refuses every read of B. */
function desk() {
  const open = new Map([
    ['A', [working('A', 'p1-A-SPY')]],
    ['C', [working('C', 'p1-C-SPY')]],
  ]);
  const canceled: string[] = [];
  const broker = {
    async account(account: string): Promise<AccountView> {
      if (account === 'B') throw new Error('forbidden (HTTP 403)');
      return { account, broker: 'simulated', equity: 100_000, cash: 100_000, buyingPower: 100_000, positions: [], openOrders: open.get(account) ?? [] };
    },
    async cancelOrder(account: string, id: string) {
      canceled.push(`${account}:${id}`);
      const order = open.get(account)?.find((o) => o.clientOrderId === id);
      return order ? { ...order, status: 'canceled' as const } : undefined;
    },
  } as unknown as Broker;
  return { broker, canceled };
}

describe('Halting with one account the broker cannot answer for', () => {
  it('When the halt runs, Then it is recorded and announced, the other accounts’ opening orders are canceled, and the error names the failed account', async () => {
    const store = createMemoryEventStore(() => now);
    const notices: Notice[] = [];
    const { broker, canceled } = desk();
    const sink = { publish: async (n: Notice) => void notices.push(n) };
    const halt = setHalted({ store, broker, sink, council: 'main', accounts: ['A', 'B', 'C'] }, true, 'cli:ops', now);
    await expect(halt).rejects.toBeInstanceOf(HaltIncompleteError);
    await expect(halt).rejects.toThrow(/open orders of B could not be read or canceled \(2 canceled elsewhere\)/);
    expect((await isHalted(store, 'main')).halted).toBe(true);
    expect(canceled.sort()).toEqual(['A:p1-A-SPY', 'C:p1-C-SPY']);
    expect(notices).toEqual([expect.objectContaining({ type: 'halt_changed', halted: true, canceledOrders: 2 })]);
  });
});
