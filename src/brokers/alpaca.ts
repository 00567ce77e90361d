/**
 * The Broker port on Alpaca: one SDK client per account, whole-share market `day` orders (outside
 * regular hours Alpaca queues them for the open), shorts only where the asset is shortable. A submit
 * either returns the order, throws OrderRejectedError when Alpaca definitely did not take it, or throws
 * AmbiguousOrderError when it may have (timeout, 5xx, a reused client order id), so the caller looks
 * the order up before anything else.
 *
 * Protective legs: an order with `protect` goes one-triggers-other (`order_class: oto`, a stop) or as a
 * bracket (a stop and a take-profit), `gtc`, so the legs keep resting overnight once the entry fills
 * (Alpaca allows only `day` or `gtc` here, and `day` legs would expire at the close). Alpaca nests the
 * legs under their parent only when asked (`nested=true`); every read here asks, so an order is always
 * answered with its legs and a leg never stands as an order of its own. After a resize the legs are
 * replaced by one standalone stop, or an `oco` pair with a take-profit, for the whole position: a guard,
 * sent under the resize's client order id with `-legs` (Alpaca takes a client order id once), and
 * answered as the resize order's legs wherever the resize is read. The book does not list guards as
 * working orders: they add and exit nothing until they trigger. Trade updates come through
 * src/brokers/alpaca-stream.ts; a leg's update is answered as its parent with its legs.
 */
import { type Alpaca, ApiError, NotFoundError, orders as orderBuilders, type trading } from '@alpacahq/alpaca-trade-api/rest';
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
  type OrderLeg,
  type OrderRequest,
  type OrderUpdate,
  OrderRejectedError,
  type OrderStatus,
  type PositionView,
  type Prewarming,
  type ProtectiveLegs,
  type Protecting,
  type Streaming,
} from './port.ts';
import { type StreamTuning, type TradeUpdateFrame, watchTradeUpdates } from './alpaca-stream.ts';

type PostOrderRequest = trading.PostOrderRequest;

