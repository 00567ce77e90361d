/**
 * Order updates as the broker pushes them (Alpaca's trade stream, issue 17): each becomes a record in
 * its proposal's stream and a reply in the week's thread within seconds, instead of at the next
 * checkpoint. The checkpoints keep polling as before; whichever sees a fill first records it, once.
 *
 * - An entry's fill or partial fill is recorded by the pipeline's own path (syncFills), which polls the
 *   order by its client order id and appends what the stream does not have yet.
 * - A protective leg's fill is recorded as `OrderFilled` with `leg`, under the parent's client order id
 *   with `-sl` (stop) or `-tp` (take-profit), the side opposite to the parent's, for the shares the
 *   stream does not have yet (so it is recorded once however often it is seen).
 * - A cancel, an expiry or a late rejection is announced; the records stay as the pipeline keeps them
 *   (the reconciliation reports an order the broker ended).
 *
 * After a gap (every time the stream listens again) the account is caught up by polling, by client
 * order id, every order that may have changed meanwhile, and reconciled; one account's work runs in
 * order, so updates that came after a gap are handled only once it is caught up.
 */
import type { BrokerOrder, OrderLeg, OrderUpdate } from '../brokers/port.ts';
import type { ProposalEvent, ProposalState } from '../domain/proposal.ts';
import { syncFills } from '../pipeline/execution.ts';
import type { OrderUpdateNotice } from '../pipeline/notices.ts';
import { reconcileAccounts } from '../pipeline/reconcile.ts';
import { streams } from '../pipeline/streams.ts';
import { type AppContext, executionDeps } from './context.ts';

/** The client order id a leg's fill is recorded under. */
export const legOrderId = (parentId: string, kind: OrderLeg['kind']): string => `${parentId}${kind === 'stop' ? '-sl' : '-tp'}`;

const opposite = (side: 'buy' | 'sell'): 'buy' | 'sell' => (side === 'buy' ? 'sell' : 'buy');
const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;
const LIVE = new Set(['APPROVED', 'EXECUTED']);

export interface OrderUpdateWatch {
  /** Stops listening; work already queued finishes. */
  stop(): void;
  /** Resolves once every update and gap received so far is handled (for tests and a clean stop). */
  idle(): Promise<void>;
}

export interface WatchOptions {
  /**
   * The accounts were reconciled just before (serve's start): the first catch-up of each polls its
   * orders but does not compare and report the account again.
   */
  reconciled?: boolean;
}

/** Listens to the broker's pushed updates (on every account whose broker pushes them) until stopped. */
export function watchOrderUpdates(ctx: AppContext, options: WatchOptions = {}): OrderUpdateWatch {
  const { broker, logger } = ctx.deps;
  const queues = new Map<string, Promise<void>>();
  const announced = new Set<string>();
  const caughtUp = new Set<string>();
  const enqueue = (account: string, what: string, work: () => Promise<void>) => {
    const next = (queues.get(account) ?? Promise.resolve()).then(work).catch((error: unknown) => {
      logger.warn({ err: error, account }, `order updates: could not handle ${what}; the next checkpoint polls it`);
    });
    queues.set(account, next);
  };
  const stop = broker.watch({
    onUpdate: (update) => enqueue(update.account, `${update.event} of ${update.order.clientOrderId}`, () => handleUpdate(ctx, update, announced)),
    onGap: (account) =>
      enqueue(account, 'the catch-up after a gap', async () => {
        const reconcile = !(options.reconciled && !caughtUp.has(account));
        await catchUp(ctx, account, reconcile);
        caughtUp.add(account);
      }),
  });
  return {
    stop,
    async idle() {
      for (;;) {
        const pending = [...queues.values()];
        await Promise.all(pending);
        const now = [...queues.values()];
        if (now.length === pending.length && now.every((p, i) => p === pending[i])) return;
      }
    },
  };
}

/** The live proposal that placed `clientOrderId`, when one did. */
async function proposalOf(ctx: AppContext, clientOrderId: string): Promise<ProposalState | undefined> {
  return (await ctx.deps.proposals.list()).find((p) => LIVE.has(p.status) && p.orders.some((o) => o.clientOrderId === clientOrderId));
}

async function handleUpdate(ctx: AppContext, update: OrderUpdate, announced: Set<string>): Promise<void> {
  const proposal = await proposalOf(ctx, update.order.clientOrderId);
  // An order no proposal placed (a replaced leg, one typed by hand): the checkpoint and reconciliation see to it.
  if (!proposal) return;
  switch (update.event) {
    case 'fill':
    case 'partial_fill':
      await absorb(ctx, proposal, update.order, update.at);
      return;
    case 'canceled':
    case 'expired':
    case 'rejected': {
      // A leg canceled is bookkeeping (an exit took its place, or its sibling filled).
      const key = `${update.order.clientOrderId}:${update.event}`;
      if (update.leg !== null || announced.has(key)) return;
      announced.add(key);
      const o = update.order;
      await ctx.sink.publish({
        type: 'order_update',
        week: proposal.week,
        proposalId: proposal.proposalId,
        account: o.account,
        symbol: o.symbol,
        clientOrderId: o.clientOrderId,
        event: update.event,
        leg: null,
        side: o.side,
        qty: o.qty,
        orderQty: o.qty,
        price: null,
        pl: null,
        at: update.at,
      });
      return;
    }
    default:
      return;
  }
}

/**
 * Records what the broker says `order` (an order of `proposal`, with its legs) has filled that the
 * proposal's stream does not have yet, and announces each new fill.
 */
