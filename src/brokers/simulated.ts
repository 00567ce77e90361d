/**
 * The simulated broker: accounts with cash, market orders filled at the next session's open with
 * slippage and fees, longs and shorts, equity marked to the last published close. Its state lives in
 * events (one stream per account), so it survives restarts and replays like everything else.
 *
 * Protective legs on daily bars: an order sent with a stop (and take-profit) holds its legs until it
 * fills; then they rest. A resting stop triggers in a session whose low (under a long) or high (over a
 * short) crosses it and fills at the stop less slippage, or at the open, less slippage, when the session
 * opens through it (a gap); a take-profit fills at its limit, or at the open when the session opens
 * through it. A bar does not say which came first when both levels lie inside it: the stop is assumed to
 * have, the conservative reading. A session counts once its bar is complete (16:00), its open from 09:30.
 * Legs only ever reduce: they close at most the position they protect, and the other leg is canceled.
 */
import { cents, notionalCents } from '../domain/ledger.ts';
import type { MarketData } from '../market/port.ts';
import { PointInTimeError } from '../market/port.ts';
import type { TradingCalendar } from '../market/calendar.ts';
import { addDays, nyDate, nyDateTime, nyTime } from '../market/time.ts';
import type { EventStore, NewEvent, StoredEvent } from '../store/port.ts';
import { ConcurrencyError } from '../store/port.ts';
import {
  type AccountView,
  type BrokerAdapter,
  type BrokerOrder,
  type CancellingOne,
  type OrderLeg,
  OrderRejectedError,
  type OrderRequest,
  type PositionView,
  type Protecting,
  type ProtectiveLegs,
  type SettlingWithBooks,
} from './port.ts';
import type { Bar } from '../market/port.ts';

export interface SimSettings {
  startingCash: number;
  slippageBps: number;
  feePerShare: number;
  minFee: number;
  /** Idle cash (a positive balance) earns this return over each session (`broker.cashInterest`); none when absent. */
  interestRate?: (session: string) => number;
}

/** The fee in whole cents: max(minFee, feePerShare × qty), rounded half up in integers (no binary-float cent errors). */
export function feeCents(settings: Pick<SimSettings, 'feePerShare' | 'minFee'>, qty: number): number {
  const microPerShare = Math.round(settings.feePerShare * 1_000_000);
  return Math.max(cents(settings.minFee), Math.round((microPerShare * qty) / 10_000));
}

type SimEvent =
  | { type: 'SimAccountOpened'; data: { cash: number } }
  | {
      type: 'SimOrderAccepted';
      data: { clientOrderId: string; symbol: string; side: 'buy' | 'sell'; qty: number; at: string; session: string; protect?: ProtectiveLegs };
    }
  | { type: 'SimOrderFilled'; data: { clientOrderId: string; price: number; qty: number; fee: number; at: string } }
  | { type: 'SimOrderCanceled'; data: { clientOrderId: string; at: string; reason: string } }
  /** A leg of `clientOrderId` triggered: the position is closed (up to `qty`), the other leg canceled. */
  | { type: 'SimLegFilled'; data: { clientOrderId: string; leg: OrderLeg['kind']; price: number; qty: number; fee: number; at: string } }
  | { type: 'SimLegsCanceled'; data: { clientOrderId: string; at: string; reason: string } }
  /** One stop (and take-profit) for the whole position, `qty` signed shares, now carried by `clientOrderId`; every other resting leg of the symbol is canceled. */
  | { type: 'SimLegsReplaced'; data: { clientOrderId: string; qty: number; stopPrice: number; takeProfitPrice: number | null; at: string; symbol?: string } };

/** The legs an order carries, as the simulated broker keeps them. */
interface Guard {
  /** The legs' side: a sell under a long, a buy over a short. */
  side: 'buy' | 'sell';
  /** The most shares they close. */
  qty: number;
  stopPrice: number;
  takeProfitPrice: number | null;
  /** New York wall time from which they rest (null: held until the parent fills). */
  activeFrom: string | null;
}

type SimOrder = BrokerOrder & { session: string; guard?: Guard };

const legId = (parent: string, kind: OrderLeg['kind']) => `${parent}-${kind === 'stop' ? 'sl' : 'tp'}`;

interface Ledger {
  version: number;
  /** The global position of the last event folded in (a cached ledger is checked against it). */
  last?: string;
  /** Cash in integer cents. */
  cash: number;
  positions: Map<string, { qty: number; cost: number }>;
  orders: Map<string, SimOrder>;
  /** Every fill in order (shared and append-only, like `orders`), for a view as of an earlier instant. */
  fills: SimFill[];
  /** How many of `fills` this ledger has folded (the shared log may hold newer ones). */
  fillCount: number;
  /** Orders still working (accepted or partly filled): a view lists them without scanning every order. */
  open: Set<string>;
  /** Orders whose legs are held or resting, by symbol: settling looks at these, never at every order. */
  guarded: Map<string, ReadonlySet<string>>;
  /** Cash interest is in `cash` for every session before this one (null: none earned yet). */
  accruedTo: string | null;
  /** `open` and `guarded` as arrays, made on first use (see `listsOf`). */
  lists?: LedgerLists;
  /** The read options for the stream from this ledger's last event on, made on first use (one ledger serves many looks). */
  readAfter?: { after: number };
}

/**
 * A ledger's working and guarded orders as arrays, made once per ledger (a ledger never changes once
 * folded, and settles and views look at the same one thousands of times in a backtest): they are walked
 * by index, with no set, iterator or entry array made per settle or view.
 */
interface LedgerLists {
  /** `open`, in its order. */
  open: readonly string[];
  /** Each guarded order with its symbol, in `guarded`'s order. */
  guarded: readonly { symbol: string; id: string }[];
  /** The orders a view lists when no fill is undone: the open ones, then the guarded ones, each once. */
  working: readonly string[];
}

const NONE: readonly string[] = [];
const NO_ORDERS: readonly BrokerOrder[] = [];

