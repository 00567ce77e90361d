/**
 * Approve, reject and expire: each goes through the one command handler (commands.ts). Approving
 * re-applies the limits at the click, from each account's book as it is then, and is decided together
 * with the kill switch; the orders then go out at once (placement.ts).
 */
import type { AccountView } from '../../brokers/port.ts';
import { approvalScope, type ProposalCommand, proposalAccounts, ProposalError, type ProposalOrder, type ProposalState } from '../../domain/proposal.ts';
import { clientOrderId, type NettedOrder, netWithWorking, ordersForTargets, type RiskLimits, type WorkingOrder } from '../../domain/sizing.ts';
import type { OrderLine } from '../notices.ts';
import { streams } from '../streams.ts';
import { handleProposalCommand } from './commands.ts';
import { haltedError, haltOf } from './halt.ts';
import { type ExecutionDeps, executeProposal, proposalsOf } from './placement.ts';

/** Approving re-applies the limits at the click, so it needs them. */
export interface ApproveDeps extends ExecutionDeps {
  sizing: { universe: readonly string[]; risk: RiskLimits };
}

/**
 * The orders a pending proposal places if approved now: from each account's book as it is at this
 * moment (working orders count as done) toward the targets the approver saw, inside the limits again.
 * `refusals` says why the result would not be what was shown; then nothing may be placed.
 */
export async function ordersAtApproval(
  deps: ApproveDeps,
  state: ProposalState,
  now: Date,
  /** Books already being read at this click (readBooks); any account missing is read here. */
  books?: ReadonlyMap<string, Promise<AccountView>>,
  /** A partial approval's accounts: only these are computed (and can stand in the way); absent: all. */
  only?: readonly string[],
): Promise<{ orders: ProposalOrder[]; refusals: string[]; working: WorkingOrder[] }> {
  const targets = only ? state.targets?.filter((t) => only.includes(t.account)) : state.targets;
  if (!targets) return { orders: [], refusals: ['it was planned before proposals carried their target positions, so what it would hold now cannot be checked'], working: [] };
  const accounts = [...new Set(targets.map((t) => t.account))];
  const plans = await Promise.all(
    accounts.map(async (account) => {
      const view = await (books?.get(account) ?? deps.broker.account(account, now));
      const positions: Record<string, number> = {};
      for (const p of view.positions) positions[p.symbol] = p.qty;
      for (const o of view.openOrders) positions[o.symbol] = (positions[o.symbol] ?? 0) + (o.side === 'buy' ? 1 : -1) * (o.qty - o.filledQty);
      const marks: Record<string, number> = {};
      for (const p of view.positions) if (p.marketPrice) marks[p.symbol] = p.marketPrice;
      const book = { equity: view.equity, buyingPower: view.buyingPower, positions, marks };
      const mine = (x: { account: string }) => x.account === account;
      const working = view.openOrders
        .filter((o) => o.filledQty === 0 && o.status === 'accepted')
        .map(({ clientOrderId, symbol, side, qty }) => ({ account, clientOrderId, symbol, side, qty }));
      return { ...ordersForTargets(account, targets.filter(mine), book, deps.sizing.universe, deps.sizing.risk, state.planned.filter(mine), state.scope), working };
    }),
  );
  return {
    orders: plans.flatMap((p) => p.orders.map((o) => ({ ...o, clientOrderId: clientOrderId(state.proposalId, o.account, o.symbol) }))),
    refusals: plans.flatMap((p) => p.refusals),
    working: plans.flatMap((p) => p.working),
  };
}

// The books being read for each proposal, by broker: a crowd clicking Approve at once shares the reads in
// flight for this proposal. Each is answered after the clicks it serves, only one click can win, and a
// storm does not become eighteen reads per click.
const booksInFlight = new WeakMap<ApproveDeps['broker'], Map<string, Map<string, Promise<AccountView>>>>();

/**
 * Starts reading, all at once, the book of every account the targets name (each adapter asks for all of an
 * account's book in parallel: one round trip for every read), and has the broker make sure whether it
 * lends the symbols a target holds short, so that check does not wait for the books. Reads only.
 */
function readBooks(deps: ApproveDeps, state: ProposalState, now: Date): Map<string, Promise<AccountView>> {
  const reading = booksInFlight.get(deps.broker) ?? new Map<string, Map<string, Promise<AccountView>>>();
  booksInFlight.set(deps.broker, reading);
  const shared = reading.get(state.proposalId);
  if (shared) return shared;
  const books = startBooks(deps, state, now);
  reading.set(state.proposalId, books);
  void Promise.allSettled(books.values()).then(() => {
    if (reading.get(state.proposalId) === books) reading.delete(state.proposalId);
  });
  return books;
}

function startBooks(deps: ApproveDeps, state: ProposalState, now: Date): Map<string, Promise<AccountView>> {
  const targets = state.targets ?? [];
  const shorts = targets.filter((t) => t.qty < 0).map((t) => ({ account: t.account, symbol: t.symbol, side: 'sell' as const, qty: -t.qty }));
  if (shorts.length) void deps.broker.anticipate?.(shorts, now);
  const books = new Map<string, Promise<AccountView>>();
  for (const account of new Set(targets.map((t) => t.account))) {
    const view = deps.broker.account(account, now);
    // A read nobody uses (the proposal turned out halted or decided) must not surface as unhandled.
    view.catch(() => {});
    books.set(account, view);
  }
  return books;
}

const approvable = (state: ProposalState | undefined, now: Date): state is ProposalState => state?.status === 'PENDING' && now.getTime() < Date.parse(state.expiresAt);