async function absorb(ctx: AppContext, proposal: ProposalState, order: BrokerOrder, at: string): Promise<void> {
  const before = proposal.fills[order.clientOrderId];
  if (order.filledQty > (before?.qty ?? 0)) {
    await syncFills(executionDeps(ctx), proposal.proposalId, ctx.deps.clock.now());
    const after = (await ctx.deps.proposals.load(proposal.proposalId)).fills[order.clientOrderId];
    const qty = (after?.qty ?? 0) - (before?.qty ?? 0);
    if (after && qty > 0) {
      const price = (after.price * after.qty - (before ? before.price * before.qty : 0)) / qty;
      await ctx.sink.publish(
        notice(proposal, order, { event: after.qty >= order.qty ? 'fill' : 'partial_fill', leg: null, side: order.side, qty, price: round(price, 4), pl: null, at }),
      );
    }
  }
  for (const leg of order.legs ?? []) if (leg.filledQty > 0) await recordLegFill(ctx, proposal, order, leg, at);
}

/** Appends a leg's new shares as OrderFilled with `leg` (decided on the stream as it is, so once), and announces them. */
async function recordLegFill(ctx: AppContext, proposal: ProposalState, parent: BrokerOrder, leg: OrderLeg, at: string): Promise<void> {
  const clientOrderId = legOrderId(parent.clientOrderId, leg.kind);
  let recorded: { qty: number; price: number } | undefined;
  await streams.proposal(proposal.proposalId).decide(ctx.deps.store, (events) => {
    recorded = undefined;
    const have = ctx.deps.proposals.fold(proposal.proposalId, events).fills[clientOrderId];
    const qty = leg.filledQty - (have?.qty ?? 0);
    if (qty <= 0) return [];
    const price = round(((leg.avgFillPrice ?? leg.price) * leg.filledQty - (have ? have.price * have.qty : 0)) / qty, 4);
    recorded = { qty, price };
    const filled: ProposalEvent = {
      type: 'OrderFilled',
      data: { account: parent.account, clientOrderId, symbol: parent.symbol, side: opposite(parent.side), qty, price, fee: 0, filledAt: leg.filledAt ?? at, leg: leg.kind },
    };
    return [filled];
  });
  if (!recorded) return;
  // The realised P/L of the shares the leg closed, against the entry's average price.
  const entry = parent.avgFillPrice;
  const pl = entry === null ? null : round((parent.side === 'buy' ? 1 : -1) * (recorded.price - entry) * recorded.qty, 2);
  const event = leg.filledQty >= parent.filledQty ? 'fill' : 'partial_fill';
  await ctx.sink.publish(notice(proposal, parent, { event, leg: leg.kind, side: opposite(parent.side), qty: recorded.qty, price: recorded.price, pl, at }));
}

const notice = (proposal: ProposalState, order: BrokerOrder, what: Pick<OrderUpdateNotice, 'event' | 'leg' | 'side' | 'qty' | 'price' | 'pl' | 'at'>): OrderUpdateNotice => ({
  type: 'order_update',
  week: proposal.week,
  proposalId: proposal.proposalId,
  account: order.account,
  symbol: order.symbol,
  clientOrderId: what.leg ? legOrderId(order.clientOrderId, what.leg) : order.clientOrderId,
  orderQty: what.leg ? order.filledQty : order.qty,
  ...what,
});

/**
 * After a gap: every order of a live proposal on `account` that may have changed is looked up by its
 * client order id and absorbed (an entry not wholly filled; an entry whose symbol's position at the
 * broker differs from the one recorded, where a leg may have filled), then the account is reconciled
 * (a difference left is recorded and reported, as at the start).
 */
async function catchUp(ctx: AppContext, account: string, reconcile: boolean): Promise<void> {
  const { broker, proposals, clock, store, settings } = ctx.deps;
  const now = clock.now();
  const live = (await proposals.list()).filter((p) => LIVE.has(p.status) && p.orders.some((o) => o.account === account && p.submitted[o.clientOrderId]));
  const book = await broker.account(account, now);
  const held = new Map(book.positions.map((p) => [p.symbol, p.qty]));
  const recorded = new Map<string, number>();
  for (const p of live)
    for (const o of p.orders.filter((o) => o.account === account)) {
      const sign = o.side === 'buy' ? 1 : -1;
      const legs = (p.fills[legOrderId(o.clientOrderId, 'stop')]?.qty ?? 0) + (p.fills[legOrderId(o.clientOrderId, 'take_profit')]?.qty ?? 0);
      recorded.set(o.symbol, (recorded.get(o.symbol) ?? 0) + sign * ((p.fills[o.clientOrderId]?.qty ?? 0) - legs));
    }
  for (const p of live) {
    const maybeChanged = p.orders.filter(
      (o) => o.account === account && p.submitted[o.clientOrderId] && ((p.fills[o.clientOrderId]?.qty ?? 0) < o.qty || (held.get(o.symbol) ?? 0) !== (recorded.get(o.symbol) ?? 0)),
    );
    for (const o of maybeChanged) {
      const order = await broker.findByClientOrderId(account, o.clientOrderId);
      if (order) await absorb(ctx, await proposals.load(p.proposalId), order, now.toISOString());
    }
  }
  if (!reconcile) return;
  const differing = await reconcileAccounts({ store, proposals, broker, accounts: [account], council: settings.council, now });
  if (differing.length) await ctx.sink.publish({ type: 'reconciliation_report', at: now.toISOString(), accounts: differing });
}