/** The ledger's lists, made on the first call. */
function listsOf(ledger: Ledger): LedgerLists {
  if (ledger.lists !== undefined) return ledger.lists;
  const open = [...ledger.open];
  const guarded: { symbol: string; id: string }[] = [];
  const working = new Set(ledger.open);
  for (const [symbol, ids] of ledger.guarded) {
    for (const id of ids) {
      guarded.push({ symbol, id });
      working.add(id);
    }
  }
  ledger.lists = { open, guarded, working: [...working] };
  return ledger.lists;
}

/** A fill as it changed the book, with what it replaced, so the book as of an earlier instant is an exact undo. */
interface SimFill {
  at: string;
  clientOrderId: string;
  symbol: string;
  cashBefore: number;
  accruedBefore: string | null;
  positionBefore: { qty: number; cost: number } | undefined;
}

/** Interest, in cents, on positive cash held over the sessions from `from` (inclusive) to `to` (exclusive). */
type Accrue = (cashCents: number, from: string | null, to: string) => number;

/** Each account's stream name, made once (every look at an account names its stream). */
const streamNames = new Map<string, string>();
function streamOf(account: string): string {
  let stream = streamNames.get(account);
  if (stream === undefined) {
    stream = `sim:${account}`;
    streamNames.set(account, stream);
  }
  return stream;
}

function fold(account: string, events: readonly { type: string; data: unknown }[], accrue?: Accrue): Ledger {
  return foldOnto(
    { version: 0, cash: 0, positions: new Map(), orders: new Map(), fills: [], fillCount: 0, open: new Set(), guarded: new Map(), accruedTo: null },
    account,
    events,
    accrue,
  );
}

/** Applies one fill to cash (cents) and a position (average cost moves only when it grows; flipping restarts it). */
function applyFill(cash: number, positions: Map<string, { qty: number; cost: number }>, symbol: string, signed: number, price: number, fee: number): number {
  const pos = positions.get(symbol) ?? { qty: 0, cost: 0 };
  const qty = pos.qty + signed;
  const cost = qty === 0 ? 0 : Math.sign(qty) !== Math.sign(pos.qty) ? price : Math.abs(qty) > Math.abs(pos.qty) ? (pos.cost * pos.qty + price * signed) / qty : pos.cost;
  positions.set(symbol, { qty, cost });
  return cash - notionalCents(signed, price) - cents(fee);
}

/**
 * A new ledger: `base` with `events[from..]` applied. The orders map is carried over and grows (an order
 * that changes is replaced, never edited), so an older ledger still held by a caller may see newer
 * orders, never half-changed ones: copying thousands of orders on every change made a ten-year backtest
 * quadratic. The positions map, the open set and the guarded map are copied when an event first changes
 * them (copy on write), never edited once a fold returns them: most events touch one or two of them,
 * and a positions map shared with the base keeps its sorted symbols.
 */
