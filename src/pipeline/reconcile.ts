/**
 * Reconciliation at start: every account on a real broker is compared with what the event store
 * records (orders of approved proposals, their fills). The broker is the truth about what happened;
 * the store is the truth about what we asked for. Differences are reported, never silently patched:
 * the one repair, recording an order the broker accepted before a crash, is left to executeProposal,
 * which looks every order up by client order id before sending anything.
 */
import type { Broker } from '../brokers/port.ts';
import type { ProposalState } from '../domain/proposal.ts';
import type { EventStore } from '../store/port.ts';
import { type ProposalRepository, proposalsOf } from './execution.ts';
import type { AccountReconciliation } from './notices.ts';
import { streams } from './streams.ts';

export interface ReconcileDeps {
  store: EventStore;
  /** The application's proposal repository; absent, the one kept for `store`. */
  proposals?: ProposalRepository;
  broker: Broker;
  accounts: readonly string[];
  council: string;
  now: Date;
}

export const reconciliationStream = (council: string) => streams.reconciliation(council).name;

const ENDED = new Set(['canceled', 'expired', 'rejected']);

export const hasDifferences = (a: AccountReconciliation): boolean =>
  a.error !== null || a.unrecordedOrders.length + a.endedOrders.length + a.foreignOpenOrders.length + a.positions.length > 0;

async function liveProposals(deps: ReconcileDeps): Promise<ProposalState[]> {
  return (await proposalsOf(deps).list()).filter((s) => s.status === 'APPROVED' || s.status === 'EXECUTED');
}

async function reconcileAccount(deps: ReconcileDeps, account: string, proposals: readonly ProposalState[], ourIds: ReadonlySet<string>): Promise<AccountReconciliation> {
  const result: AccountReconciliation = { account, unrecordedOrders: [], endedOrders: [], foreignOpenOrders: [], positions: [], error: null };
  try {
    const view = await deps.broker.account(account, deps.now);
    const recorded = new Map<string, number>();
    for (const p of proposals) {
      for (const order of p.orders.filter((o) => o.account === account)) {
        const id = order.clientOrderId;
        const fill = p.fills[id];
        if (fill) recorded.set(order.symbol, (recorded.get(order.symbol) ?? 0) + (order.side === 'buy' ? fill.qty : -fill.qty));
        // A protective leg's fill (recorded under the order's id with -sl or -tp) closed what the order opened.
        const closed = (p.fills[`${id}-sl`]?.qty ?? 0) + (p.fills[`${id}-tp`]?.qty ?? 0);
        if (closed) recorded.set(order.symbol, (recorded.get(order.symbol) ?? 0) - (order.side === 'buy' ? closed : -closed));
        if (p.rejectedOrders[id] !== undefined) continue;
        const placed = p.submitted[id] !== undefined;
        if (placed && (fill?.qty ?? 0) >= order.qty) continue;
        const atBroker = await deps.broker.findByClientOrderId(account, id);
        if (!placed && atBroker) {
          result.unrecordedOrders.push({ proposalId: p.proposalId, clientOrderId: id, symbol: order.symbol, side: order.side, qty: order.qty, status: atBroker.status });
        } else if (placed && (!atBroker || ENDED.has(atBroker.status))) {
          result.endedOrders.push({ proposalId: p.proposalId, clientOrderId: id, symbol: order.symbol, status: atBroker?.status ?? 'unknown to the broker' });
        }
      }
    }
    for (const o of view.openOrders) {
      if (!ourIds.has(o.clientOrderId)) result.foreignOpenOrders.push({ clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, qty: o.qty });
    }
    const held = new Map(view.positions.map((p) => [p.symbol, p.qty]));
    for (const symbol of [...new Set([...held.keys(), ...recorded.keys()])].sort()) {
      const broker = held.get(symbol) ?? 0;
      const mine = recorded.get(symbol) ?? 0;
      if (broker !== mine) result.positions.push({ symbol, broker, recorded: mine });
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  }
  return result;
}

/**
 * Compares every account on a real broker (the simulated broker's state lives in the event store, so
 * it cannot disagree with it). When anything differs, the comparison is appended as an event.
 */
export async function reconcileAccounts(deps: ReconcileDeps): Promise<AccountReconciliation[]> {
  const real = deps.accounts.filter((a) => deps.broker.kindOf(a) !== 'simulated');
  if (real.length === 0) return [];
  const proposals = await liveProposals(deps);
  const ourIds = new Set(proposals.flatMap((p) => p.orders.map((o) => o.clientOrderId)));
  const accounts = await Promise.all(real.map((account) => reconcileAccount(deps, account, proposals, ourIds)));
  const differing = accounts.filter(hasDifferences);
  if (differing.length) {
    await streams.reconciliation(deps.council).decide(deps.store, () => [{ type: 'Reconciled', data: { at: deps.now.toISOString(), accounts: differing } }]);
  }
  return differing;
}
