/**
 * Order placement for an approved proposal. Every order is looked up by its client order id before it
 * is sent (but on the first attempt, which a marker proves no order can precede), so a crash or a retry
 * can never place an order twice; fills the broker reports are recorded as they come.
 *
 * Protective legs: an opening order is sent with its stop (and take-profit); an order that closes a
 * position cancels the position's resting legs first, and is not placed when a leg already filled (the
 * position is already out); a resize replaces the legs, after it filled, with one stop for the whole
 * position. A leg's fill is recorded in the proposal of the order that carried the legs, once.
 */
import { type AccountView, AmbiguousOrderError, type Broker, type BrokerOrder, OrderRejectedError, type OrderStatus } from '../../brokers/port.ts';
import { type ProposalEvent, ProposalError, type ProposalOrder, type ProposalState } from '../../domain/proposal.ts';
import { clientOrderId, EXIT_PREFIX } from '../../domain/sizing.ts';
import type { EventStore } from '../../store/port.ts';
import type { NoticeSink, OrderLine } from '../notices.ts';
import { streams } from '../streams.ts';
import { type ProposalRepository, repositoryOf } from './repository.ts';

export interface ExecutionDeps {
  store: EventStore;
  broker: Broker;
  sink: NoticeSink;
  council: string;
  fault?: (point: string) => void;
  /** The proposals as this app folds them; absent: the repository kept for `store` (repositoryOf). */
  proposals?: ProposalRepository;
}

export const proposalsOf = (deps: { store: EventStore; proposals?: ProposalRepository }): ProposalRepository => deps.proposals ?? repositoryOf(deps.store);

/**
 * Places every order of an approved proposal that is not yet known to be placed, in parallel across
 * accounts, then records fills. Safe to call again at any time: it only fills in what is missing.
 */
export async function executeProposal(
  deps: ExecutionDeps,
  proposalId: string,
  now: Date,
  settleAt?: Date,
  /** The approval's own append recorded this attempt's marker (see approveProposal). */
  marker?: 'first-attempt-recorded',
  /** The state the caller's own append left the proposal in (approveProposal), so it is not read again. */
  appended?: ProposalState,
): Promise<{ state: ProposalState; orders: OrderLine[] }> {
  const proposals = proposalsOf(deps);
  const stream = streams.proposal(proposalId);
  let state = appended ?? (await proposals.load(proposalId));
  if (!state.exists) throw new ProposalError('NOT_FOUND', `no proposal ${proposalId}`);
  if (state.status === 'APPROVED') {
    if (state.netted.length && (await cancelNetted(deps, state, now))) state = await proposals.load(proposalId);
    const todo = state.orders.filter((o) => !state.submitted[o.clientOrderId] && !state.rejectedOrders[o.clientOrderId]);
    // The marker goes in before anything is sent. On the first attempt no order can exist at the broker,
    // so the lookup is skipped (one round trip, not two); every later attempt looks each order up first.
    let firstAttempt = marker === 'first-attempt-recorded';
    if (todo.length && !firstAttempt)
      await stream.appendDecision(deps.store, (events) => {
        const attempts = events.filter((e) => e.type === 'ExecutionAttempted').length;
        firstAttempt = attempts === 0;
        return [{ type: 'ExecutionAttempted', data: { attempt: attempts + 1, at: now.toISOString() } }];
      });
    const notes = new Map<string, string>();
    // Every order at once, across and within accounts: the broker's round trip is the critical path.
    // Outcomes are recorded together afterwards, so no database work stands between two sends; a crash
    // in between is safe because every later attempt looks each order up before sending.
    const outcomes = await Promise.all(
      todo.map(async (order) => {
        // A close goes out only once the legs it would race are canceled; when one filled first, the
        // position is already out and nothing is placed (a retry cancels again: nothing is left to cancel).
        const out = order.cancelLegs ? await cancelLegsFirst(deps, order, now) : null;
        const outcome: PlaceOutcome = out ?? (await placeOnce(deps.broker, { ...order, at: now }, !firstAttempt));
        deps.fault?.('after-submit');
        return { order, outcome };
      }),
    );
    const recorded: Extract<ProposalEvent, { type: 'OrderSubmitted' | 'OrderRejected' }>[] = [];
    for (const { order, outcome } of outcomes) {
      if (outcome.kind === 'unknown') notes.set(order.clientOrderId, outcome.reason);
      else if (outcome.kind === 'placed')
        recorded.push({
          type: 'OrderSubmitted',
          data: {
            account: order.account,
            clientOrderId: order.clientOrderId,
            brokerOrderId: outcome.order.brokerOrderId,
            symbol: order.symbol,
            side: order.side,
            qty: order.qty,
            broker: deps.broker.kindOf(order.account),
          },
        });
      else recorded.push({ type: 'OrderRejected', data: { account: order.account, clientOrderId: order.clientOrderId, symbol: order.symbol, reason: outcome.reason } });
    }
    if (recorded.length)
      await stream.appendDecision(deps.store, (events) => {
        const known = new Set(events.flatMap((e) => (e.type === 'OrderSubmitted' || e.type === 'OrderRejected' ? [e.data.clientOrderId] : [])));
        return recorded.filter((e) => !known.has(e.data.clientOrderId));
      });
    state = await proposals.load(proposalId);
    const placed = state.orders.every((o) => state.submitted[o.clientOrderId] || state.rejectedOrders[o.clientOrderId]);
    if (placed)
      await stream.appendDecision(deps.store, (events) =>
        events.some((e) => e.type === 'ExecutionCompleted') ? [] : [{ type: 'ExecutionCompleted', data: { at: now.toISOString() } }],
      );
    if (notes.size)
      for (const [id, reason] of notes)
        deps.sink.publish({ type: 'run_failed', week: state.week, runId: null, errorId: id, message: `order ${id} is in an unknown state: ${reason}` }).catch(() => {});
  }
  const orders = await syncFills(deps, proposalId, settleAt ?? now);
  state = await proposals.load(proposalId);
  await deps.sink.publish({ type: 'execution_report', week: state.week, proposalId, orders, complete: state.status === 'EXECUTED' });
  return { state, orders };
}

