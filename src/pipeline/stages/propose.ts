/**
 * The proposal stage: each seat's account trades its own valid pitch and the council account trades the
 * decision, each planned from its broker book (exits still working count as done); propose returns the
 * week's ProposalCreated, or nothing when no account has an order to place. Then the proposal's own
 * stream is opened, and older pending proposals it supersedes are withdrawn.
 */
import type { Broker } from '../../brokers/port.ts';
import { decideProposal, foldProposal, type ProposalEvent, type ProposalOrder, type ProposalState } from '../../domain/proposal.ts';
import type { Decision } from '../../domain/schemas.ts';
import { clientOrderId, DEFAULT_MAX_STOP_PCT, EXIT_PREFIX, isExitOrder, planAccount, type View } from '../../domain/sizing.ts';
import { protectionOf } from '../../domain/stops.ts';
import type { TradingCalendar } from '../../market/calendar.ts';
import { nyDate, nyDateTime, nyTime } from '../../market/time.ts';
import { appendDecided } from '../../store/append.ts';
import { ConcurrencyError, type EventStore } from '../../store/port.ts';
import type { ProposalRepository } from '../proposals/repository.ts';
import type { NoticeSink } from '../notices.ts';
import type { PipelineSettings } from '../settings.ts';
import { proposalStream } from '../streams.ts';
import type { ProposalCreated, WeekEvent, WeekState } from '../week.ts';

export interface ProposeDeps {
  broker: Broker;
  calendar: TradingCalendar;
  settings: Pick<PipelineSettings, 'chairAccount' | 'universe' | 'risk'>;
}

/** A view as a pitch or decision gives it (recorded before stops, its levels are absent). */
type ViewSource = Pick<Decision, 'instrument' | 'direction' | 'conviction' | 'invalidation'> & { stop?: number | null; takeProfit?: number | null };

export async function propose(deps: ProposeDeps, state: WeekState, asOf: Date): Promise<Extract<WeekEvent, { type: 'ProposalCreated' }> | undefined> {
  const { settings, broker } = deps;
  const snapshot = state.research!.snapshot;
  const prices: Record<string, number> = {};
  for (const [symbol, set] of Object.entries(snapshot.symbols)) if (set.close !== null) prices[symbol] = set.close;
  // Each view's stop and take-profit, checked and completed in code from the snapshot (stops.ts): the
  // model's levels are kept only where they protect, and every change is recorded on the order.
  const maxStopPct = settings.risk.maxStopPct ?? DEFAULT_MAX_STOP_PCT;
  const protect = (v: ViewSource): { view: View; clamps: string[] } => {
    const set = snapshot.symbols[v.instrument];
    const { protection, clamps } = protectionOf(v, set?.close ?? null, set?.atr_14 ?? null, maxStopPct);
    return {
      view: { instrument: v.instrument, direction: v.direction, conviction: v.conviction, stop: protection?.stop ?? null, takeProfit: protection?.takeProfit ?? null },
      clamps,
    };
  };
  const views: { account: string; view: View; clamps: string[] }[] = [];
  for (const seat of state.started!.seats) {
    const p = state.pitches.get(seat.id);
    if (p?.status === 'ok' && p.pitch) views.push({ account: seat.account, ...protect(p.pitch) });
  }
  views.push({ account: settings.chairAccount, ...protect(state.decision!.decision) });
  const proposalId = `${state.started!.week}-${state.started!.runId.slice(0, 6)}`;
  const plans = await Promise.all(
    views.map(async ({ account, view, clamps }) => {
      const book = await broker.account(account, asOf);
      // Positions priced by the broker may lie outside the snapshot: take their marks for closing.
      for (const p of book.positions) if (prices[p.symbol] === undefined && p.marketPrice) prices[p.symbol] = p.marketPrice;
      // An exit still working counts as done: one sent at Friday's last checkpoint fills at Monday's open
      // on replay data, and planning around the position it closes would close it twice.
      const positions: Record<string, number> = Object.fromEntries(book.positions.map((p) => [p.symbol, p.qty]));
      for (const o of book.openOrders.filter((o) => isExitOrder(o.clientOrderId)))
        positions[o.symbol] = (positions[o.symbol] ?? 0) + (o.side === 'buy' ? 1 : -1) * (o.qty - o.filledQty);
      const plan = planAccount(account, view, { equity: book.equity, positions }, prices, settings.universe, settings.risk);
      for (const order of plan.orders) if (order.symbol === view.instrument && order.qty !== 0) order.clamps = [...clamps, ...order.clamps];
      return plan;
    }),
  );
  const orders: ProposalOrder[] = plans.flatMap((plan) => plan.orders.map((o) => ({ ...o, clientOrderId: clientOrderId(proposalId, o.account, o.symbol) })));
  if (orders.length === 0) return undefined;
  const targets = plans.flatMap((plan) => plan.targets);
  // Approvable until the close of the session its orders would go to: the decision's own session while it
  // is open, else the next one (a live run after the close must not open a proposal already expired).
  const day = nyDate(asOf);
  const session = deps.calendar.isTradingDay(day) && nyTime(asOf) < deps.calendar.sessionClose(day) ? day : deps.calendar.nextTradingDay(day);
  const expiresAt = nyDateTime(session, deps.calendar.sessionClose(session)).toISOString();
  const created: ProposalCreated = { runId: state.started!.runId, proposalId, expiresAt, orders, targets };
  return { type: 'ProposalCreated', data: created };
}

/** Opens the proposal's own stream with its orders (a stream already opened is left as it is). */
export async function openProposal(store: EventStore, council: string, week: string, runId: string, asOf: Date, decision: Decision, created: ProposalCreated): Promise<void> {
  const opened: ProposalEvent = {
    type: 'ProposalOpened',
    data: {
      proposalId: created.proposalId,
      council,
      week,
      runId,
      asOf: asOf.toISOString(),
      expiresAt: created.expiresAt,
      decision: { instrument: decision.instrument, direction: decision.direction, conviction: decision.conviction, horizon: decision.horizon },
      orders: created.orders,
      ...(created.targets ? { targets: created.targets } : {}),
    },
  };
  try {
    await store.append(proposalStream(created.proposalId), 0, [opened]);
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error; // already opened: fine
  }
}

/**
 * Withdraws every other PENDING proposal of this council (exits aside), with the reason: its orders
 * were planned from a book the newer proposal already sees, and approving both would stack them.
 */
export async function supersedeOlder(store: EventStore, proposals: ProposalRepository, sink: NoticeSink, council: string, newer: string, at: Date): Promise<void> {
  // Every proposal's state, from the application's repository, whose folds are remembered across runs
  // (a backtest plans hundreds of weeks); the withdrawal itself goes through the run's retrying store.
  const listed = await proposals.list();
  // By index: an iterator here (an async function, not optimised) made one result object per proposal listed.
  for (let i = 0; i < listed.length; i++) {
    const state = listed[i] as ProposalState;
    const { proposalId } = state;
    if (state.status !== 'PENDING' || proposalId === newer || proposalId.startsWith(EXIT_PREFIX) || (state.council && state.council !== council)) continue;
    const stream = proposalStream(proposalId);
    const reason = `superseded by proposal ${newer}, planned from a newer book`;
    let withdrawn = false;
    await appendDecided(store, stream, (events) => {
      const decided = decideProposal({ type: 'Withdraw', now: at, reason }, foldProposal(events as unknown as ProposalEvent[]));
      withdrawn = decided.length > 0;
      return decided;
    });
    if (withdrawn) await sink.publish({ type: 'proposal_expired', week: state.week, proposalId, at: at.toISOString(), reason });
  }
}