function foldOnto(base: Ledger, account: string, events: readonly { type: string; data: unknown }[], accrue?: Accrue, from = 0): Ledger {
  const ledger: Ledger = {
    version: base.version + events.length - from,
    cash: base.cash,
    positions: base.positions,
    orders: base.orders,
    fills: base.fills,
    fillCount: base.fillCount,
    open: base.open,
    guarded: base.guarded,
    accruedTo: base.accruedTo,
  };
  /** The ledger's own copies, made on the first change. */
  const positions = () => {
    if (ledger.positions === base.positions) ledger.positions = new Map(base.positions);
    return ledger.positions;
  };
  const open = () => {
    if (ledger.open === base.open) ledger.open = new Set(base.open);
    return ledger.open;
  };
  const guard = (symbol: string, id: string, on: boolean) => {
    if (ledger.guarded === base.guarded) ledger.guarded = new Map(base.guarded);
    const set = new Set(ledger.guarded.get(symbol));
    if (on) set.add(id);
    else set.delete(id);
    if (set.size) ledger.guarded.set(symbol, set);
    else ledger.guarded.delete(symbol);
  };
  /** Records a fill in the undo log, with the cash interest up to its session, and applies it. */
  const fill = (symbol: string, id: string, signed: number, price: number, fee: number, at: string) => {
    const session = at.slice(0, 10);
    // A ledger folded again from an older base rewrites the log from its own count on.
    ledger.fills.length = ledger.fillCount;
    ledger.fills.push({ at, clientOrderId: id, symbol, cashBefore: ledger.cash, accruedBefore: ledger.accruedTo, positionBefore: ledger.positions.get(symbol) });
    ledger.fillCount++;
    // Interest up to the session before the fill's, on the cash held until then.
    if (accrue) {
      ledger.cash += accrue(ledger.cash, ledger.accruedTo, session);
      ledger.accruedTo = session;
    }
    // (the fill's own session earns on the cash left after it, at the next fill or view)
    ledger.cash = applyFill(ledger.cash, positions(), symbol, signed, price, fee);
  };
  /** The order with its legs set to `status` (the ones not already ended), and its guard dropped when they end. */
  const withLegs = (order: SimOrder, status: OrderLeg['status'], keepGuard: boolean): SimOrder => ({
    ...order,
    legs: order.legs?.map((l) => (l.status === 'held' || l.status === 'accepted' ? { ...l, status } : l)),
    ...(keepGuard ? {} : { guard: undefined }),
  });
  for (let i = from; i < events.length; i++) {
    const e = events[i] as SimEvent;
    switch (e.type) {
      case 'SimAccountOpened':
        ledger.cash = cents(e.data.cash);
        break;
      case 'SimOrderAccepted':
        ledger.orders.set(e.data.clientOrderId, {
          account,
          clientOrderId: e.data.clientOrderId,
          brokerOrderId: `sim-${e.data.clientOrderId}`,
          symbol: e.data.symbol,
          side: e.data.side,
          qty: e.data.qty,
          status: 'accepted',
          filledQty: 0,
          avgFillPrice: null,
          fee: 0,
          filledAt: null,
          rejectReason: null,
          session: e.data.session,
          ...(e.data.protect
            ? {
                legs: legsOf(e.data.clientOrderId, e.data.protect, 'held'),
                guard: { side: e.data.side === 'buy' ? 'sell' : 'buy', qty: e.data.qty, ...e.data.protect, activeFrom: null },
              }
            : {}),
        });
        open().add(e.data.clientOrderId);
        if (e.data.protect) guard(e.data.symbol, e.data.clientOrderId, true);
        break;
      case 'SimOrderFilled': {
        const order = ledger.orders.get(e.data.clientOrderId);
        if (!order) break;
        const signed = order.side === 'buy' ? e.data.qty : -e.data.qty;
        fill(order.symbol, order.clientOrderId, signed, e.data.price, e.data.fee, e.data.at);
        const filledQty = order.filledQty + e.data.qty;
        const done = filledQty >= order.qty;
        // Its legs rest from the fill on.
        const legs = done && order.guard ? { legs: order.legs?.map((l) => ({ ...l, status: 'accepted' as const })), guard: { ...order.guard, activeFrom: e.data.at } } : {};
        ledger.orders.set(order.clientOrderId, {
          ...order,
          filledQty,
          avgFillPrice: e.data.price,
          fee: order.fee + e.data.fee,
          filledAt: e.data.at,
          status: done ? 'filled' : 'partially_filled',
          ...legs,
        });
        if (done) open().delete(order.clientOrderId);
        break;
      }
      case 'SimLegFilled': {
        const order = ledger.orders.get(e.data.clientOrderId);
        if (!order?.guard) break;
        fill(order.symbol, legId(order.clientOrderId, e.data.leg), order.guard.side === 'buy' ? e.data.qty : -e.data.qty, e.data.price, e.data.fee, e.data.at);
        ledger.orders.set(order.clientOrderId, {
          ...order,
          guard: undefined,
          legs: order.legs?.map((l) =>
            l.kind === e.data.leg
              ? { ...l, status: 'filled' as const, filledQty: e.data.qty, avgFillPrice: e.data.price, filledAt: e.data.at, fee: e.data.fee }
              : l.status === 'accepted' || l.status === 'held'
                ? { ...l, status: 'canceled' as const }
                : l,
          ),
        });
        guard(order.symbol, order.clientOrderId, false);
        break;
      }
      case 'SimLegsCanceled': {
        const order = ledger.orders.get(e.data.clientOrderId);
        if (!order?.guard) break;
        ledger.orders.set(order.clientOrderId, withLegs(order, 'canceled', false));
        guard(order.symbol, order.clientOrderId, false);
        break;
      }
      case 'SimLegsReplaced': {
        // An id no order has: the legs get an order of their own that carries them (it trades nothing).
        const order = ledger.orders.get(e.data.clientOrderId) ?? (e.data.symbol ? legsHolder(account, e.data.clientOrderId, e.data.symbol, e.data.qty, e.data.at) : undefined);
        if (!order) break;
        for (const id of ledger.guarded.get(order.symbol) ?? []) {
          const other = ledger.orders.get(id);
          if (other && id !== order.clientOrderId) ledger.orders.set(id, withLegs(other, 'canceled', false));
        }
        if (ledger.guarded.has(order.symbol)) {
          if (ledger.guarded === base.guarded) ledger.guarded = new Map(base.guarded);
          ledger.guarded.delete(order.symbol);
        }
        const protect = { stopPrice: e.data.stopPrice, takeProfitPrice: e.data.takeProfitPrice };
        ledger.orders.set(order.clientOrderId, {
          ...order,
          legs: legsOf(order.clientOrderId, protect, 'accepted'),
          guard: { side: e.data.qty > 0 ? 'sell' : 'buy', qty: Math.abs(e.data.qty), ...protect, activeFrom: e.data.at },
        });
        guard(order.symbol, order.clientOrderId, true);
        break;
      }
      case 'SimOrderCanceled': {
        const order = ledger.orders.get(e.data.clientOrderId);
        // A canceled order's held legs go with it.
        if (order) ledger.orders.set(order.clientOrderId, { ...withLegs(order, 'canceled', false), status: 'canceled', rejectReason: e.data.reason });
        if (order?.guard) guard(order.symbol, order.clientOrderId, false);
        if (ledger.open.has(e.data.clientOrderId)) open().delete(e.data.clientOrderId);
        break;
      }
    }
  }
  return ledger;
}

// The symbols of each positions map, in the order a view lists them: a map is never changed once a fold
// returns it (a new fold copies it), and the views of one ledger (thousands in a backtest) share the sort.
const sortedSymbols = new WeakMap<ReadonlyMap<string, unknown>, readonly string[]>();

/** The map's symbols sorted as a view lists its positions. */
function symbolsOf(positions: ReadonlyMap<string, unknown>): readonly string[] {
  let symbols = sortedSymbols.get(positions);
  if (symbols === undefined) {
    symbols = [...positions.keys()].sort((a, b) => a.localeCompare(b));
    sortedSymbols.set(positions, symbols);
  }
  return symbols;
}

/** The close of the last bar of an answer to a `limit: 1` request (null: none yet). */
const closeOf = (bars: readonly Bar[]): number | null => bars[0]?.close ?? null;

/** A New York wall time, the simulated broker's fill stamp: YYYY-MM-DDTHH:MM. */
const wallOf = (at: Date) => `${nyDate(at)}T${nyTime(at)}`;

/**
 * The order as the port shows it: a fresh object with the port's fields, in the order the ledger's order
 * has them (`legs` only when it has the key). Spelled out: an object rest (`{ session, guard, ...order }`)
 * copies through a slow runtime path, and views make one per working order.
 */
function publicOrder(o: SimOrder): BrokerOrder {
  const order: BrokerOrder = {
    account: o.account,
    clientOrderId: o.clientOrderId,
    brokerOrderId: o.brokerOrderId,
    symbol: o.symbol,
    side: o.side,
    qty: o.qty,
    status: o.status,
    filledQty: o.filledQty,
    avgFillPrice: o.avgFillPrice,
    fee: o.fee,
    filledAt: o.filledAt,
    rejectReason: o.rejectReason,
  };
  if ('legs' in o) order.legs = o.legs;
  return order;
}

/**
 * Why legs cannot protect a position of sign `sign` (1 long, -1 short) at the last close: a stop must be
 * on the protective side and a take-profit on the profitable side (a stop through the price would fill at once).
 */
