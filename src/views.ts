/** The `--json` documents of INTERFACE.md (fixed keys), built from the event-sourced state. */
import { type ProposalState, proposalAccounts } from './domain/proposal.ts';
import type { OrderLine } from './pipeline/notices.ts';
import { identities, totalUsage } from './pipeline/run.ts';
import type { WeekState } from './pipeline/week.ts';

/** `proposalStatus`: the proposal's status now (its own stream); a run just finished has a PENDING one. */
export function runJson(state: WeekState, proposalStatus = 'PENDING') {
  const s = state.started;
  const labels = state.decision?.labels ?? [];
  return {
    runId: s?.runId ?? null,
    week: s?.week ?? null,
    asOf: s?.asOf ?? null,
    query: s?.query ?? null,
    requestedBy: s?.requestedBy ?? null,
    outcome: state.completed?.outcome ?? 'in progress',
    research: state.research
      ? {
          ...state.research.pack,
          lastSession: state.research.snapshot.lastSession,
          // `sources` is the pack's dated sources; the researchers that answered are `researchers`.
          sources: state.research.pack.sources ?? [],
          researchers: state.research.sources,
          droppedCitations: state.research.droppedCitations ?? [],
        }
      : null,
    pitches: (s?.seats ?? []).map((seat) => {
      const p = state.pitches.get(seat.id);
      return {
        seat: seat.id,
        model: p?.model ?? seat.model,
        kind: p?.kind ?? seat.kind,
        account: seat.account,
        label: labels.find((l) => l.seat === seat.id)?.label ?? null,
        status: p?.status ?? 'abstained',
        ...(p?.pitch ? { pitch: p.pitch } : {}),
        ...(p?.error ? { error: p.error } : {}),
      };
    }),
    reviews: [...state.reviews.values()].map((r) => ({
      reviewer: r.reviewer,
      status: r.status,
      seed: r.seed,
      ...(r.error ? { error: r.error } : {}),
      scores: r.scores.map((x) => ({ target: x.seat, label: x.target, rubric: x.rubric, killShot: x.killShot, flipCondition: x.flipCondition, improvements: x.improvements })),
    })),
    decision: state.decision ? { ...state.decision.decision, chairman: state.decision.chair } : null,
    identities: identities(state),
    proposal: state.proposal
      ? {
          id: state.proposal.proposalId,
          status: proposalStatus,
          expiresAt: state.proposal.expiresAt,
          // Signed holdings after execution; weeks planned before targets were recorded have none.
          targets: (state.proposal.targets ?? []).map(({ account, symbol, qty }) => ({ account, symbol, qty })),
          orders: state.proposal.orders,
        }
      : null,
    usage: totalUsage(state),
  };
}

export function approveJson(state: ProposalState, orders: OrderLine[]) {
  return {
    proposalId: state.proposalId,
    status: state.status,
    approvedBy: state.approvedBy ?? null,
    // The accounts approved (their orders placed) and those the approver declined (a partial approval).
    accounts: state.approvedBy ? proposalAccounts(state).filter((a) => !state.declined.includes(a)) : [],
    declined: state.declined,
    ...(state.expiredReason ? { reason: state.expiredReason } : {}),
    targets: (state.targets ?? []).map(({ account, symbol, qty }) => ({ account, symbol, qty })),
    orders: orders.map((o) => ({
      account: o.account,
      symbol: o.symbol,
      side: o.side,
      qty: o.qty,
      clientOrderId: o.clientOrderId,
      status: o.status,
      fillPrice: o.fillPrice,
      ...(o.note ? { reason: o.note } : {}),
    })),
  };
}
