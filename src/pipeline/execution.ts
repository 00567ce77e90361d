/**
 * Approval and execution. Approve/Reject go through the pure proposal decider with an expected-version
 * append, so concurrent clicks from any channel settle to one approval. Execution looks every order up
 * by its client order id before sending it, so a crash or a retry can never place an order twice.
 */
import { type AccountView, AmbiguousOrderError, type Broker, type BrokerOrder, OrderRejectedError } from '../brokers/port.ts';
import {
  decideProposal,
  evolveProposal,
  foldProposal,
  type ProposalCommand,
  type ProposalEvent,
  ProposalError,
  type ProposalOrder,
  type ProposalState,
} from '../domain/proposal.ts';
import { clientOrderId, EXIT_PREFIX, type NettedOrder, netWithWorking, ordersForTargets, type RiskLimits, type WorkingOrder } from '../domain/sizing.ts';
import { appendDecided } from '../store/append.ts';
import type { EventStore, StoredEvent } from '../store/port.ts';
import { ConcurrencyError } from '../store/port.ts';
import type { NoticeSink, OrderLine } from './notices.ts';
import { proposalStream } from './streams.ts';

export interface ExecutionDeps {
  store: EventStore;
  broker: Broker;
  sink: NoticeSink;
  council: string;
  fault?: (point: string) => void;
}

const asProposalEvents = (events: readonly StoredEvent[]) => events as unknown as ProposalEvent[];

// Folded proposals by store, each with the version it was folded to and the global position of its
// last event. Events never change once written, so a state folded to version n stays true for those n
// events; only newer events are folded. The position guards against a store emptied and refilled.
type Folded = { version: number; last: string | undefined; state: ProposalState };
const folded = new WeakMap<EventStore, Map<string, Folded>>();

function foldedOf(store: EventStore): Map<string, Folded> {
  const byId = folded.get(store) ?? new Map<string, Folded>();
  folded.set(store, byId);
  return byId;
}

function foldFrom(store: EventStore, proposalId: string, events: readonly StoredEvent[]): ProposalState {
  const byId = foldedOf(store);
  const known = byId.get(proposalId);
  const still = known !== undefined && known.version <= events.length && events[known.version - 1]?.globalPosition === known.last;
  if (still && known.version === events.length) return known.state;
  const state = still ? asProposalEvents(events.slice(known.version)).reduce(evolveProposal, known.state) : foldProposal(asProposalEvents(events));
  byId.set(proposalId, { version: events.length, last: events[events.length - 1]?.globalPosition, state });
  return state;
}

export async function loadProposal(store: EventStore, proposalId: string): Promise<ProposalState> {
  return foldFrom(store, proposalId, await store.read(proposalStream(proposalId)));
}

const listings = new WeakMap<EventStore, { listing: unknown; all: readonly ProposalState[] }>();
// The memory store keeps a stream's (frozen) listing entry until the stream moves: its state is known.
const byEntry = new WeakMap<object, ProposalState>();

/**
 * Every proposal's state, in stream order. The memory store answers an unchanged prefix with the very
 * same (frozen) listing: then the previous array itself is returned, so views derived from it can be
 * memoized on it (a backtest's checkpoints ask thousands of times over a thousand proposals), and an
 * unchanged stream keeps its entry, so only the streams that moved are read.
 */
export async function loadProposals(store: EventStore): Promise<readonly ProposalState[]> {
  const streams = await store.streams('proposal:');
  const last = listings.get(store);
  if (last?.listing === streams) return last.all;
  const all = await Promise.all(
    streams.map(async (entry) => {
      const known = byEntry.get(entry);
      if (known) return known;
      const state = await loadProposal(store, entry.stream.slice('proposal:'.length));
      if (Object.isFrozen(entry)) byEntry.set(entry, state);
      return state;
    }),
  );
  listings.set(store, { listing: streams, all });
  return all;
}