export interface ApproveRequest {
  proposalId: string;
  by: string;
  via: string;
  now: Date;
  /** When the simulated broker may fill (offline replays advance the clock to the open). */
  settleAt?: Date;
  /** A partial approval: only these accounts' orders are computed and placed, the rest declined; absent: all. */
  accounts?: readonly string[];
}

export async function approveProposal(deps: ApproveDeps, req: ApproveRequest): Promise<{ state: ProposalState; orders: OrderLine[] }> {
  const proposals = proposalsOf(deps);
  // The books are read at the click, and as soon as it allows: a proposal's targets never change once it
  // is opened, so when this process has already folded it (the channel that took the click just read it),
  // the books are asked for while the database says whether trading is halted and what state the proposal
  // is in now. Whether it may be approved is decided on that fresh read, never on the earlier one.
  const known = proposals.known(req.proposalId);
  const early = approvable(known, req.now) && known.targets ? readBooks(deps, known, req.now) : undefined;
  const [control, read] = await Promise.all([deps.store.read(streams.control(deps.council).name), deps.store.read(streams.proposal(req.proposalId).name)]);
  const before = proposals.fold(req.proposalId, read);
  const halt = haltOf(streams.control(deps.council).parse(control));
  if (halt.halted) throw haltedError(halt);
  // The orders placed are computed now, from the book as it is, toward the targets the approver saw
  // (only reads: the broker's books). A pending proposal's planned orders are never sent as they stand.
  let orders: ProposalOrder[] | undefined;
  let netted: NettedOrder[] = [];
  if (approvable(before, req.now)) {
    // An unknown account is refused before anything is read or recorded; the decider holds the same rule.
    const scope = req.accounts ? approvalScope(before, req.accounts).accounts : undefined;
    const computed = await ordersAtApproval(deps, before, req.now, early ?? (before.targets ? readBooks(deps, before, req.now) : undefined), scope);
    if (computed.refusals.length) {
      const why = computed.refusals.join('; ');
      const reason = before.targets ? `the book changed since it was shown: ${why}` : why;
      const { events } = await handleProposalCommand(deps.store, proposals, req.proposalId, { type: 'Withdraw', now: req.now, reason });
      if (events.length) await deps.sink.publish({ type: 'proposal_expired', week: before.week, proposalId: req.proposalId, at: req.now.toISOString(), reason });
      throw new ProposalError('STALE', `proposal ${req.proposalId} was withdrawn, not approved: ${reason}. Nothing was placed.`);
    }
    // One order per account and symbol for the session: an unfilled exit or trim of a symbol this
    // proposal trades is folded into its order (canceled at execution, before anything is sent).
    ({ orders, netted } = netWithWorking(computed.orders, computed.working));
    // The broker's read-only pre-checks overlap with recording the approval; nothing is sent before it.
    void deps.broker.prepare?.(orders);
  }
  // The approval carries the orders and the first execution marker in the same append: one database
  // write, not two, between the click and the orders. Whoever wrote it knows no order of this proposal
  // can exist yet. It is written only while the kill switch is as read above (off): a halt that landed
  // since makes the decision again, and that refuses.
  const approve: ProposalCommand = {
    type: 'Approve',
    by: req.by,
    via: req.via,
    now: req.now,
    ...(orders ? { orders } : {}),
    ...(netted.length ? { netted } : {}),
    ...(req.accounts ? { accounts: req.accounts } : {}),
  };
  const { state, events } = await handleProposalCommand(deps.store, proposals, req.proposalId, approve, {
    withDecided: (current) => [{ type: 'ExecutionAttempted', data: { attempt: current.attempts + 1, at: req.now.toISOString() } }],
    haltCheckOf: deps.council,
    read: { proposal: read, control },
  });
  const approvedHere = events.some((e) => e.type === 'ExecutionAttempted');
  // Channels are told while the orders go out, not before: a chat post is no part of what the approval
  // guarantees, and each channel still renders this notice before the execution report (they handle one
  // week's notices in the order published). Its failure is still the caller's, once the orders are out.
  const partial = state.declined.length ? { accounts: proposalAccounts(state).filter((a) => !state.declined.includes(a)), declined: state.declined } : {};
  const announced = deps.sink.publish({ type: 'proposal_approved', week: state.week, proposalId: req.proposalId, by: req.by, at: req.now.toISOString(), via: req.via, ...partial });
  announced.catch(() => {});
  // Whoever appended the approval knows the stream up to it: no read between the append and the sends.
  const executed = await executeProposal(deps, req.proposalId, req.now, req.settleAt, approvedHere ? 'first-attempt-recorded' : undefined, approvedHere ? state : undefined);
  await announced;
  return executed;
}

export async function rejectProposal(deps: ExecutionDeps, req: { proposalId: string; by: string; via: string; now: Date; reason: string | null }): Promise<ProposalState> {
  const { state } = await handleProposalCommand(deps.store, proposalsOf(deps), req.proposalId, {
    type: 'Reject',
    by: req.by,
    via: req.via,
    now: req.now,
    reason: req.reason,
  });
  await deps.sink.publish({ type: 'proposal_rejected', week: state.week, proposalId: req.proposalId, by: req.by, at: req.now.toISOString(), reason: req.reason });
  return state;
}

export async function expireProposal(deps: ExecutionDeps, proposalId: string, now: Date): Promise<boolean> {
  const { state, events } = await handleProposalCommand(deps.store, proposalsOf(deps), proposalId, { type: 'Expire', now });
  if (events.length) await deps.sink.publish({ type: 'proposal_expired', week: state.week, proposalId, at: now.toISOString() });
  return events.length > 0;
}
