/**
 * The proposal stage: each seat's account trades its own valid pitch and the council account trades the
 * decision, each planned from its broker book (exits still working count as done). Returns the week's
 * ProposalCreated, or nothing when no account has an order to place.
 */
import type { Broker } from '../../brokers/port.ts';
import type { ProposalOrder } from '../../domain/proposal.ts';
import type { Decision } from '../../domain/schemas.ts';
import { clientOrderId, isExitOrder, planAccount } from '../../domain/sizing.ts';
import type { TradingCalendar } from '../../market/calendar.ts';
import { nyDate, nyDateTime } from '../../market/time.ts';
import type { PipelineSettings } from '../settings.ts';
import type { ProposalCreated, WeekEvent, WeekState } from '../week.ts';

export interface ProposeDeps {
  broker: Broker;
  calendar: TradingCalendar;
  settings: Pick<PipelineSettings, 'chairAccount' | 'universe' | 'risk'>;
}

export async function propose(deps: ProposeDeps, state: WeekState, asOf: Date): Promise<Extract<WeekEvent, { type: 'ProposalCreated' }> | undefined> {
  const { settings, broker } = deps;
  const snapshot = state.research!.snapshot;
  const prices: Record<string, number> = {};
  for (const [symbol, set] of Object.entries(snapshot.symbols)) if (set.close !== null) prices[symbol] = set.close;
  const views: { account: string; view: { instrument: string; direction: Decision['direction']; conviction: number } }[] = [];
  for (const seat of state.started!.seats) {
    const p = state.pitches.get(seat.id);
    if (p?.status === 'ok' && p.pitch) views.push({ account: seat.account, view: p.pitch });
  }
  views.push({ account: settings.chairAccount, view: state.decision!.decision });
  const proposalId = `${state.started!.week}-${state.started!.runId.slice(0, 6)}`;
  const plans = await Promise.all(
    views.map(async ({ account, view }) => {
      const book = await broker.account(account, asOf);
      // Positions priced by the broker may lie outside the snapshot: take their marks for closing.
      for (const p of book.positions) if (prices[p.symbol] === undefined && p.marketPrice) prices[p.symbol] = p.marketPrice;
      // An exit still working counts as done: one sent at Friday's last checkpoint fills at Monday's open
      // on replay data, and planning around the position it closes would close it twice.
      const positions: Record<string, number> = Object.fromEntries(book.positions.map((p) => [p.symbol, p.qty]));
      for (const o of book.openOrders.filter((o) => isExitOrder(o.clientOrderId)))
        positions[o.symbol] = (positions[o.symbol] ?? 0) + (o.side === 'buy' ? 1 : -1) * (o.qty - o.filledQty);
      return planAccount(account, view, { equity: book.equity, positions }, prices, settings.universe, settings.risk);
    }),
  );
  const orders: ProposalOrder[] = plans.flatMap((plan) => plan.orders.map((o) => ({ ...o, clientOrderId: clientOrderId(proposalId, o.account, o.symbol) })));
  if (orders.length === 0) return undefined;
  const targets = plans.flatMap((plan) => plan.targets);
  const session = deps.calendar.isTradingDay(nyDate(asOf)) ? nyDate(asOf) : deps.calendar.nextTradingDay(nyDate(asOf));
  const expiresAt = nyDateTime(session, deps.calendar.sessionClose(session)).toISOString();
  const created: ProposalCreated = { runId: state.started!.runId, proposalId, expiresAt, orders, targets };
  return { type: 'ProposalCreated', data: created };
}