/** How the rejection of an order canceled and folded into another proposal's order begins (cancelNetted). */
export const NETTED = 'netted: ';

/** The proposal a client order id belongs to (`tc-<proposalId>-<account>-<symbol>`). */
const proposalOfOrder = (o: { clientOrderId: string; account: string; symbol: string }) =>
  o.clientOrderId.slice('tc-'.length, o.clientOrderId.length - `-${o.account}-${o.symbol}`.length);

/** Whether the stream already records this order as rejected. */
const rejects = (clientOrderId: string) => (e: ProposalEvent) => e.type === 'OrderRejected' && e.data.clientOrderId === clientOrderId;

/**
 * Cancels the working exits and trims an approval folded into its orders, before any of them is sent,
 * and records each on the exit's own proposal (as a rejected order with the reason, so nobody waits for
 * its fill). An exit that filled (or could not be canceled) first leaves the folded order wrong: that
 * order is not placed, with the reason (the next checkpoint or proposal works from the book as it is).
 * Returns whether this proposal's stream changed.
 */
async function cancelNetted(deps: ExecutionDeps, state: ProposalState, now: Date): Promise<boolean> {
  let changed = false;
  for (const n of state.netted) {
    const exitId = proposalOfOrder(n);
    const exit = await proposalsOf(deps).load(exitId);
    if (exit.rejectedOrders[n.clientOrderId]) continue;
    const into = n.into ? `order ${n.into}` : 'nothing (the two cancel out)';
    const reason = `${NETTED}canceled at ${now.toISOString()} and folded into ${into} of proposal ${state.proposalId}, one order per account and symbol per session`;
    const after = deps.broker.cancelOrder
      ? await deps.broker.cancelOrder(n.account, n.clientOrderId, now, reason)
      : await deps.broker.findByClientOrderId(n.account, n.clientOrderId);
    if (after && after.status !== 'canceled') {
      const folded = n.into;
      if (folded && !state.rejectedOrders[folded] && !state.submitted[folded]) {
        const why = `not placed: ${n.clientOrderId} (${n.side} ${n.qty} ${n.symbol}) could not be canceled to be netted into it (it is ${after.status})`;
        await streams
          .proposal(state.proposalId)
          .appendDecision(deps.store, (events) =>
            events.some(rejects(folded)) ? [] : [{ type: 'OrderRejected', data: { account: n.account, clientOrderId: folded, symbol: n.symbol, reason: why } }],
          );
        changed = true;
      }
      continue;
    }
    // The exit had canceled the position's legs; kept on by this proposal after all, it gets its stop back.
    if (n.into === null) await reprotect(deps, state, n.account, n.symbol, now);
    if (!exitId.startsWith(EXIT_PREFIX)) continue;
    await streams
      .proposal(exitId)
      .appendDecision(deps.store, (events) =>
        events.some(rejects(n.clientOrderId)) ? [] : [{ type: 'OrderRejected', data: { account: n.account, clientOrderId: n.clientOrderId, symbol: n.symbol, reason } }],
      );
  }
  return changed;
}

