/**
 * Order updates as the broker pushes them (Alpaca's trade stream, issue 17): each becomes a record in
 * its proposal's stream and a reply in the week's thread within seconds, instead of at the next
 * checkpoint. The checkpoints keep polling as before; whichever sees a fill first records it, once.
 *
 * - An entry's fill or partial fill is recorded by the pipeline's own path (syncFills), which polls the
 *   order by its client order id and appends what the stream does not have yet.
 * - A protective leg's fill is recorded as `OrderFilled` with `leg`, under the parent's client order id
 *   with `-sl` (stop) or `-tp` (take-profit), on the side against the position it guarded, for the
 *   shares the stream does not have yet (so it is recorded once however often it is seen): by the same
 *   path where it records legs, else here. A resize's legs (a guard on the whole position, see
 *   replaceLegs) are the resize order's.
 * - A cancel, an expiry or a late rejection is announced; the records stay as the pipeline keeps them
 *   (the reconciliation reports an order the broker ended).
 *
 * After a gap (every time the stream listens again) the account is caught up by polling, by client
 * order id, every order that may have changed meanwhile, and reconciled; one account's work runs in
 * order, so updates that came after a gap are handled only once it is caught up.
 */
import { z } from 'zod';
import type { BrokerOrder, OrderLeg, OrderUpdate } from '../brokers/port.ts';
import type { ProposalEvent, ProposalOrder, ProposalState } from '../domain/proposal.ts';
import { syncFills } from '../pipeline/execution.ts';
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
        const reconciledAtStart = options.reconciled === true && !caughtUp.has(account);
        await catchUp(ctx, account, !reconciledAtStart, announced);
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
  // An order no proposal placed (one typed by hand): the reconciliation reports it.
  if (!proposal) return;
  switch (update.event) {
    case 'fill':
    case 'partial_fill':
      await absorb(ctx, proposal, update.order, update.at, announced);
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

/** A planned order that a resize made: its legs guard the whole position (`qty` signed), not only its own shares. */
const Resize = z.object({ replaceLegs: z.object({ qty: z.number() }) });

/** The side of a leg's fill: against the position it guards (the order's opposite, or the whole position's after a resize). */
function legSide(order: ProposalOrder): { side: 'buy' | 'sell'; replaced: boolean } {
  const resize = Resize.safeParse(order);
  if (resize.success) return { side: resize.data.replaceLegs.qty > 0 ? 'sell' : 'buy', replaced: true };
  return { side: opposite(order.side), replaced: false };
}

/**
 * Records what the broker says `order` (an order of `proposal`, with its legs) has filled that the
 * proposal's stream does not have yet, and announces every fill of the proposal recorded meanwhile.
 * The pipeline's own path goes first (syncFills: the entries' fills, and the legs' where it records
 * them, for all the proposal's accounts); a leg it left unrecorded is recorded here, decided on the
 * stream as it is, so once.
 */
async function absorb(ctx: AppContext, proposal: ProposalState, order: BrokerOrder, at: string, announced: Set<string>): Promise<void> {
  const had = (id: string) => proposal.fills[id]?.qty ?? 0;
  const legs = (order.legs ?? []).filter((leg) => leg.filledQty > 0);
  const fresh = order.filledQty > had(order.clientOrderId) || legs.some((leg) => leg.filledQty > had(legOrderId(order.clientOrderId, leg.kind)));
  if (!fresh) return;
  await syncFills(executionDeps(ctx), proposal.proposalId, ctx.deps.clock.now());
  const planned = proposal.orders.find((o) => o.clientOrderId === order.clientOrderId);
  if (planned) for (const leg of legs) await recordLegFill(ctx, proposal.proposalId, order, leg, legSide(planned).side, at);
  await announceFills(ctx, proposal, await ctx.deps.proposals.load(proposal.proposalId), at, announced);
}

/**
 * Announces each fill of a proposal's orders and their legs recorded between `before` and `after`,
 * once per fill (several accounts' updates may record the same proposal's fills at once).
 */
async function announceFills(ctx: AppContext, before: ProposalState, after: ProposalState, at: string, announced: Set<string>): Promise<void> {
  const grown = (id: string) => {
    const was = before.fills[id];
    const now = after.fills[id];
    const qty = (now?.qty ?? 0) - (was?.qty ?? 0);
    const key = `${id}@${now?.qty}`;
    if (!now || qty <= 0 || announced.has(key)) return undefined;
    announced.add(key);
    return { qty, price: round((now.price * now.qty - (was ? was.price * was.qty : 0)) / qty, 4), total: now.qty };
  };
  const base = { type: 'order_update', week: after.week, proposalId: after.proposalId, at } as const;
  for (const o of after.orders) {
    const entry = grown(o.clientOrderId);
    const what = { account: o.account, symbol: o.symbol };
    if (entry)
      await ctx.sink.publish({
        ...base,
        ...what,
        clientOrderId: o.clientOrderId,
        event: entry.total >= o.qty ? 'fill' : 'partial_fill',
        leg: null,
        side: o.side,
        qty: entry.qty,
        orderQty: o.qty,
        price: entry.price,
        pl: null,
      });
    const { side, replaced } = legSide(o);
    const entryPrice = after.fills[o.clientOrderId]?.price;
    for (const kind of ['stop', 'take_profit'] as const) {
      const clientOrderId = legOrderId(o.clientOrderId, kind);
      const exit = grown(clientOrderId);
      if (!exit) continue;
      // The realised P/L of the shares the leg closed, against the entry's price (unknown for a resize's guard, which holds the whole position).
      const pl = replaced || entryPrice === undefined ? null : round((side === 'sell' ? 1 : -1) * (exit.price - entryPrice) * exit.qty, 2);
      const whole = replaced ? exit.total : (after.fills[o.clientOrderId]?.qty ?? exit.total);
      await ctx.sink.publish({
        ...base,
        ...what,
        clientOrderId,
        event: exit.total >= whole ? 'fill' : 'partial_fill',
        leg: kind,
        side,
        qty: exit.qty,
        orderQty: whole,
        price: exit.price,
        pl,
      });
    }
  }
}

/** Appends a leg's shares the stream does not have yet as OrderFilled with `leg` (decided on the stream as it is, so once). */
async function recordLegFill(ctx: AppContext, proposalId: string, parent: BrokerOrder, leg: OrderLeg, side: 'buy' | 'sell', at: string): Promise<void> {
  const clientOrderId = legOrderId(parent.clientOrderId, leg.kind);
  await streams.proposal(proposalId).decide(ctx.deps.store, (events) => {
    const have = ctx.deps.proposals.fold(proposalId, events).fills[clientOrderId];
    const qty = leg.filledQty - (have?.qty ?? 0);
    if (qty <= 0) return [];
    const price = round(((leg.avgFillPrice ?? leg.price) * leg.filledQty - (have ? have.price * have.qty : 0)) / qty, 4);
    const filled: ProposalEvent = {
      type: 'OrderFilled',
      data: { account: parent.account, clientOrderId, symbol: parent.symbol, side, qty, price, fee: 0, filledAt: leg.filledAt ?? at, leg: leg.kind },
    };
    return [filled];
  });
}

/**
 * After a gap: every order of a live proposal on `account` that may have changed is looked up by its
 * client order id and absorbed (an entry not wholly filled; an entry whose symbol's position at the
 * broker differs from the one recorded, where a leg may have filled), then the account is reconciled
 * (a difference left is recorded and reported, as at the start).
 */
async function catchUp(ctx: AppContext, account: string, reconcile: boolean, announced: Set<string>): Promise<void> {
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
      if (order) await absorb(ctx, await proposals.load(p.proposalId), order, now.toISOString(), announced);
    }
  }
  if (!reconcile) return;
  const differing = await reconcileAccounts({ store, proposals, broker, accounts: [account], council: settings.council, now });
  if (differing.length) await ctx.sink.publish({ type: 'reconciliation_report', at: now.toISOString(), accounts: differing });
}