const Decimal = z.union([z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal string'), z.number()]).transform(Number);

const WireOrderFields = z.object({
  id: z.string().min(1),
  client_order_id: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  qty: Decimal.nullable(),
  filled_qty: Decimal,
  filled_avg_price: Decimal.nullable(),
  status: z.string(),
  filled_at: z.string().nullable().optional(),
  type: z.string().optional(),
  order_class: z.string().nullable().optional(),
  stop_price: Decimal.nullable().optional(),
  limit_price: Decimal.nullable().optional(),
});
const WireOrder = WireOrderFields.extend({ legs: z.array(WireOrderFields).nullable().optional() });
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
function statusOf(o: z.infer<typeof WireOrderFields>): OrderStatus {
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

/** The client order id of the guard replaceLegs puts on the position a resize order left. */
export const guardIdOf = (clientOrderId: string): string => `${clientOrderId}-legs`;
const GUARD_SUFFIX = guardIdOf('');
/** The client order id of the resize a guard protects the position of (its own id when it is no `-legs` guard). */
const guardedIdOf = (guardId: string): string => (guardId.endsWith(GUARD_SUFFIX) ? guardId.slice(0, -GUARD_SUFFIX.length) : guardId);

/** Orders that carry protective legs: the entry's (oto, bracket) and the replacements (oco, a plain stop). */
const PROTECTED = new Set(['oto', 'bracket', 'oco']);
type OrderShape = { type?: string | undefined; order_class?: string | null | undefined };
/** A standalone protective order (replaceLegs'): an oco pair or a plain stop; it guards a position and adds none. */
const isGuard = (o: OrderShape) => o.order_class === 'oco' || (o.type === 'stop' && !PROTECTED.has(o.order_class ?? ''));
/** A leg of an entry (the entry itself is a market order). */
const isEntryLeg = (o: OrderShape) => (o.order_class === 'oto' || o.order_class === 'bracket') && o.type !== 'market';
const legKind = (o: OrderShape): OrderLeg['kind'] => (o.type === 'limit' ? 'take_profit' : 'stop');

const toLeg = (o: z.infer<typeof WireOrderFields>): OrderLeg => ({
  kind: legKind(o),
  brokerOrderId: o.id,
  price: (legKind(o) === 'stop' ? o.stop_price : o.limit_price) ?? 0,
  status: o.status === 'held' ? 'held' : statusOf(o),
  filledQty: o.filled_qty,
  avgFillPrice: o.filled_avg_price,
  filledAt: o.filled_at ?? null,
});

/**
 * The legs of an order, when it has any: an entry's nested legs; a standalone guard's own stop (and,
 * for an oco, its take-profit, which is the parent itself).
 */
function legsOf(o: WireOrder): OrderLeg[] | undefined {
  if (isGuard(o)) return [toLeg(o), ...(o.legs ?? []).map(toLeg)].sort((a, b) => a.kind.localeCompare(b.kind));
  return o.legs?.length ? o.legs.map(toLeg) : undefined;
}

const toBrokerOrder = (account: string, o: WireOrder): BrokerOrder => {
  const legs = legsOf(o);
  return {
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
    ...(legs ? { legs } : {}),
  };
};

/** Alpaca's tick rule for stop and limit prices: whole cents at $1 and over, four decimals under. */
export const toTick = (price: number): number => (price >= 1 ? Math.round(price * 100) / 100 : Math.round(price * 10_000) / 10_000);

/** Legs on the protective side: a positive stop, a take-profit beyond it (`direction` 1 long, -1 short). */
function assertProtective(direction: 1 | -1, legs: ProtectiveLegs): void {
  if (!(Number.isFinite(legs.stopPrice) && legs.stopPrice > 0)) throw new OrderRejectedError(`a stop must be a positive price, got ${legs.stopPrice}`);
  const tp = legs.takeProfitPrice;
  if (tp !== null && !(Number.isFinite(tp) && direction * (tp - legs.stopPrice) > 0))
    throw new OrderRejectedError(`a take-profit of ${tp} is not beyond the stop of ${legs.stopPrice} for a ${direction > 0 ? 'long' : 'short'}`);
}

/** The trade-stream events the port passes on; the rest (pending_new, done_for_day...) change nothing recorded. */
const UPDATE_EVENTS = new Set<string>(['new', 'fill', 'partial_fill', 'canceled', 'expired', 'rejected', 'replaced']);

/** Which leg a streamed order is, when it is one (an entry's leg, or a guard's own stop or take-profit). */
const streamedLeg = (o: OrderShape): OrderLeg['kind'] | null => (isEntryLeg(o) || isGuard(o) ? legKind(o) : null);

/** Whether a leg may still fill (or be canceled). */
const RESTING = new Set<OrderLeg['status']>(['held', 'accepted', 'partially_filled']);

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Whether Alpaca's refusal of a submit is definite (nothing was placed). A reused client order id means it was. */
function isDefiniteRefusal(error: unknown): error is ApiError {
  if (!(error instanceof ApiError)) return false;
  if (error.status === 422 && /client_order_id/i.test(error.message)) return false;
  return error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;
}

/**
 * Alpaca: the core, pre-warming of sells' checks, one order canceled at a time, protective legs and
 * pushed trade updates; it fills on its own, so nothing settles.
 */
export interface AlpacaBroker extends BrokerAdapter, Prewarming, CancellingOne, Protecting, Streaming, Closing {
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
  /** The trade stream's reconnect backoff and timers (tests inject theirs). */
  stream?: StreamTuning;
  /** What goes wrong on an account's trade stream (refused keys, an unreadable frame): for the log. */
  onStreamError?: (account: string, message: string) => void;
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

  /** Orders as Alpaca nests them: parents with their legs (a parent is open while a leg of it works). */
  async function listOrders(client: Alpaca, status: 'open' | 'all', symbol?: string): Promise<WireOrder[]> {
    return wire(
      `GET /v2/orders?status=${status}&nested=true`,
      z.array(WireOrder),
      client.trading.orders.getAllOrdersRaw({ status, limit: 500, direction: 'desc', nested: true, ...(symbol ? { symbols: symbol } : {}) }),
    );
  }

  const readNested = (client: Alpaca, orderId: string): Promise<WireOrder> =>
    wire('GET /v2/orders/{id}?nested=true', WireOrder, client.trading.orders.getOrderByOrderIDRaw({ orderId, nested: true }));

  /** One order by its client order id, with its legs (Alpaca's lookup by client id does not nest them). */
  async function findWire(client: Alpaca, clientOrderId: string): Promise<WireOrder | undefined> {
    try {
      const order = await wire('GET /v2/orders:by_client_order_id', WireOrder, client.trading.orders.getOrderByClientOrderIdRaw({ clientOrderId }));
      return PROTECTED.has(order.order_class ?? '') && !order.legs?.length ? await readNested(client, order.id) : order;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** Sends one order; a definite refusal is OrderRejectedError, anything else ambiguous. */
  async function placeWire(account: string, request: PostOrderRequest, what: string): Promise<WireOrder> {
    try {
      return await wire('POST /v2/orders', WireOrder, clientOf(account).trading.orders.postOrderRaw({ postOrderRequest: request }));
    } catch (error) {
      if (isDefiniteRefusal(error)) throw new OrderRejectedError(`Alpaca refused ${what}: ${error.message || `HTTP ${error.status}`}`);
      throw new AmbiguousOrderError(`Alpaca may or may not have ${request.clientOrderId}: ${describeError(error)}`);
    }
  }

  /** A streamed update as the port's OrderUpdate: the parent re-read with its legs, and which leg changed. */
  async function updateOf(account: string, frame: TradeUpdateFrame): Promise<OrderUpdate | undefined> {
    if (!UPDATE_EVENTS.has(frame.event)) return undefined;
    const client = clientOf(account);
    const leg = streamedLeg(frame.order);
    // A leg nested under a parent (an entry's, or an oco guard's stop under its take-profit) is looked
    // for among the symbol's orders; a plain stop guard is its own parent.
    const nestedLeg = isEntryLeg(frame.order) || (frame.order.order_class === 'oco' && frame.order.type === 'stop');
    let parentId = frame.order.id;
    if (nestedLeg) {
      const recent = await listOrders(client, 'all', frame.order.symbol);
      const parent = recent.find((o) => o.legs?.some((l) => l.id === frame.order.id));
      if (!parent) throw new Error(`no parent order holds the leg ${frame.order.id}`);
      parentId = parent.id;
    }
    const parent = await readNested(client, parentId);
    const order = isGuard(parent) ? await answerGuard(account, parent) : toBrokerOrder(account, parent);
    return { account, event: frame.event as OrderUpdate['event'], order, leg, at: frame.at };
  }

  /**
   * A guard as a book lists it, without another round trip: the position it protects (the guard's
   * quantity, on the side opposite its own) filled under the resize's client order id, with the guard's
   * legs resting. It moves no position, so nothing counts it as working or as adding risk.
   */
  const protectionOf = (account: string, guard: WireOrder): BrokerOrder => ({
    ...toBrokerOrder(account, guard),
    clientOrderId: guardedIdOf(guard.client_order_id),
    side: guard.side === 'sell' ? 'buy' : 'sell',
    status: 'filled',
    filledQty: guard.qty ?? 0,
    avgFillPrice: null,
    filledAt: null,
  });

  /** A resize order answered with the legs its guard holds. */
  const withGuard = (account: string, order: WireOrder, guard: WireOrder): BrokerOrder => {
    const legs = legsOf(guard);
    return { ...toBrokerOrder(account, order), ...(legs ? { legs } : {}) };
  };

  /**
   * A guard answered as the order it protects the position of (the resize under the guard's client
   * order id without `-legs`), carrying the guard's legs; the guard itself, under that id, when no such
   * order exists.
   */
  async function answerGuard(account: string, guard: WireOrder): Promise<BrokerOrder> {
    const parentId = guardedIdOf(guard.client_order_id);
    const parent = parentId === guard.client_order_id ? undefined : await findWire(clientOf(account), parentId);
    return parent ? withGuard(account, parent, guard) : { ...toBrokerOrder(account, guard), clientOrderId: parentId };
  }

  /** The entry order: plain market, or with its legs (oto with a stop, bracket with a take-profit too). */
  function entryRequest(order: OrderRequest): PostOrderRequest {
    const common = { symbol: order.symbol, qty: order.qty, side: order.side, clientOrderId: order.clientOrderId };
    const protect = order.protect;
    if (!protect) return orderBuilders.buildMarketOrder({ ...common, timeInForce: 'day' });
    assertProtective(order.side === 'buy' ? 1 : -1, protect);
    const stopLoss = { stopPrice: toTick(protect.stopPrice) };
    return protect.takeProfitPrice === null
      ? orderBuilders.buildOtoOrder({ ...common, timeInForce: 'gtc', stopLoss })
      : orderBuilders.buildBracketOrder({ ...common, timeInForce: 'gtc', stopLoss, takeProfit: { limitPrice: toTick(protect.takeProfitPrice) } });
  }

  /** Cancels every resting leg of `symbol` (and every standalone guard); answers the parents as they stand after. */
  async function cancelLegsOf(account: string, symbol: string): Promise<BrokerOrder[]> {
    const client = clientOf(account);
    const open = await listOrders(client, 'open', symbol);
    const guarded = open.filter((o) => o.symbol === symbol && (isGuard(o) || (legsOf(o) ?? []).some((leg) => RESTING.has(leg.status))));
    const cancels = guarded.flatMap((o) => {
      // An unfilled entry is not a leg: it stays (an exit is netted against it elsewhere); only its legs go.
      const legs = (legsOf(o) ?? []).filter((leg) => RESTING.has(leg.status));
      return [...new Set(legs.map((leg) => leg.brokerOrderId))];
    });
    // A leg that filled (or was canceled) first answers 422: the re-read below shows what it is.
    await Promise.allSettled(cancels.map((orderId) => client.trading.orders.deleteOrderByOrderIDRaw({ orderId })));
    return Promise.all(
      guarded.map(async (o) => {
        const after = await readNested(client, o.id);
        return isGuard(after) ? answerGuard(account, after) : toBrokerOrder(account, after);
      }),
    );
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
      clientOf(order.account);
      if (!Number.isInteger(order.qty) || order.qty <= 0) throw new OrderRejectedError(`qty must be a positive whole number of shares, got ${order.qty}`);
      await assertSellable(order);
      return toBrokerOrder(order.account, await placeWire(order.account, entryRequest(order), `${order.side} ${order.qty} ${order.symbol}`));
    },

    async findByClientOrderId(account, clientOrderId) {
      const client = clientOf(account);
      const order = await findWire(client, clientOrderId);
      if (!order) return undefined;
      // A filled order without legs of its own may be a resize whose position carries a guard.
      const mayBeGuarded = order.filled_qty > 0 && !order.legs?.length && !isGuard(order);
      const guard = mayBeGuarded ? await findWire(client, guardIdOf(clientOrderId)) : undefined;
      return guard ? withGuard(account, order, guard) : toBrokerOrder(account, order);
    },

    cancelLegs: (account, symbol) => cancelLegsOf(account, symbol),

    async replaceLegs({ account, symbol, qty, legs, clientOrderId }) {
      const client = clientOf(account);
      if (!Number.isInteger(qty) || qty === 0) throw new OrderRejectedError(`legs need a whole, non-zero position, got ${qty} ${symbol}`);
      const guardId = guardIdOf(clientOrderId);
      // Idempotent: once the guard exists, it is the answer (the old legs went before it was sent).
      const known = await findWire(client, guardId);
      if (known && statusOf(known) !== 'rejected') return answerGuard(account, known);
      await cancelLegsOf(account, symbol);
      const direction = qty > 0 ? 1 : -1;
      assertProtective(direction, legs);
      const common = { symbol, qty: Math.abs(qty), side: qty > 0 ? ('sell' as const) : ('buy' as const), clientOrderId: guardId, timeInForce: 'gtc' as const };
      const stopLoss = { stopPrice: toTick(legs.stopPrice) };
      const request =
        legs.takeProfitPrice === null
          ? orderBuilders.buildStopOrder({ ...common, stopPrice: stopLoss.stopPrice })
          : orderBuilders.buildOcoOrder({ ...common, stopLoss, takeProfit: { limitPrice: toTick(legs.takeProfitPrice) } });
      let placed: WireOrder | undefined;
      try {
        placed = await placeWire(account, request, `the legs of ${qty} ${symbol}`);
      } catch (error) {
        if (!(error instanceof AmbiguousOrderError)) throw error;
        placed = await findWire(client, guardId).catch(() => undefined);
        if (!placed) throw error;
      }
      return answerGuard(account, placed);
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
        // Parents with their legs; a standalone guard adds and exits nothing until it triggers, so it is
        // listed as the protection of its position (a filled order with resting legs), never as working.
        openOrders: open.map((o) => (isGuard(o) ? protectionOf(account, o) : toBrokerOrder(account, o))),
      };
    },

    // The kill switch: every working order goes, but the protective legs of held positions stay. An
    // entry still waiting to fill goes with its held legs.
    async cancelOpenOrders(account) {
      const client = clientOf(account);
      const open = (await listOrders(client, 'open')).filter((o) => !isGuard(o) && statusOf(o) !== 'filled');
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

    watch(handlers) {
      // One account's updates are answered in the order they came, each with the order re-read as it
      // stands; an update that cannot be read leaves a gap, so the account is reconciled.
      const queues = new Map<string, Promise<void>>();
      return watchTradeUpdates({
        accounts: deps.accounts,
        endpoints: deps.endpoints,
        ...(deps.stream ? { tuning: deps.stream } : {}),
        onGap: (account) => handlers.onGap(account),
        ...(deps.onStreamError ? { onError: deps.onStreamError } : {}),
        onUpdate(account, frame) {
          const next = (queues.get(account) ?? Promise.resolve())
            .then(() => updateOf(account, frame))
            .then(
              (update) => update && handlers.onUpdate(update),
              (error: unknown) => {
                deps.onStreamError?.(account, `the order of a ${frame.event} update could not be read (reconciling instead): ${describeError(error)}`);
                handlers.onGap(account);
              },
            );
          queues.set(account, next);
        },
      });
    },

    async clock(account) {
      const c = await wire('GET /v2/clock', WireClock, clientOf(account).trading.clock.legacyClockRaw());
      return { at: c.timestamp, isOpen: c.is_open, nextOpen: c.next_open, nextClose: c.next_close };
    },
  };
}