function legsRefusal(sign: number, legs: ProtectiveLegs, close: number | null): string | null {
  if (!(legs.stopPrice > 0)) return `stop ${legs.stopPrice} is not a price`;
  if (close === null) return null;
  if (sign * (close - legs.stopPrice) <= 0) return `stop ${legs.stopPrice} is not ${sign > 0 ? 'below' : 'above'} the last close ${close}`;
  if (legs.takeProfitPrice !== null && sign * (legs.takeProfitPrice - close) <= 0)
    return `take-profit ${legs.takeProfitPrice} is not ${sign > 0 ? 'above' : 'below'} the last close ${close}`;
  return null;
}

/** The order that carries legs placed under a client order id no order has (a position kept on by netting): it trades nothing. */
function legsHolder(account: string, clientOrderId: string, symbol: string, qty: number, at: string): SimOrder {
  return {
    account,
    clientOrderId,
    brokerOrderId: `sim-${clientOrderId}`,
    symbol,
    side: qty > 0 ? 'buy' : 'sell',
    qty: 0,
    status: 'filled',
    filledQty: 0,
    avgFillPrice: null,
    fee: 0,
    filledAt: at,
    rejectReason: null,
    session: at.slice(0, 10),
  };
}

/** The legs of `parent` as the port shows them. */
function legsOf(parent: string, protect: ProtectiveLegs, status: OrderLeg['status']): OrderLeg[] {
  const leg = (kind: OrderLeg['kind'], price: number): OrderLeg => ({
    kind,
    brokerOrderId: `sim-${legId(parent, kind)}`,
    price,
    status,
    filledQty: 0,
    avgFillPrice: null,
    filledAt: null,
  });
  return [leg('stop', protect.stopPrice), ...(protect.takeProfitPrice === null ? [] : [leg('take_profit', protect.takeProfitPrice)])];
}

/** The simulated broker's shape: the core, fills settled on demand, one order canceled at a time, protective legs. */
export interface SimulatedBroker extends BrokerAdapter, SettlingWithBooks, CancellingOne, Protecting {}