/**
 * Puts the target's stop (and take-profit) back on a position this proposal holds on without an order of its
 * own, under the client order id its order would have had (so its fills are recorded here, idempotently).
 */
async function reprotect(deps: ExecutionDeps, state: ProposalState, account: string, symbol: string, now: Date): Promise<void> {
  const target = state.targets?.find((t) => t.account === account && t.symbol === symbol);
  if (!target?.qty || target.stop === null || target.stop === undefined) return;
  const id = clientOrderId(state.proposalId, account, symbol);
  try {
    await deps.broker.replaceLegs({ account, symbol, qty: target.qty, legs: { stopPrice: target.stop, takeProfitPrice: target.takeProfit ?? null }, clientOrderId: id, at: now });
  } catch (error) {
    legsNotPlaced(deps, state, id, `the stop of ${symbol} in ${account} was not placed again after netting`, error);
  }
}

/**
 * Says in the channels that legs could not be placed (the position keeps the legs it had, or none): never a
 * reason to stop recording fills. A broker that holds no legs at all (the router says so) is not a failure.
 */
function legsNotPlaced(deps: ExecutionDeps, state: ProposalState, errorId: string, what: string, error: unknown): void {
  const message = (error as Error).message;
  if (!(error instanceof OrderRejectedError) && /holds no protective legs/.test(message)) return;
  deps.sink.publish({ type: 'run_failed', week: state.week, runId: null, errorId, message: `${what}: ${message}` }).catch(() => {});
}

type PlaceOutcome = { kind: 'placed'; order: BrokerOrder } | { kind: 'rejected'; reason: string } | { kind: 'unknown'; reason: string };

const filledLegs = (order: BrokerOrder) => (order.legs ?? []).filter((l) => l.status === 'filled' && l.filledQty > 0);

/**
 * Cancels the resting legs of the position `order` closes. Undefined: go on and place it. A rejection: a
 * leg filled first (recorded in its own proposal), so the position is already out and nothing is placed.
 */
async function cancelLegsFirst(deps: ExecutionDeps, order: ProposalOrder, now: Date): Promise<PlaceOutcome | null> {
  const answered = await deps.broker.cancelLegs(order.account, order.symbol, now);
  const filled = answered.filter((o) => filledLegs(o).length > 0);
  if (filled.length === 0) return null;
  await recordLegFills(deps, filled, now);
  const what = filled.flatMap((o) =>
    filledLegs(o).map((l) => `the ${l.kind === 'stop' ? 'stop' : 'take-profit'} of ${o.clientOrderId} filled ${l.filledQty} at ${l.avgFillPrice}`),
  );
  return { kind: 'rejected', reason: `not placed: the position is already out (${what.join('; ')})` };
}

/** The proposal a client order id belongs to, when it is one of ours. */
const proposalIdOf = (o: { clientOrderId: string; account: string; symbol: string }): string | null => {
  const suffix = `-${o.account}-${o.symbol}`.toLowerCase();
  return o.clientOrderId.startsWith('tc-') && o.clientOrderId.endsWith(suffix) ? proposalOfOrder(o) : null;
};

/**
 * Records every filled leg of `orders` (parents as the broker answers them) as an OrderFilled in the
 * proposal of the parent, under the parent's client order id with -sl or -tp, once however often it is seen.
 * The leg's side is against the position it protected: the parent's opposite, or for legs a resize
 * replaced, against the whole position.
 */