/**
 * `compute`, remembered per argument object: for views of a `loadProposals` answer, or of one proposal
 * state (states are immutable, and an unchanged proposal keeps its state object).
 */
export function memoByIdentity<K extends object, T>(compute: (key: K) => T): (key: K) => T {
  const cache = new WeakMap<K, T>();
  return (key) => {
    if (cache.has(key)) return cache.get(key) as T;
    const value = compute(key);
    cache.set(key, value);
    return value;
  };
}

export const controlStream = (council: string) => `control:${council}`;

export async function isHalted(store: EventStore, council: string): Promise<{ halted: boolean; by?: string; at?: string }> {
  const events = await store.read(controlStream(council));
  const last = [...events].reverse().find((e) => e.type === 'Halted' || e.type === 'Resumed');
  if (last?.type !== 'Halted') return { halted: false };
  const data = last.data as { by: string; at: string };
  return { halted: true, by: data.by, at: data.at };
}

/**
 * Runs a command through the decider; on a concurrent write, re-reads and decides again. `withDecided` adds
 * events to the same append when the command decided something.
 */
async function command(
  store: EventStore,
  proposalId: string,
  cmd: ProposalCommand,
  withDecided: (state: ProposalState) => ProposalEvent[] = () => [],
  /** The stream as the caller just read it: the first attempt appends after it without reading again. */
  read?: readonly StoredEvent[],
): Promise<{ state: ProposalState; events: ProposalEvent[] }> {
  const stream = proposalStream(proposalId);
  for (let attempt = 0; attempt < 20; attempt++) {
    const stored = attempt === 0 && read ? read : await store.read(stream);
    const state = foldProposal(asProposalEvents(stored));
    if (!state.exists) throw new ProposalError('NOT_FOUND', `no proposal ${proposalId}`);
    const decided = decideProposal(cmd, state);
    const events = decided.length ? [...decided, ...withDecided(state)] : decided;
    if (events.length === 0) return { state, events };
    try {
      await store.append(stream, stored.length, events);
      return { state: foldProposal([...asProposalEvents(stored), ...events]), events };
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }
  throw new ProposalError('NOT_PENDING', `proposal ${proposalId} is too busy; try again`);
}

/**
 * Refusals (a click or command by someone who may not act) are audit records nobody decides on: each
 * proposal keeps them in a stream of its own, appended at its head, so a crowd of them never contends
 * with the approval's expected-version append and none is lost. The proposal need not exist.
 */
export const refusalStream = (proposalId: string) => `refusals:${proposalId}`;

/** The control stream's refusals (HaltRefused), apart from the kill switch itself for the same reason. */
export const controlRefusalStream = (council: string) => `refusals:control:${council}`;

export type Refusal = Extract<ProposalEvent, { type: 'ApprovalRefused' }>['data'];

export async function recordRefusal(
  store: EventStore,
  proposalId: string,
  refusal: { by: string; via: string; action: 'approve' | 'reject'; reason: string; now: Date },
): Promise<void> {
  const data: Refusal = { by: refusal.by, at: refusal.now.toISOString(), via: refusal.via, action: refusal.action, reason: refusal.reason };
  await store.appendAtHead(refusalStream(proposalId), [{ type: 'ApprovalRefused', data }]);
}

/** A proposal's refusals in the order recorded (older stores also kept some in the proposal's own stream). */
export async function loadRefusals(store: EventStore, proposalId: string): Promise<Refusal[]> {
  const [own, legacy] = await Promise.all([store.read(refusalStream(proposalId)), store.read(proposalStream(proposalId))]);
  return [...legacy, ...own].filter((e) => e.type === 'ApprovalRefused').map((e) => e.data as Refusal);
}

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
): Promise<{ orders: ProposalOrder[]; refusals: string[]; working: WorkingOrder[] }> {
  const targets = state.targets;
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

/**
 * Starts reading, all at once, the book of every account the targets name (each adapter asks for all of an
 * account's book in parallel: one round trip for every read), and has the broker make sure whether it
 * lends the symbols a target holds short, so that check does not wait for the books. Reads only.
 */
function readBooks(deps: ApproveDeps, state: ProposalState, now: Date): Map<string, Promise<AccountView>> {
  // A crowd clicking Approve at once shares the reads in flight for this proposal: each is answered after
  // the clicks it serves, only one click can win, and a storm does not become eighteen reads per click.
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

const booksInFlight = new WeakMap<Broker, Map<string, Map<string, Promise<AccountView>>>>();

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
}

export async function approveProposal(deps: ApproveDeps, req: ApproveRequest): Promise<{ state: ProposalState; orders: OrderLine[] }> {
  // The books are read at the click, and as soon as it allows: a proposal's targets never change once it
  // is opened, so when this process has already folded it (the channel that took the click just read it),
  // the books are asked for while the database says whether trading is halted and what state the proposal
  // is in now. Whether it may be approved is decided on that fresh read, never on the earlier one.
  const known = foldedOf(deps.store).get(req.proposalId)?.state;
  const early = approvable(known, req.now) && known.targets ? readBooks(deps, known, req.now) : undefined;
  const stream = proposalStream(req.proposalId);
  const [halt, read] = await Promise.all([isHalted(deps.store, deps.council), deps.store.read(stream)]);
  const before = foldFrom(deps.store, req.proposalId, read);
  if (halt.halted) throw new ProposalError('HALTED', `trading is halted (by ${halt.by} at ${halt.at}); /council resume first. Nothing was placed.`);
  // The orders placed are computed now, from the book as it is, toward the targets the approver saw
  // (only reads: the broker's books). A pending proposal's planned orders are never sent as they stand.
  let orders: ProposalOrder[] | undefined;
  let netted: NettedOrder[] = [];
  if (approvable(before, req.now)) {
    const computed = await ordersAtApproval(deps, before, req.now, early ?? (before.targets ? readBooks(deps, before, req.now) : undefined));
    if (computed.refusals.length) {
      const why = computed.refusals.join('; ');
      const reason = before.targets ? `the book changed since it was shown: ${why}` : why;
      const { events } = await command(deps.store, req.proposalId, { type: 'Withdraw', now: req.now, reason });
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
  // can exist yet.
  const approve: ProposalCommand = { type: 'Approve', by: req.by, via: req.via, now: req.now, ...(orders ? { orders } : {}), ...(netted.length ? { netted } : {}) };
  // The first attempt appends after the stream as read above, without reading it again.
  const { state, events } = await command(
    deps.store,
    req.proposalId,
    approve,
    (before) => [{ type: 'ExecutionAttempted', data: { attempt: before.attempts + 1, at: req.now.toISOString() } }],
    read,
  );
  const approvedHere = events.some((e) => e.type === 'ExecutionAttempted');
  // Channels are told while the orders go out, not before: a chat post is no part of what the approval
  // guarantees, and each channel still renders this notice before the execution report (they handle one
  // week's notices in the order published). Its failure is still the caller's, once the orders are out.
  const announced = deps.sink.publish({ type: 'proposal_approved', week: state.week, proposalId: req.proposalId, by: req.by, at: req.now.toISOString(), via: req.via });
  announced.catch(() => {});
  // Whoever appended the approval knows the stream up to it: no read between the append and the sends.
  const executed = await executeProposal(deps, req.proposalId, req.now, req.settleAt, approvedHere ? 'first-attempt-recorded' : undefined, approvedHere ? state : undefined);
  await announced;
  return executed;
}

export async function rejectProposal(deps: ExecutionDeps, req: { proposalId: string; by: string; via: string; now: Date; reason: string | null }): Promise<ProposalState> {
  const { state } = await command(deps.store, req.proposalId, { type: 'Reject', by: req.by, via: req.via, now: req.now, reason: req.reason });
  await deps.sink.publish({ type: 'proposal_rejected', week: state.week, proposalId: req.proposalId, by: req.by, at: req.now.toISOString(), reason: req.reason });
  return state;
}

export async function expireProposal(deps: ExecutionDeps, proposalId: string, now: Date): Promise<boolean> {
  const { state, events } = await command(deps.store, proposalId, { type: 'Expire', now });
  if (events.length) await deps.sink.publish({ type: 'proposal_expired', week: state.week, proposalId, at: now.toISOString() });
  return events.length > 0;
}

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
  const stream = proposalStream(proposalId);
  let state = appended ?? (await loadProposal(deps.store, proposalId));
  if (!state.exists) throw new ProposalError('NOT_FOUND', `no proposal ${proposalId}`);
  if (state.status === 'APPROVED') {
    if (state.netted.length && (await cancelNetted(deps, state, now))) state = await loadProposal(deps.store, proposalId);
    const todo = state.orders.filter((o) => !state.submitted[o.clientOrderId] && !state.rejectedOrders[o.clientOrderId]);
    // The marker goes in before anything is sent. On the first attempt no order can exist at the broker,
    // so the lookup is skipped (one round trip, not two); every later attempt looks each order up first.
    let firstAttempt = marker === 'first-attempt-recorded';
    if (todo.length && !firstAttempt)
      await appendDecided(deps.store, stream, (events) => {
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
        const outcome = await placeOnce(deps.broker, { ...order, at: now }, !firstAttempt);
        deps.fault?.('after-submit');
        return { order, outcome };
      }),
    );
    const recorded: ProposalEvent[] = [];
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
      await appendDecided(deps.store, stream, (events) => {
        const known = new Set(events.filter((e) => e.type === 'OrderSubmitted' || e.type === 'OrderRejected').map((e) => (e.data as { clientOrderId: string }).clientOrderId));
        return recorded.filter((e) => !known.has((e.data as { clientOrderId: string }).clientOrderId));
      });
    state = await loadProposal(deps.store, proposalId);
    const placed = state.orders.every((o) => state.submitted[o.clientOrderId] || state.rejectedOrders[o.clientOrderId]);
    if (placed)
      await appendDecided(deps.store, stream, (events) =>
        events.some((e) => e.type === 'ExecutionCompleted') ? [] : [{ type: 'ExecutionCompleted', data: { at: now.toISOString() } }],
      );
    if (notes.size)
      for (const [id, reason] of notes)
        deps.sink.publish({ type: 'run_failed', week: state.week, runId: null, errorId: id, message: `order ${id} is in an unknown state: ${reason}` }).catch(() => {});
  }
  const orders = await syncFills(deps, proposalId, settleAt ?? now);
  state = await loadProposal(deps.store, proposalId);
  await deps.sink.publish({ type: 'execution_report', week: state.week, proposalId, orders, complete: state.status === 'EXECUTED' });
  return { state, orders };
}

/** The proposal a client order id belongs to (`tc-<proposalId>-<account>-<symbol>`). */
const proposalOfOrder = (o: { clientOrderId: string; account: string; symbol: string }) =>
  o.clientOrderId.slice('tc-'.length, o.clientOrderId.length - `-${o.account}-${o.symbol}`.length);

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
    const exit = await loadProposal(deps.store, exitId);
    if (exit.rejectedOrders[n.clientOrderId]) continue;
    const into = n.into ? `order ${n.into}` : 'nothing (the two cancel out)';
    const reason = `netted: canceled at ${now.toISOString()} and folded into ${into} of proposal ${state.proposalId}, one order per account and symbol per session`;
    const after = deps.broker.cancelOrder
      ? await deps.broker.cancelOrder(n.account, n.clientOrderId, now, reason)
      : await deps.broker.findByClientOrderId(n.account, n.clientOrderId);
    if (after && after.status !== 'canceled') {
      if (n.into && !state.rejectedOrders[n.into] && !state.submitted[n.into]) {
        const why = `not placed: ${n.clientOrderId} (${n.side} ${n.qty} ${n.symbol}) could not be canceled to be netted into it (it is ${after.status})`;
        await appendDecided(deps.store, proposalStream(state.proposalId), (events) =>
          events.some((e) => e.type === 'OrderRejected' && (e.data as { clientOrderId: string }).clientOrderId === n.into)
            ? []
            : [{ type: 'OrderRejected', data: { account: n.account, clientOrderId: n.into!, symbol: n.symbol, reason: why } }],
        );
        changed = true;
      }
      continue;
    }
    if (!exitId.startsWith(EXIT_PREFIX)) continue;
    await appendDecided(deps.store, proposalStream(exitId), (events) =>
      events.some((e) => e.type === 'OrderRejected' && (e.data as { clientOrderId: string }).clientOrderId === n.clientOrderId)
        ? []
        : [{ type: 'OrderRejected', data: { account: n.account, clientOrderId: n.clientOrderId, symbol: n.symbol, reason } }],
    );
  }
  return changed;
}