export function createSimulatedBroker(deps: { store: EventStore; market: MarketData; calendar: TradingCalendar; settings: SimSettings }): SimulatedBroker {
  const { store, market, calendar, settings } = deps;
  const rate = settings.interestRate;
  const accrue: Accrue | undefined = rate
    ? (cash, from, to) => {
        if (from === null || cash <= 0 || from >= to) return 0;
        let c = cash;
        for (const session of calendar.tradingDays(from, addDays(to, -1))) c += Math.round(c * rate(session));
        return c - cash;
      }
    : undefined;

  // The last ledger folded per account: a read that finds no new events costs no fold, and new events
  // are folded onto it (events never change once written).
  const ledgers = new Map<string, Ledger>();

  /**
   * The account's ledger as its stream stands, the account opened first when its stream is empty (`open`).
   * With a ledger folded before, only the events after its last one are read (that one too, to check it
   * is the same event) and folded onto it; reading the whole stream on every look made a ten-year
   * backtest copy ~70M events. A store may answer with more than the tail asked for (the SQL store
   * answers with the whole stream): events are placed by their version. A stream that no longer holds
   * the ledger's last event gets a fold from scratch. One async call per look (a look is the broker's
   * most frequent call: every settle, view and change makes one).
   */
  async function current(account: string, open = false): Promise<Ledger> {
    const stream = streamOf(account);
    const known = ledgers.get(account);
    if (known !== undefined && known.version > 0) {
      known.readAfter ??= { after: known.version - 1 };
      const tail: readonly StoredEvent[] = await store.read(stream, known.readAfter);
      const offset = (tail[0]?.version ?? 1) - 1;
      if (tail[known.version - 1 - offset]?.globalPosition === known.last) {
        const start = known.version - offset;
        if (start >= tail.length) return known;
        const ledger = foldOnto(known, account, tail, accrue, start);
        ledger.last = tail[tail.length - 1]?.globalPosition;
        ledgers.set(account, ledger);
        return ledger;
      }
    }
    const events = await store.read(stream);
    const ledger = fold(account, events, accrue);
    ledger.last = events[events.length - 1]?.globalPosition;
    ledgers.set(account, ledger);
    if (ledger.version > 0 || !open) return ledger;
    try {
      await store.append(stream, 0, [{ type: 'SimAccountOpened', data: { cash: settings.startingCash } }]);
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
    return current(account);
  }

  /** The account's ledger, the account opened on first sight. */
  const load = (account: string): Promise<Ledger> => current(account, true);

  // Changes to one account from this process go one at a time (six orders sent at once need no retries);
  // a write from another process is still met by the expected-version append and a re-decision.
  const queues = new Map<string, Promise<unknown>>();

  function change(account: string, decide: (ledger: Ledger) => NewEvent[]): Promise<Ledger> {
    const run = (queues.get(account) ?? Promise.resolve()).then(() => changeNow(account, decide));
    queues.set(
      account,
      run.catch(() => undefined),
    );
    return run;
  }

  /** Appends with the ledger's version, re-deciding on a concurrent write. */
  async function changeNow(account: string, decide: (ledger: Ledger) => NewEvent[]): Promise<Ledger> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const ledger = await load(account);
      const events = decide(ledger);
      if (events.length === 0) return ledger;
      try {
        await store.append(streamOf(account), ledger.version, events);
        return current(account);
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
      }
    }
    throw new Error(`simulated account ${account} is too busy to change`);
  }

  /** The session whose open fills an order sent at `at`: today's if before 09:30 on a trading day, else the next. */
  function fillSession(at: Date): string {
    const date = nyDate(at);
    return calendar.isTradingDay(date) && nyTime(at) < '09:30' ? date : calendar.nextTradingDay(date);
  }

  /**
   * The book as it stood at `asOf`: a replay records a fill when it settles, possibly before the open
   * that priced it, so fills stamped after `asOf` are left out (a position exists only after its fill),
   * and the cash interest of sessions closed by then is added.
   */
  function asOfView(ledger: Ledger, asOf: Date): Pick<Ledger, 'cash' | 'positions'> & { undone: readonly string[] } {
    let undone: string[] | undefined;
    const wall = wallOf(asOf);
    let cash = ledger.cash;
    let positions = ledger.positions;
    let accruedTo = ledger.accruedTo;
    // Undo, newest first, the fills stamped after `asOf` (usually none, at most the day's).
    for (let i = ledger.fillCount - 1; i >= 0; i--) {
      const f = ledger.fills[i] as SimFill;
      if (f.at <= wall) break;
      if (positions === ledger.positions) positions = new Map(positions);
      if (f.positionBefore) positions.set(f.symbol, f.positionBefore);
      else positions.delete(f.symbol);
      cash = f.cashBefore;
      accruedTo = f.accruedBefore;
      undone ??= [];
      undone.push(f.clientOrderId);
    }
    if (accrue && accruedTo) {
      const today = nyDate(asOf);
      const closed = calendar.isTradingDay(today) && asOf >= nyDateTime(today, calendar.sessionClose(today)) ? addDays(today, 1) : today;
      cash += accrue(cash, accruedTo, closed);
    }
    return { cash, positions, undone: undone ?? NONE };
  }

  async function lastClose(symbol: string, asOf: Date): Promise<number | null> {
    return closeOf(await market.bars({ symbol, asOf, limit: 1 }));
  }

  async function viewOf(account: string, asOf: Date): Promise<AccountView> {
    const ledger = await load(account);
    const book = asOfView(ledger, asOf);
    const closes = new Map<string, number | null>();
    const unmarked = unmarkedOf(book.positions, closes);
    for (let i = 0; i < unmarked.length; i++) {
      const symbol = unmarked[i] as string;
      closes.set(symbol, closeOf(await market.bars({ symbol, asOf, limit: 1 })));
    }
    return viewFrom(account, ledger, book, closes);
  }

  /** The symbols held (a nonzero quantity) whose last close `closes` lacks, in the order a view lists them. */
  function unmarkedOf(positions: Ledger['positions'], closes: ReadonlyMap<string, number | null>): readonly string[] {
    let unmarked: string[] | undefined;
    const symbols = symbolsOf(positions);
    for (let i = 0; i < symbols.length; i++) {
      const symbol = symbols[i] as string;
      if (positions.get(symbol)?.qty !== 0 && !closes.has(symbol)) {
        unmarked ??= [];
        unmarked.push(symbol);
      }
    }
    return unmarked ?? NONE;
  }

  /**
   * The account's book as of an instant: `book`, its ledger as then (`asOfView`), marked to `closes`, the
   * last closes then of every symbol it holds. No await: the marks are asked for first, and shared by the
   * accounts of one settle.
   */
  function viewFrom(account: string, ledger: Ledger, book: ReturnType<typeof asOfView>, closes: ReadonlyMap<string, number | null>): AccountView {
    const positions: PositionView[] = [];
    let equity = book.cash / 100;
    let gross = 0;
    const symbols = symbolsOf(book.positions);
    for (let i = 0; i < symbols.length; i++) {
      const symbol = symbols[i] as string;
      const pos = book.positions.get(symbol) as { qty: number; cost: number };
      if (pos.qty === 0) continue;
      const price = closes.get(symbol) ?? null;
      const mark = price ?? pos.cost;
      equity += pos.qty * mark;
      const marketValue = Math.round(pos.qty * mark * 100) / 100;
      positions.push({
        symbol,
        qty: pos.qty,
        avgPrice: Math.round(pos.cost * 10_000) / 10_000,
        marketPrice: price,
        marketValue,
        unrealizedPl: Math.round((mark - pos.cost) * pos.qty * 100) / 100,
      });
      gross += Math.abs(marketValue);
    }
    return {
      account,
      broker: 'simulated',
      equity: Math.round(equity * 100) / 100,
      cash: book.cash / 100,
      buyingPower: Math.round(Math.max(0, equity * 2 - gross) * 100) / 100,
      positions,
      // As of the instant: an order whose fill is stamped later was still working then. A filled entry whose
      // protective legs rest is listed with them, as Alpaca lists it (nested legs under the parent).
      openOrders: openOrdersOf(ledger, book.undone),
    };
  }

  /** The orders working as of a view: the open ones, those whose fill is after it (`undone`), those whose legs are held or rest; each once, in that order. */
  function openOrdersOf(book: Ledger, undone: readonly string[]): BrokerOrder[] {
    const orders: BrokerOrder[] = [];
    if (undone.length === 0) {
      // Nothing undone: the ledger's own list, made once.
      const working = listsOf(book).working;
      for (let i = 0; i < working.length; i++) {
        const o = book.orders.get(working[i] as string);
        if (o !== undefined) orders.push(publicOrder(o));
      }
      return orders;
    }
    const late = new Set(undone);
    const ids = new Set(book.open);
    for (const id of undone) ids.add(id);
    for (const guarded of book.guarded.values()) for (const id of guarded) ids.add(id);
    for (const id of ids) {
      const o = book.orders.get(id);
      if (o === undefined) continue;
      orders.push(
        o.status === 'filled' && late.has(o.clientOrderId)
          ? { ...publicOrder(o), status: 'accepted' as const, filledQty: 0, avgFillPrice: null, fee: 0, filledAt: null }
          : publicOrder(o),
      );
    }
    return orders;
  }

  /**
   * Buying power enforced before any order: an order that adds exposure (beyond what the book, counting
   * its working orders as done, holds that way) needs that much buying power (2 × equity less gross
   * exposure, working orders counted); an order that reduces exposure never does.
   */
  async function buyingPowerRefusal(order: OrderRequest): Promise<string | null> {
    const view = await viewOf(order.account, order.at);
    const held = new Map<string, number>();
    for (const p of view.positions) held.set(p.symbol, p.qty);
    for (const o of view.openOrders) held.set(o.symbol, (held.get(o.symbol) ?? 0) + (o.side === 'buy' ? 1 : -1) * (o.qty - o.filledQty));
    const before = held.get(order.symbol) ?? 0;
    const after = before + (order.side === 'buy' ? order.qty : -order.qty);
    const added = Math.abs(after) - Math.abs(before);
    if (added <= 0) return null;
    const price = (await lastClose(order.symbol, order.at)) ?? view.positions.find((p) => p.symbol === order.symbol)?.marketPrice ?? null;
    if (price === null) return null;
    const marks = new Map(view.positions.map((p) => [p.symbol, Math.abs(p.marketValue / p.qty)]));
    let gross = 0;
    for (const [symbol, qty] of held) gross += Math.abs(qty) * (symbol === order.symbol ? price : (marks.get(symbol) ?? (await lastClose(symbol, order.at)) ?? 0));
    const power = Math.max(0, 2 * view.equity - gross);
    const need = added * price;
    if (need <= power + 0.005) return null;
    return `buying power: ${order.side} ${order.qty} ${order.symbol} adds ${need.toFixed(2)} of exposure, the account has ${power.toFixed(2)} of buying power (2 × equity ${view.equity.toFixed(2)} less gross ${gross.toFixed(2)}, working orders counted)`;
  }

  /**
   * How far each guarded order's legs are checked, by account and order id, for the legs resting from
   * `activeFrom` (in memory: a rebuilt broker checks again, with the same answer). Kept on one record per
   * order, changed in place, so a settle that finds nothing new allocates nothing.
   */
  interface LegsChecked {
    activeFrom: string;
    /** The next session whose bar is not yet known not to trigger the legs. */
    next: string;
    /** The session whose open was last checked (an open is known from 09:30 and never changes). */
    open: string | null;
  }
  const checked = new Map<string, Map<string, LegsChecked>>();

  /** The first session whose whole bar a leg resting from `activeFrom` (wall time) sees: from the open on. */
  const firstSession = (activeFrom: string) => {
    const day = activeFrom.slice(0, 10);
    return calendar.isTradingDay(day) && activeFrom.slice(11) <= '09:30' ? day : calendar.nextTradingDay(day);
  };

  /** The record of how far `id`'s legs resting from `activeFrom` are checked (a fresh one when they rest from a new time). */
  function checkedOf(account: string, id: string, activeFrom: string): LegsChecked {
    let byId = checked.get(account);
    if (byId === undefined) {
      byId = new Map();
      checked.set(account, byId);
    }
    let record = byId.get(id);
    if (record === undefined) {
      record = { activeFrom, next: firstSession(activeFrom), open: null };
      byId.set(id, record);
    } else if (record.activeFrom !== activeFrom) {
      record.activeFrom = activeFrom;
      record.next = firstSession(activeFrom);
      record.open = null;
    }
    return record;
  }

  /** What settling legs needs of an instant: its New York day, the last complete session, and whether today's open has happened since. */
  interface LegsClock {
    at: number;
    today: string;
    complete: string;
    opened: boolean;
  }
  let lastClock: LegsClock | undefined;

  /** The clock of `asOf`, the last one kept (the accounts of one settle share an instant). */
  function legsClock(asOf: Date): LegsClock {
    const at = asOf.getTime();
    if (lastClock?.at === at) return lastClock;
    const today = nyDate(asOf);
    const tradingToday = calendar.isTradingDay(today);
    const complete = tradingToday && nyTime(asOf) >= '16:00' ? today : calendar.previousTradingDay(today);
    lastClock = { at, today, complete, opened: tradingToday && nyTime(asOf) >= '09:30' && complete < today };
    return lastClock;
  }

  /**
   * Which leg a session triggers, and at what price: an open through a level fills there (a gap), else a
   * bar reaching the stop fills at the stop (assumed first when the bar also reaches the take-profit), else
   * a bar reaching the take-profit fills at its limit. `high`/`low` null: only the open is known yet.
   */
  function trigger(g: Guard, open: number, high: number | null, low: number | null): { leg: OrderLeg['kind']; price: number } | null {
    const long = g.side === 'sell';
    const through = (price: number, level: number) => (long ? price <= level : price >= level);
    const beyond = (price: number, level: number) => (long ? price >= level : price <= level);
    if (through(open, g.stopPrice)) return { leg: 'stop', price: open };
    if (g.takeProfitPrice !== null && beyond(open, g.takeProfitPrice)) return { leg: 'take_profit', price: open };
    if (high === null || low === null) return null;
    if (through(long ? low : high, g.stopPrice)) return { leg: 'stop', price: g.stopPrice };
    if (g.takeProfitPrice !== null && beyond(long ? high : low, g.takeProfitPrice)) return { leg: 'take_profit', price: g.takeProfitPrice };
    return null;
  }

  /**
   * Triggers the resting legs of `account` (of `only` one symbol) on the sessions known by `asOf`: each
   * complete bar since the leg rested, then today's open. A stop fills with slippage against the position;
   * a take-profit, a limit, at its price or the better open. At most the position it protects is closed.
   * Returns the orders whose legs changed and the ledger after. `ledger`: the account's ledger as the caller just
   * loaded it (settle), not read again; the append below decides again on the ledger as it is then, as it does
   * after the bars' reads.
   */
  async function settleLegs(account: string, asOf: Date, only?: string, ledger?: Ledger): Promise<{ changed: BrokerOrder[]; ledger: Ledger }> {
    const before = ledger ?? (await load(account));
    if (before.guarded.size === 0) return { changed: [], ledger: before };
    const { today, complete, opened } = legsClock(asOf);
    const guarded = listsOf(before).guarded;
    let events: NewEvent[] | undefined;
    for (let i = 0; i < guarded.length; i++) {
      const { symbol, id } = guarded[i] as { symbol: string; id: string };
      if (only !== undefined && symbol !== only) continue;
      const order = before.orders.get(id);
      const g = order?.guard;
      if (!order || !g?.activeFrom) continue; // held until the parent fills
      const record = checkedOf(account, id, g.activeFrom);
      const from = record.next;
      let hit: { leg: OrderLeg['kind']; price: number; at: string } | null = null;
      if (from <= complete) {
        const bars: Bar[] = await market.bars({ symbol, asOf, from, to: complete });
        let through: string | undefined;
        for (const bar of bars) {
          const t = trigger(g, bar.open, bar.high, bar.low);
          if (t) {
            hit = { ...t, at: `${bar.date}T${t.price === bar.open ? '09:30' : calendar.sessionClose(bar.date)}` };
            break;
          }
          through = bar.date;
        }
        if (through !== undefined) record.next = calendar.nextTradingDay(through);
      }
      if (!hit && opened && from <= today && record.open !== today) {
        record.open = today;
        let open: number | undefined;
        try {
          open = await market.sessionOpen(symbol, today, asOf);
        } catch (error) {
          if (!(error instanceof PointInTimeError)) throw error;
        }
        const t = open === undefined ? null : trigger(g, open, null, null);
        if (t) hit = { ...t, at: `${today}T09:30` };
      }
      if (!hit) continue;
      events ??= [];
      const held = before.positions.get(symbol)?.qty ?? 0;
      const protects = g.side === 'sell' ? held > 0 : held < 0;
      if (!protects) {
        events.push({
          type: 'SimLegsCanceled',
          data: { clientOrderId: id, at: asOf.toISOString(), reason: `no ${g.side === 'sell' ? 'long' : 'short'} ${symbol} position left to protect` },
        });
        continue;
      }
      const qty = Math.min(g.qty, Math.abs(held));
      const slip = hit.leg === 'stop' ? (settings.slippageBps / 10_000) * (g.side === 'buy' ? 1 : -1) : 0;
      const price = Math.round(hit.price * (1 + slip) * 10_000) / 10_000;
      events.push({ type: 'SimLegFilled', data: { clientOrderId: id, leg: hit.leg, price, qty, fee: feeCents(settings, qty) / 100, at: hit.at } });
    }
    if (events === undefined) return { changed: [], ledger: before };
    const decided = events;
    const ids = decided.map((e) => (e.data as { clientOrderId: string }).clientOrderId);
    // Decided again on the ledger as it is when appended: a leg canceled or filled meanwhile is left alone.
    const after = await change(account, (l) => decided.filter((e) => l.orders.get((e.data as { clientOrderId: string }).clientOrderId)?.guard?.activeFrom));
    return { changed: ids.flatMap((id) => (after.orders.has(id) ? [publicOrder(after.orders.get(id)!)] : [])), ledger: after };
  }

  /**
   * Fills at their session's open the account's working orders whose open has happened by `asOf`, then its
   * resting legs; answers the orders that changed and the ledger after.
   */
  /**
   * Whether settling `account` at `asOf` would find nothing to do on `ledger`: no working order whose
   * session has opened, and no resting legs with a complete session or an open not yet checked (the
   * conditions under which `settleAccount` and `settleLegs` ask the market). Asked first, so an account
   * with nothing new since its last settle (most accounts at most checkpoints) costs no async call.
   */
  function nothingToSettle(account: string, ledger: Ledger, asOf: Date): boolean {
    const working = ledger.open.size === 0 ? NONE : listsOf(ledger).open;
    for (let i = 0; i < working.length; i++) {
      const order = ledger.orders.get(working[i] as string);
      if (order?.status === 'accepted' && !(asOf < nyDateTime(order.session, '09:30'))) return false;
    }
    if (ledger.guarded.size === 0) return true;
    const { today, complete, opened } = legsClock(asOf);
    const guarded = listsOf(ledger).guarded;
    for (let i = 0; i < guarded.length; i++) {
      const { id } = guarded[i] as { id: string };
      const g = ledger.orders.get(id)?.guard;
      if (!g?.activeFrom) continue;
      const record = checkedOf(account, id, g.activeFrom);
      if (record.next <= complete || (opened && record.next <= today && record.open !== today)) return false;
    }
    return true;
  }

  async function settleAccount(account: string, asOf: Date, loaded?: Ledger): Promise<{ changed: readonly BrokerOrder[]; ledger: Ledger }> {
    const before = loaded ?? (await load(account));
    let fills: NewEvent[] | undefined;
    // Only the working orders (the ledger's index), in the order they were accepted; an order whose
    // session has not opened by asOf is skipped before asking (the port would throw PointInTimeError).
    const working = before.open.size === 0 ? NONE : listsOf(before).open;
    for (let i = 0; i < working.length; i++) {
      const order = before.orders.get(working[i] as string);
      if (order?.status !== 'accepted') continue;
      if (asOf < nyDateTime(order.session, '09:30')) continue; // the open has not happened yet
      let open: number | undefined;
      try {
        open = await market.sessionOpen(order.symbol, order.session, asOf);
      } catch (error) {
        if (error instanceof PointInTimeError) continue; // a clock the check above did not foresee
        throw error;
      }
      if (open === undefined) continue; // no data for that session yet
      const slip = (settings.slippageBps / 10_000) * (order.side === 'buy' ? 1 : -1);
      const price = Math.round(open * (1 + slip) * 10_000) / 10_000;
      const fee = feeCents(settings, order.qty) / 100;
      fills ??= [];
      fills.push({ type: 'SimOrderFilled', data: { clientOrderId: order.clientOrderId, price, qty: order.qty, fee, at: `${order.session}T09:30` } });
    }
    // Nothing filled and no legs held or resting (most accounts at most checkpoints): nothing changes.
    if (fills === undefined && before.guarded.size === 0) return { changed: NO_ORDERS, ledger: before };
    const changed: BrokerOrder[] = [];
    let after = before;
    if (fills !== undefined) {
      const decided = fills;
      const ids = new Set(decided.map((f) => (f.data as { clientOrderId: string }).clientOrderId));
      after = await change(account, (l) => decided.filter((f) => l.orders.get((f.data as { clientOrderId: string }).clientOrderId)?.status === 'accepted'));
      for (const id of ids) {
        const o = after.orders.get(id);
        if (o) changed.push(publicOrder(o));
      }
    }
    // No legs held or resting: nothing more to settle (and no async call to find that out).
    if (after.guarded.size === 0) return { changed, ledger: after };
    const legs = await settleLegs(account, asOf, undefined, after);
    for (const order of legs.changed) changed.push(order);
    return { changed, ledger: legs.ledger };
  }

  return {
    kind: 'simulated',

    async submit(order: OrderRequest): Promise<BrokerOrder> {
      if (!Number.isInteger(order.qty) || order.qty <= 0) throw new OrderRejectedError(`qty must be a positive whole number, got ${order.qty}`);
      const protectRefusal = order.protect ? legsRefusal(order.side === 'buy' ? 1 : -1, order.protect, await lastClose(order.symbol, order.at)) : null;
      if (protectRefusal) throw new OrderRejectedError(protectRefusal);
      const known = (await load(order.account)).orders.get(order.clientOrderId);
      if (known) return publicOrder(known);
      const refusal = await buyingPowerRefusal(order);
      if (refusal) throw new OrderRejectedError(refusal);
      const ledger = await change(order.account, (l) => {
        if (l.orders.has(order.clientOrderId)) return [];
        return [
          {
            type: 'SimOrderAccepted',
            data: {
              clientOrderId: order.clientOrderId,
              symbol: order.symbol,
              side: order.side,
              qty: order.qty,
              at: order.at.toISOString(),
              session: fillSession(order.at),
              ...(order.protect ? { protect: { stopPrice: order.protect.stopPrice, takeProfitPrice: order.protect.takeProfitPrice } } : {}),
            },
          },
        ];
      });
      return publicOrder(ledger.orders.get(order.clientOrderId)!);
    },

    async findByClientOrderId(account, clientOrderId) {
      const order = (await load(account)).orders.get(clientOrderId);
      return order ? publicOrder(order) : undefined;
    },

    async settle(accounts, asOf) {
      const changed: BrokerOrder[] = [];
      for (const account of accounts) {
        const before = await load(account);
        if (nothingToSettle(account, before, asOf)) continue;
        for (const order of (await settleAccount(account, asOf, before)).changed) changed.push(order);
      }
      return changed;
    },

    async settleAndView(accounts, asOf) {
      // Each book viewed from the ledger its settle ended with: one ledger read per account, not two.
      const changed: BrokerOrder[] = [];
      const books: AccountView[] = [];
      const closes = new Map<string, number | null>();
      for (const account of accounts) {
        const before = await load(account);
        const settled = nothingToSettle(account, before, asOf) ? { changed: NO_ORDERS, ledger: before } : await settleAccount(account, asOf, before);
        for (const order of settled.changed) changed.push(order);
        const book = asOfView(settled.ledger, asOf);
        const unmarked = unmarkedOf(book.positions, closes);
        for (let i = 0; i < unmarked.length; i++) {
          const symbol = unmarked[i] as string;
          closes.set(symbol, closeOf(await market.bars({ symbol, asOf, limit: 1 })));
        }
        books.push(viewFrom(account, settled.ledger, book, closes));
      }
      return { changed, books };
    },

    async cancelLegs(account, symbol, at) {
      // What happened to the legs up to now first: a leg that triggered is answered filled, not canceled.
      const triggered = (await settleLegs(account, at, symbol)).changed;
      const canceled: string[] = [];
      const ledger = await change(account, (l) => {
        canceled.length = 0;
        canceled.push(...(l.guarded.get(symbol) ?? []));
        return canceled.map((id) => ({ type: 'SimLegsCanceled', data: { clientOrderId: id, at: at.toISOString(), reason: 'canceled before an exit' } }));
      });
      return [...triggered, ...canceled.flatMap((id) => (ledger.orders.has(id) ? [publicOrder(ledger.orders.get(id)!)] : []))];
    },

    async replaceLegs(request) {
      const known = (await load(request.account)).orders.get(request.clientOrderId);
      if (known && known.symbol !== request.symbol) throw new OrderRejectedError(`order ${request.clientOrderId} is for ${known.symbol}, not ${request.symbol}`);
      if (!Number.isInteger(request.qty) || request.qty === 0) throw new OrderRejectedError(`qty must be a nonzero whole number, got ${request.qty}`);
      const refusal = legsRefusal(Math.sign(request.qty), request.legs, await lastClose(request.symbol, request.at));
      if (refusal) throw new OrderRejectedError(refusal);
      // Idempotent by client order id: legs at these prices this order carries, or carried (then filled or
      // canceled), are never placed again.
      const price = (o: SimOrder, kind: OrderLeg['kind']) => o.legs?.find((l) => l.kind === kind)?.price ?? null;
      const same = (o: SimOrder | undefined) => o?.legs !== undefined && price(o, 'stop') === request.legs.stopPrice && price(o, 'take_profit') === request.legs.takeProfitPrice;
      const ledger = await change(request.account, (l) =>
        same(l.orders.get(request.clientOrderId))
          ? []
          : [
              {
                type: 'SimLegsReplaced',
                data: {
                  clientOrderId: request.clientOrderId,
                  qty: request.qty,
                  stopPrice: request.legs.stopPrice,
                  takeProfitPrice: request.legs.takeProfitPrice,
                  at: wallOf(request.at),
                  ...(known ? {} : { symbol: request.symbol }),
                },
              },
            ],
      );
      return publicOrder(ledger.orders.get(request.clientOrderId)!);
    },

    account: viewOf,

    async cancelOrder(account, clientOrderId, at, reason) {
      const ledger = await change(account, (l) =>
        l.orders.get(clientOrderId)?.status === 'accepted' ? [{ type: 'SimOrderCanceled', data: { clientOrderId, at: at.toISOString(), reason } }] : [],
      );
      const order = ledger.orders.get(clientOrderId);
      return order ? publicOrder(order) : undefined;
    },

    async cancelOpenOrders(account, at) {
      // Counted from what this call appends: earlier halts' cancellations are not this halt's.
      let canceled = 0;
      await change(account, (l) => {
        const events = [...l.open]
          .map((id) => l.orders.get(id))
          .filter((o): o is SimOrder => o?.status === 'accepted')
          .map((o) => ({ type: 'SimOrderCanceled', data: { clientOrderId: o.clientOrderId, at: at.toISOString(), reason: 'halted' } }));
        canceled = events.length;
        return events;
      });
      return canceled;
    },
  };
}