export async function recordLegFills(deps: Pick<ExecutionDeps, 'store' | 'proposals'>, orders: readonly BrokerOrder[], asOf: Date): Promise<void> {
  for (const parent of orders) {
    const legs = filledLegs(parent);
    const proposalId = legs.length ? proposalIdOf(parent) : null;
    if (!proposalId) continue;
    await streams.proposal(proposalId).appendDecision(deps.store, (events) => {
      const state = proposalsOf(deps).fold(proposalId, events);
      if (!state.exists) return [];
      const planned = state.orders.find((o) => o.clientOrderId === parent.clientOrderId);
      const protects = planned?.replaceLegs ? Math.sign(planned.replaceLegs.qty) : parent.side === 'buy' ? 1 : -1;
      return legs.flatMap((leg): ProposalEvent[] => {
        const id = `${parent.clientOrderId}-${leg.kind === 'stop' ? 'sl' : 'tp'}`;
        if (state.fills[id]) return [];
        return [
          {
            type: 'OrderFilled',
            data: {
              account: parent.account,
              clientOrderId: id,
              symbol: parent.symbol,
              side: protects > 0 ? 'sell' : 'buy',
              qty: leg.filledQty,
              price: leg.avgFillPrice ?? 0,
              fee: Math.round((leg.fee ?? 0) * 100) / 100,
              filledAt: leg.filledAt ?? asOf.toISOString(),
              leg: leg.kind,
            },
          },
        ];
      });
    });
  }
}

/**
 * Settles the accounts and records what the legs did: a stop or take-profit that filled since the last
 * look becomes its proposal's OrderFilled (the checkpoints call this for every account, so a position
 * stopped out between them is known to be out).
 */
export async function syncLegFills(deps: ExecutionDeps, accounts: readonly string[], asOf: Date): Promise<void> {
  await recordLegFills(deps, await deps.broker.settle(accounts, asOf), asOf);
}

/** `syncLegFills`, answering each account's book as it stands after the settle (in the accounts' order). */
export async function syncLegFillsAndView(deps: ExecutionDeps, accounts: readonly string[], asOf: Date): Promise<AccountView[]> {
  const { changed, books } = await deps.broker.settleAndView(accounts, asOf);
  await recordLegFills(deps, changed, asOf);
  return books;
}

/**
 * Sends an order only when the broker has never seen it: on a retry it looks the order up first, and
 * after an ambiguous answer it always looks again before anything else.
 */
async function placeOnce(broker: Broker, order: ProposalOrder & { at: Date }, lookupFirst: boolean): Promise<PlaceOutcome> {
  const known = lookupFirst ? await broker.findByClientOrderId(order.account, order.clientOrderId) : undefined;
  if (known) return known.status === 'rejected' ? { kind: 'rejected', reason: known.rejectReason ?? 'rejected' } : { kind: 'placed', order: known };
  const { account, clientOrderId, symbol, side, qty, at, protect } = order;
  try {
    return { kind: 'placed', order: await broker.submit({ account, clientOrderId, symbol, side, qty, at, ...(protect ? { protect } : {}) }) };
  } catch (error) {
    if (error instanceof OrderRejectedError) return { kind: 'rejected', reason: error.message };
    if (error instanceof AmbiguousOrderError) {
      const after = await broker.findByClientOrderId(order.account, order.clientOrderId).catch(() => undefined);
      if (after) return { kind: 'placed', order: after };
      return { kind: 'unknown', reason: error.message };
    }
    throw error;
  }
}

