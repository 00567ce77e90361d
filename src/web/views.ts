/** The JSON documents of the dashboard's API that the CLI has no `--json` twin for: a proposal as its stream tells it. */
import type { ProposalState } from '../domain/proposal.ts';
import type { OrderLine } from '../pipeline/notices.ts';

/** Each order of a proposal with what became of it, from the proposal's events alone (no broker asked). */
export function orderLines(state: ProposalState): OrderLine[] {
  return state.orders.map((o) => {
    const fill = state.fills[o.clientOrderId];
    const rejected = state.rejectedOrders[o.clientOrderId];
    const status: OrderLine['status'] = rejected
      ? 'rejected'
      : fill && fill.qty >= o.qty
        ? 'filled'
        : state.submitted[o.clientOrderId]
          ? 'submitted'
          : state.status === 'PENDING'
            ? 'planned'
            : 'pending';
    return { ...o, status, fillPrice: fill?.price ?? null, note: rejected ?? null };
  });
}

export function proposalJson(state: ProposalState) {
  return {
    proposalId: state.proposalId,
    status: state.status,
    week: state.week,
    asOf: state.asOf,
    expiresAt: state.expiresAt,
    decision: state.decision ?? null,
    approvedBy: state.approvedBy ?? null,
    rejected: state.rejected ?? null,
    expiredReason: state.expiredReason ?? null,
    targets: (state.targets ?? []).map(({ account, symbol, qty }) => ({ account, symbol, qty })),
    orders: orderLines(state).map((o) => ({
      account: o.account,
      symbol: o.symbol,
      side: o.side,
      qty: o.qty,
      clientOrderId: o.clientOrderId,
      status: o.status,
      fillPrice: o.fillPrice,
      ...(o.note ? { reason: o.note } : {}),
    })),
    refusals: state.refusals,
  };
}
