/**
 * The Broker port on Alpaca: one SDK client per account, whole-share market `day` orders (outside
 * regular hours Alpaca queues them for the open), shorts only where the asset is shortable. A submit
 * either returns the order, throws OrderRejectedError when Alpaca definitely did not take it, or throws
 * AmbiguousOrderError when it may have (timeout, 5xx, a reused client order id), so the caller looks
 * the order up before anything else.
 */
import { type Alpaca, ApiError, NotFoundError, orders as orderBuilders } from '@alpacahq/alpaca-trade-api/rest';
import { z } from 'zod';
import type { AlpacaKeys } from '../config/config.ts';
import { type AlpacaEndpoints, type AlpacaTuning, createAlpacaClients, describeError, wire } from '../vendors/alpaca.ts';
import {
  type AccountView,
  AmbiguousOrderError,
  type BrokerAdapter,
  type BrokerOrder,
  type CancellingOne,
  type Closing,
  type Prewarming,
  type OrderRequest,
  OrderRejectedError,
  type OrderStatus,
  type PositionView,
} from './port.ts';

const Decimal = z.union([z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal string'), z.number()]).transform(Number);

const WireOrder = z.object({
  id: z.string().min(1),
  client_order_id: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  qty: Decimal.nullable(),
  filled_qty: Decimal,
  filled_avg_price: Decimal.nullable(),
  status: z.string(),
  filled_at: z.string().nullable().optional(),
});
type WireOrder = z.infer<typeof WireOrder>;

const WireAccount = z.object({
  status: z.string(),
  cash: Decimal,
  buying_power: Decimal,
  equity: Decimal,
  trading_blocked: z.boolean().optional(),
});

const WirePosition = z.object({
  symbol: z.string(),
  qty: Decimal,
  side: z.enum(['long', 'short']),
  avg_entry_price: Decimal,
  current_price: Decimal.nullable().optional(),
  market_value: Decimal.nullable(),
  unrealized_pl: Decimal.nullable(),
});

const WireAsset = z.object({ symbol: z.string(), tradable: z.boolean(), shortable: z.boolean() });

const WireClock = z.object({ timestamp: z.string(), is_open: z.boolean(), next_open: z.string(), next_close: z.string() });
export type MarketClock = { at: string; isOpen: boolean; nextOpen: string; nextClose: string };

/** Alpaca's many order states folded into the port's: anything still working is `accepted`. */
function statusOf(o: WireOrder): OrderStatus {
  switch (o.status) {
    case 'filled':
      return 'filled';
    case 'canceled':
      return 'canceled';
    case 'expired':
      return 'expired';
    case 'rejected':
      return 'rejected';
    default:
      return o.filled_qty > 0 ? 'partially_filled' : 'accepted';
  }
}

const toBrokerOrder = (account: string, o: WireOrder): BrokerOrder => ({
  account,
  clientOrderId: o.client_order_id,
  brokerOrderId: o.id,
  symbol: o.symbol,
  side: o.side,
  qty: o.qty ?? 0,
  status: statusOf(o),
  filledQty: o.filled_qty,
  avgFillPrice: o.filled_avg_price,
  fee: 0,
  filledAt: o.filled_at ?? null,
  rejectReason: o.status === 'rejected' ? 'rejected by Alpaca after it accepted the order' : null,
});

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Whether Alpaca's refusal of a submit is definite (nothing was placed). A reused client order id means it was. */
function isDefiniteRefusal(error: unknown): error is ApiError {
  if (!(error instanceof ApiError)) return false;
  if (error.status === 422 && /client_order_id/i.test(error.message)) return false;
  return error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;
}

/** Alpaca: the core, pre-warming of sells' checks, one order canceled at a time; it fills on its own, so nothing settles. */
export interface AlpacaBroker extends BrokerAdapter, Prewarming, CancellingOne, Closing {
  /** Alpaca's market clock: whether regular hours are on and when they next open and close. */
  clock(account: string): Promise<MarketClock>;
}

export function createAlpacaBroker(deps: {
  accounts: Record<string, AlpacaKeys>;
  endpoints: AlpacaEndpoints;
  tuning?: AlpacaTuning;
  /** Measures how old a shortability answer is (tests inject theirs). */
  clock?: () => Date;
  /** How long Alpaca's word on lending a symbol is trusted, and how often a waiting proposal refreshes it. */
  shortability?: { maxAgeMs?: number; refreshMs?: number };
}): AlpacaBroker {
  const clients = createAlpacaClients(deps.accounts, deps.endpoints, deps.tuning);
  const clientOf = (account: string): Alpaca => {
    const client = clients.get(account);
    if (!client) throw new Error(`account ${account} has no Alpaca keys`);
    return client;
  };

  async function heldQty(client: Alpaca, symbol: string): Promise<number> {
    try {
      return (await wire(`GET /v2/positions/${symbol}`, WirePosition, client.trading.positions.getOpenPositionRaw({ symbolOrAssetId: symbol }))).qty;
    } catch (error) {
      if (error instanceof NotFoundError) return 0;
      throw error;
    }
  }

  // What Alpaca last said about lending each symbol, and when it was asked (the injected clock). A sell
  // needs no position check while the symbol is known to be shortable: whether it closes a long or
  // opens a short, Alpaca will take it. The answer is trusted for `maxAgeMs`; a proposal waiting for
  // its click keeps its symbols refreshed every `refreshMs`, so the click does not wait for a check. An
  // asset that stops being shortable within that window is refused by Alpaca itself, and the refusal
  // is recorded like any other.
  const now = () => (deps.clock ?? (() => new Date()))().getTime();
  const maxAgeMs = deps.shortability?.maxAgeMs ?? 60_000;
  const refreshMs = deps.shortability?.refreshMs ?? 20_000;
  const borrow = new Map<string, { shortable: boolean; askedAt: number }>();
  const asking = new Map<string, Promise<boolean>>();
  const watched = new Map<string, { account: string; until: number }>();
  let refresher: NodeJS.Timeout | undefined;

  const knownShortable = (symbol: string): boolean | undefined => {
    const known = borrow.get(symbol);
    return known && now() - known.askedAt <= maxAgeMs ? known.shortable : undefined;
  };

  /** Asks Alpaca whether it lends `symbol`; one question in flight per symbol. */
  function askShortable(account: string, symbol: string): Promise<boolean> {
    const inFlight = asking.get(symbol);
    if (inFlight) return inFlight;
    const askedAt = now();
    const question = wire(`GET /v2/assets/${symbol}`, WireAsset, clientOf(account).trading.assets.getV2AssetsSymbolOrAssetIdRaw({ symbolOrAssetId: symbol }))
      .then((asset) => {
        borrow.set(symbol, { shortable: asset.shortable, askedAt });
        return asset.shortable;
      })
      .finally(() => asking.delete(symbol));
    asking.set(symbol, question);
    return question;
  }

  // Each account's positions as its book was last read (an approval reads every book at the click), and
  // when. A sell's check uses them for `bookFreshMs` instead of asking for the position again: the orders
  // were computed from that very book, and Alpaca itself refuses a short it cannot lend.
  const bookFreshMs = 10_000;
  const books = new Map<string, { at: number; held: Map<string, number> }>();
  const bookHeld = (account: string, symbol: string): number | undefined => {
    const book = books.get(account);
    return book && now() - book.at <= bookFreshMs ? (book.held.get(symbol) ?? 0) : undefined;
  };

  /** Position and shortability of one symbol in one account, fetched together (one round trip at most). */
  function sellFacts(account: string, symbol: string): Promise<{ held: number; shortable: boolean }> {
    const known = knownShortable(symbol);
    const held = bookHeld(account, symbol);
    return Promise.all([held ?? heldQty(clientOf(account), symbol), known ?? askShortable(account, symbol)]).then(([held, shortable]) => ({ held, shortable }));
  }

  // Position checks started by prepare(), each used once by the submit that follows; one no submit used
  // (an approval that failed) is ignored once older than maxAgeMs.
  const prepared = new Map<string, { facts: Promise<{ held: number; shortable: boolean }>; at: number }>();

  /** A sell beyond the long position opens a short: refused here, before sending, when Alpaca cannot lend. */
  async function assertSellable(order: OrderRequest): Promise<void> {
    if (order.side !== 'sell') return;
    const key = `${order.account}:${order.symbol}`;
    const started = prepared.get(key);
    prepared.delete(key);
    const pending = started && now() - started.at <= maxAgeMs ? started.facts : undefined;
    if (knownShortable(order.symbol) === true) return;
    // Within a long the book just showed, the sell opens no short: whether Alpaca lends does not matter.
    const held = bookHeld(order.account, order.symbol);
    if (held !== undefined && order.qty <= Math.max(0, held)) {
      pending?.catch(() => {});
      return;
    }
    let facts: { held: number; shortable: boolean };
    try {
      facts = await (pending ?? sellFacts(order.account, order.symbol));
    } catch (error) {
      throw new AmbiguousOrderError(`could not check whether ${order.symbol} may be sold short (nothing was sent): ${describeError(error)}`);
    }
    if (order.qty > Math.max(0, facts.held) && !facts.shortable) throw new OrderRejectedError(`${order.symbol} is not shortable at Alpaca, so the short was not sent`);
  }

  async function refreshWatched(): Promise<void> {
    const t = now();
    for (const [symbol, w] of watched) if (w.until <= t) watched.delete(symbol);
    if (watched.size === 0) {
      clearInterval(refresher);
      refresher = undefined;
      return;
    }
    await Promise.all([...watched].map(([symbol, w]) => askShortable(w.account, symbol).catch(() => undefined)));
  }

  async function listOrders(client: Alpaca, status: 'open' | 'all'): Promise<WireOrder[]> {
    return wire(`GET /v2/orders?status=${status}`, z.array(WireOrder), client.trading.orders.getAllOrdersRaw({ status, limit: 500, direction: 'desc' }));
  }

  return {
    kind: 'alpaca',

    async prepare(orders) {
      // Shortable already, or within a long the book just showed: the submit needs nothing. Otherwise the
      // position decides, so fetch both (the position only when no fresh book has it).
      const withinLong = (o: { account: string; symbol: string; qty: number }) => o.qty <= Math.max(0, bookHeld(o.account, o.symbol) ?? 0);
      const checks = orders
        .filter((o) => o.side === 'sell' && clients.has(o.account) && knownShortable(o.symbol) !== true && !withinLong(o))
        .map((o) => {
          const facts = sellFacts(o.account, o.symbol);
          prepared.set(`${o.account}:${o.symbol}`, { facts, at: now() });
          return facts;
        });
      await Promise.allSettled(checks);
    },

    async anticipate(orders, until) {
      const sells = orders.filter((o) => o.side === 'sell' && clients.has(o.account));
      if (until.getTime() > now()) for (const o of sells) watched.set(o.symbol, { account: o.account, until: Math.max(until.getTime(), watched.get(o.symbol)?.until ?? 0) });
      if (watched.size && !refresher) refresher = setInterval(() => void refreshWatched(), refreshMs).unref();
      await Promise.allSettled(sells.filter((o) => knownShortable(o.symbol) === undefined).map((o) => askShortable(o.account, o.symbol)));
    },

    close() {
      clearInterval(refresher);
      refresher = undefined;
      watched.clear();
    },

    async submit(order) {
      const client = clientOf(order.account);
      if (!Number.isInteger(order.qty) || order.qty <= 0) throw new OrderRejectedError(`qty must be a positive whole number of shares, got ${order.qty}`);
      await assertSellable(order);
      const request = orderBuilders.buildMarketOrder({ symbol: order.symbol, qty: order.qty, side: order.side, timeInForce: 'day', clientOrderId: order.clientOrderId });
      try {
        const placed = await wire('POST /v2/orders', WireOrder, client.trading.orders.postOrderRaw({ postOrderRequest: request }));
        return toBrokerOrder(order.account, placed);
      } catch (error) {
        if (isDefiniteRefusal(error)) throw new OrderRejectedError(`Alpaca refused ${order.side} ${order.qty} ${order.symbol}: ${error.message || `HTTP ${error.status}`}`);
        throw new AmbiguousOrderError(`Alpaca may or may not have ${order.clientOrderId}: ${describeError(error)}`);
      }
    },

    async findByClientOrderId(account, clientOrderId) {
      try {
        const order = await wire('GET /v2/orders:by_client_order_id', WireOrder, clientOf(account).trading.orders.getOrderByClientOrderIdRaw({ clientOrderId }));
        return toBrokerOrder(account, order);
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
    },

    async account(account): Promise<AccountView> {
      const client = clientOf(account);
      const asked = now();
      // The three reads of a book go out together: one round trip, not three.
      const [acct, positions, open] = await Promise.all([
        wire('GET /v2/account', WireAccount, client.trading.account.getAccountRaw()),
        wire('GET /v2/positions', z.array(WirePosition), client.trading.positions.getAllOpenPositionsRaw()),
        listOrders(client, 'open'),
      ]);
      books.set(account, { at: asked, held: new Map(positions.map((p) => [p.symbol, p.side === 'short' ? -Math.abs(p.qty) : Math.abs(p.qty)])) });
      return {
        account,
        broker: 'alpaca',
        equity: round2(acct.equity),
        cash: round2(acct.cash),
        buyingPower: round2(acct.buying_power),
        positions: positions
          .map(
            (p): PositionView => ({
              symbol: p.symbol,
              // Alpaca reports short quantities as negative already; the side is a cross-check.
              qty: p.side === 'short' ? -Math.abs(p.qty) : Math.abs(p.qty),
              avgPrice: p.avg_entry_price,
              marketPrice: p.current_price ?? null,
              marketValue: round2(p.market_value ?? 0),
              unrealizedPl: round2(p.unrealized_pl ?? 0),
            }),
          )
          .sort((a, b) => a.symbol.localeCompare(b.symbol)),
        openOrders: open.map((o) => toBrokerOrder(account, o)),
      };
    },

    async cancelOpenOrders(account) {
      const client = clientOf(account);
      const open = await listOrders(client, 'open');
      const results = await Promise.allSettled(open.map((o) => client.trading.orders.deleteOrderByOrderIDRaw({ orderId: o.id })));
      return results.filter((r) => r.status === 'fulfilled').length;
    },

    // Netting folds an unfilled exit into the next order of its symbol: the exit is canceled first.
    async cancelOrder(account, clientOrderId) {
      const client = clientOf(account);
      const order = await this.findByClientOrderId(account, clientOrderId);
      if (!order || order.status === 'filled' || order.status === 'canceled' || order.status === 'rejected' || order.status === 'expired') return order;
      await client.trading.orders.deleteOrderByOrderIDRaw({ orderId: order.brokerOrderId }).catch(() => undefined);
      return this.findByClientOrderId(account, clientOrderId);
    },

    async clock(account) {
      const c = await wire('GET /v2/clock', WireClock, clientOf(account).trading.clock.legacyClockRaw());
      return { at: c.timestamp, isOpen: c.is_open, nextOpen: c.next_open, nextClose: c.next_close };
    },
  };
}