/** Records fills the broker reports that the proposal's stream does not have yet. */
export async function syncFills(deps: ExecutionDeps, proposalId: string, asOf: Date): Promise<OrderLine[]> {
  const proposals = proposalsOf(deps);
  const state = await proposals.load(proposalId);
  const submitted = state.orders.filter((o) => state.submitted[o.clientOrderId]);
  // Settling may trigger any proposal's legs in these accounts: each is recorded in its own proposal.
  await syncLegFills(deps, [...new Set(submitted.map((o) => o.account))], asOf);
  const reports = (await Promise.all(submitted.map((o) => deps.broker.findByClientOrderId(o.account, o.clientOrderId)))).filter(
    (r): r is BrokerOrder => r !== undefined && r.filledQty > 0,
  );
  await recordLegFills(deps, reports, asOf);
  // A resize that filled gets one stop for the whole position before its fill is recorded: a crash in
  // between replaces them again on the next look (idempotent by the order's client order id), and once
  // the fill is recorded this order is never looked at again, so the legs are replaced exactly once.
  for (const r of reports) {
    const planned = state.orders.find((o) => o.clientOrderId === r.clientOrderId);
    if (!planned?.replaceLegs || r.filledQty < planned.qty || (state.fills[r.clientOrderId]?.qty ?? 0) >= planned.qty) continue;
    const { qty, stopPrice, takeProfitPrice } = planned.replaceLegs;
    try {
      await deps.broker.replaceLegs({ account: r.account, symbol: r.symbol, qty, legs: { stopPrice, takeProfitPrice }, clientOrderId: r.clientOrderId, at: asOf });
    } catch (error) {
      legsNotPlaced(deps, state, r.clientOrderId, `the legs of ${r.symbol} in ${r.account} were not replaced after the resize ${r.clientOrderId}`, error);
    }
  }
  if (reports.some((r) => r.filledQty > (state.fills[r.clientOrderId]?.qty ?? 0)))
    await streams.proposal(proposalId).appendDecision(deps.store, (events) => {
      const current = proposals.fold(proposalId, events);
      return reports.flatMap((r): ProposalEvent[] => {
        const have = current.fills[r.clientOrderId];
        const qty = r.filledQty - (have?.qty ?? 0);
        if (qty <= 0) return [];
        // The broker reports a cumulative average; this event carries the price of the new shares only.
        const price = ((r.avgFillPrice ?? 0) * r.filledQty - (have ? have.price * have.qty : 0)) / qty;
        return [
          {
            type: 'OrderFilled',
            data: {
              account: r.account,
              clientOrderId: r.clientOrderId,
              symbol: r.symbol,
              side: r.side,
              qty,
              price: Math.round(price * 10_000) / 10_000,
              fee: Math.round((r.fee - (have?.fee ?? 0)) * 100) / 100,
              filledAt: r.filledAt ?? asOf.toISOString(),
            },
          },
        ];
      });
    });
  return orderLines(await proposals.load(proposalId));
}

/** Each order of the proposal as its stream records it: planned, pending, submitted, filled or rejected (with why). */
export function orderLines(state: ProposalState): OrderLine[] {
  return state.orders.map((o) => {
    const fill = state.fills[o.clientOrderId];
    const rejected = state.rejectedOrders[o.clientOrderId];
    return {
      ...o,
      status: rejected ? 'rejected' : fill && fill.qty >= o.qty ? 'filled' : state.submitted[o.clientOrderId] ? 'submitted' : state.status === 'PENDING' ? 'planned' : 'pending',
      fillPrice: fill?.price ?? null,
      note: rejected ?? null,
    };
  });
}

/** Order states at the broker that may still fill. */
const WORKING: ReadonlySet<OrderStatus> = new Set(['accepted', 'partially_filled']);

/**
 * Whether an executed proposal (every order placed or refused, ExecutionCompleted recorded) leaves
 * execution nothing to do: each order filled in full, netted into another proposal's order, or sent and
 * still working at the broker (looked up by its client order id) with no fill the stream lacks. An
 * execution a crash interrupted, an order rejected for any other reason, or one canceled, expired or
 * filled at the broker since is work for executeProposal, as before.
 */
export async function alreadyOrdered(deps: Pick<ExecutionDeps, 'broker'>, state: ProposalState): Promise<boolean> {
  if (state.status !== 'EXECUTED') return false;
  for (const o of state.orders) {
    const filled = state.fills[o.clientOrderId]?.qty ?? 0;
    if (filled >= o.qty) continue;
    const rejected = state.rejectedOrders[o.clientOrderId];
    if (rejected !== undefined) {
      if (rejected.startsWith(NETTED)) continue;
      return false;
    }
    if (!state.submitted[o.clientOrderId]) return false;
    const known = await deps.broker.findByClientOrderId(o.account, o.clientOrderId);
    if (!known || !WORKING.has(known.status) || known.filledQty > filled) return false;
  }
  return true;
}