type PlaceOutcome = { kind: 'placed'; order: BrokerOrder } | { kind: 'rejected'; reason: string } | { kind: 'unknown'; reason: string };

/**
 * Sends an order only when the broker has never seen it: on a retry it looks the order up first, and
 * after an ambiguous answer it always looks again before anything else.
 */
async function placeOnce(
  broker: Broker,
  order: { account: string; clientOrderId: string; symbol: string; side: 'buy' | 'sell'; qty: number; at: Date },
  lookupFirst: boolean,
): Promise<PlaceOutcome> {
  const known = lookupFirst ? await broker.findByClientOrderId(order.account, order.clientOrderId) : undefined;
  if (known) return known.status === 'rejected' ? { kind: 'rejected', reason: known.rejectReason ?? 'rejected' } : { kind: 'placed', order: known };
  try {
    return { kind: 'placed', order: await broker.submit(order) };
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
  const state = await loadProposal(deps.store, proposalId);
  const submitted = state.orders.filter((o) => state.submitted[o.clientOrderId]);
  await deps.broker.settle([...new Set(submitted.map((o) => o.account))], asOf);
  const reports = (await Promise.all(submitted.map((o) => deps.broker.findByClientOrderId(o.account, o.clientOrderId)))).filter(
    (r): r is BrokerOrder => r !== undefined && r.filledQty > 0,
  );
  if (reports.some((r) => r.filledQty > (state.fills[r.clientOrderId]?.qty ?? 0)))
    await appendDecided(deps.store, proposalStream(proposalId), (events) => {
      const current = foldProposal(asProposalEvents(events));
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
  const final = await loadProposal(deps.store, proposalId);
  return final.orders.map((o) => {
    const fill = final.fills[o.clientOrderId];
    const rejected = final.rejectedOrders[o.clientOrderId];
    return {
      ...o,
      status: rejected ? 'rejected' : fill && fill.qty >= o.qty ? 'filled' : final.submitted[o.clientOrderId] ? 'submitted' : final.status === 'PENDING' ? 'planned' : 'pending',
      fillPrice: fill?.price ?? null,
      note: rejected ?? null,
    };
  });
}

export async function setHalted(deps: ExecutionDeps & { accounts: readonly string[] }, halted: boolean, by: string, now: Date): Promise<number> {
  let canceled = 0;
  await appendDecided(deps.store, controlStream(deps.council), () => [{ type: halted ? 'Halted' : 'Resumed', data: { by, at: now.toISOString() } }]);
  if (halted) for (const account of deps.accounts) canceled += await deps.broker.cancelOpenOrders(account, now);
  await deps.sink.publish({ type: 'halt_changed', halted, by, at: now.toISOString(), canceledOrders: canceled });
  return canceled;
}
