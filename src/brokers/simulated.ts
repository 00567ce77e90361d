/**
 * The simulated broker: accounts with cash, market orders filled at the next session's open with
 * slippage and fees, longs and shorts, equity marked to the last published close. Its state lives in
 * events (one stream per account), so it survives restarts and replays like everything else.
 */
import { cents, notionalCents } from '../domain/ledger.ts';
import type { MarketData } from '../market/port.ts';
import { PointInTimeError } from '../market/port.ts';
import type { TradingCalendar } from '../market/calendar.ts';
import { addDays, nyDate, nyDateTime, nyTime } from '../market/time.ts';
import type { EventStore, NewEvent, StoredEvent } from '../store/port.ts';
import { ConcurrencyError } from '../store/port.ts';
import { type AccountView, type BrokerAdapter, type BrokerOrder, type CancellingOne, type OrderRequest, OrderRejectedError, type PositionView, type Settling } from './port.ts';

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
  | { type: 'SimOrderAccepted'; data: { clientOrderId: string; symbol: string; side: 'buy' | 'sell'; qty: number; at: string; session: string } }
  | { type: 'SimOrderFilled'; data: { clientOrderId: string; price: number; qty: number; fee: number; at: string } }
  | { type: 'SimOrderCanceled'; data: { clientOrderId: string; at: string; reason: string } };

interface Ledger {
  version: number;
  /** The global position of the last event folded in (a cached ledger is checked against it). */
  last?: string;
  /** Cash in integer cents. */
  cash: number;
  positions: Map<string, { qty: number; cost: number }>;
  orders: Map<string, BrokerOrder & { session: string }>;
  /** Every fill in order (shared and append-only, like `orders`), for a view as of an earlier instant. */
  fills: SimFill[];
  /** How many of `fills` this ledger has folded (the shared log may hold newer ones). */
  fillCount: number;
  /** Orders still working (accepted or partly filled): a view lists them without scanning every order. */
  open: Set<string>;
  /** Cash interest is in `cash` for every session before this one (null: none earned yet). */
  accruedTo: string | null;
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

const streamOf = (account: string) => `sim:${account}`;

function fold(account: string, events: readonly { type: string; data: unknown }[], accrue?: Accrue): Ledger {
  return foldOnto({ version: 0, cash: 0, positions: new Map(), orders: new Map(), fills: [], fillCount: 0, open: new Set(), accruedTo: null }, account, events, accrue);
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
 * A new ledger: `base` with `events` (those after its version) applied. Cash and positions are copied;
 * the orders map is carried over and grows (an order that changes is replaced, never edited), so an
 * older ledger still held by a caller may see newer orders, never half-changed ones. Copying thousands
 * of orders on every change made a ten-year backtest quadratic.
 */
function foldOnto(base: Ledger, account: string, events: readonly { type: string; data: unknown }[], accrue?: Accrue): Ledger {
  const ledger: Ledger = {
    version: base.version + events.length,
    cash: base.cash,
    positions: new Map(base.positions),
    orders: base.orders,
    fills: base.fills,
    fillCount: base.fillCount,
    open: new Set(base.open),
    accruedTo: base.accruedTo,
  };
  for (const raw of events) {
    const e = raw as SimEvent;
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
        });
        ledger.open.add(e.data.clientOrderId);
        break;
      case 'SimOrderFilled': {
        const order = ledger.orders.get(e.data.clientOrderId);
        if (!order) break;
        const signed = order.side === 'buy' ? e.data.qty : -e.data.qty;
        // Interest up to the session before the fill's, on the cash held until then.
        const session = e.data.at.slice(0, 10);
        // A ledger folded again from an older base rewrites the log from its own count on.
        ledger.fills.length = ledger.fillCount;
        ledger.fills.push({
          at: e.data.at,
          clientOrderId: order.clientOrderId,
          symbol: order.symbol,
          cashBefore: ledger.cash,
          accruedBefore: ledger.accruedTo,
          positionBefore: ledger.positions.get(order.symbol),
        });
        ledger.fillCount++;
        if (accrue) {
          ledger.cash += accrue(ledger.cash, ledger.accruedTo, session);
          ledger.accruedTo = session;
        }
        // (the fill's own session earns on the cash left after it, at the next fill or view)
        ledger.cash = applyFill(ledger.cash, ledger.positions, order.symbol, signed, e.data.price, e.data.fee);
        const filledQty = order.filledQty + e.data.qty;
        ledger.orders.set(order.clientOrderId, {
          ...order,
          filledQty,
          avgFillPrice: e.data.price,
          fee: order.fee + e.data.fee,
          filledAt: e.data.at,
          status: filledQty >= order.qty ? 'filled' : 'partially_filled',
        });
        if (filledQty >= order.qty) ledger.open.delete(order.clientOrderId);
        break;
      }
      case 'SimOrderCanceled': {
        const order = ledger.orders.get(e.data.clientOrderId);
        if (order) ledger.orders.set(order.clientOrderId, { ...order, status: 'canceled', rejectReason: e.data.reason });
        ledger.open.delete(e.data.clientOrderId);
        break;
      }
    }
  }
  return ledger;
}

/** A New York wall time, the simulated broker's fill stamp: YYYY-MM-DDTHH:MM. */
const wallOf = (at: Date) => `${nyDate(at)}T${nyTime(at)}`;

const publicOrder = ({ session: _session, ...order }: BrokerOrder & { session: string }): BrokerOrder => ({ ...order });

/** The simulated broker's shape: the core, fills settled on demand, and one order canceled at a time. */
export interface SimulatedBroker extends BrokerAdapter, Settling, CancellingOne {}

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
   * The account's ledger as its stream stands. With a ledger folded before, only the events after its
   * last one are read (that one too, to check it is the same event) and folded onto it; reading the whole
   * stream on every look made a ten-year backtest copy ~70M events. A store may answer with more than
   * the tail asked for (the SQL store answers with the whole stream): events are placed by their version.
   * A stream that no longer holds the ledger's last event gets a fold from scratch.
   */
  async function current(account: string): Promise<Ledger> {
    const stream = streamOf(account);
    const known = ledgers.get(account);
    if (known !== undefined && known.version > 0) {
      const tail: readonly StoredEvent[] = await store.read(stream, { after: known.version - 1 });
      const offset = (tail[0]?.version ?? 1) - 1;
      if (tail[known.version - 1 - offset]?.globalPosition === known.last) {
        const fresh = tail.slice(known.version - offset);
        const ledger = fresh.length === 0 ? known : foldOnto(known, account, fresh, accrue);
        ledger.last = tail[tail.length - 1]?.globalPosition;
        ledgers.set(account, ledger);
        return ledger;
      }
    }
    const events = await store.read(stream);
    const ledger = fold(account, events, accrue);
    ledger.last = events[events.length - 1]?.globalPosition;
    ledgers.set(account, ledger);
    return ledger;
  }

  async function load(account: string): Promise<Ledger> {
    const ledger = await current(account);
    if (ledger.version > 0) return ledger;
    try {
      await store.append(streamOf(account), 0, [{ type: 'SimAccountOpened', data: { cash: settings.startingCash } }]);
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
    return current(account);
  }

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
  function asOfView(ledger: Ledger, asOf: Date): Pick<Ledger, 'cash' | 'positions'> & { undone: string[] } {
    const undone: string[] = [];
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
      undone.push(f.clientOrderId);
    }
    if (accrue && accruedTo) {
      const today = nyDate(asOf);
      const closed = calendar.isTradingDay(today) && asOf >= nyDateTime(today, calendar.sessionClose(today)) ? addDays(today, 1) : today;
      cash += accrue(cash, accruedTo, closed);
    }
    return { cash, positions, undone };
  }

  async function lastClose(symbol: string, asOf: Date): Promise<number | null> {
    const bars = await market.bars({ symbol, asOf, limit: 1 });
    return bars[0]?.close ?? null;
  }

  async function viewOf(account: string, asOf: Date): Promise<AccountView> {
    const book = await load(account);
    const ledger = asOfView(book, asOf);
    const positions: PositionView[] = [];
    let equity = ledger.cash / 100;
    for (const [symbol, pos] of [...ledger.positions.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (pos.qty === 0) continue;
      const price = await lastClose(symbol, asOf);
      const mark = price ?? pos.cost;
      equity += pos.qty * mark;
      positions.push({
        symbol,
        qty: pos.qty,
        avgPrice: Math.round(pos.cost * 10_000) / 10_000,
        marketPrice: price,
        marketValue: Math.round(pos.qty * mark * 100) / 100,
        unrealizedPl: Math.round((mark - pos.cost) * pos.qty * 100) / 100,
      });
    }
    const gross = positions.reduce((s, p) => s + Math.abs(p.marketValue), 0);
    return {
      account,
      broker: 'simulated',
      equity: Math.round(equity * 100) / 100,
      cash: ledger.cash / 100,
      buyingPower: Math.round(Math.max(0, equity * 2 - gross) * 100) / 100,
      positions,
      // As of `asOf`: an order whose fill is stamped later was still working then.
      openOrders: [...new Set([...book.open, ...ledger.undone])]
        .map((id) => book.orders.get(id))
        .filter((o): o is BrokerOrder & { session: string } => o !== undefined)
        .map((o) => (o.status === 'filled' ? { ...publicOrder(o), status: 'accepted' as const, filledQty: 0, avgFillPrice: null, fee: 0, filledAt: null } : publicOrder(o))),
    };
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

  return {
    kind: 'simulated',

    async submit(order: OrderRequest): Promise<BrokerOrder> {
      if (!Number.isInteger(order.qty) || order.qty <= 0) throw new OrderRejectedError(`qty must be a positive whole number, got ${order.qty}`);
      const known = (await load(order.account)).orders.get(order.clientOrderId);
      if (known) return publicOrder(known);
      const refusal = await buyingPowerRefusal(order);
      if (refusal) throw new OrderRejectedError(refusal);
      const ledger = await change(order.account, (l) => {
        if (l.orders.has(order.clientOrderId)) return [];
        return [
          {
            type: 'SimOrderAccepted',
            data: { clientOrderId: order.clientOrderId, symbol: order.symbol, side: order.side, qty: order.qty, at: order.at.toISOString(), session: fillSession(order.at) },
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
        const fills: NewEvent[] = [];
        // Only the working orders (the ledger's index), in the order they were accepted; an order whose
        // session has not opened by asOf is skipped before asking (the port would throw PointInTimeError).
        for (const id of before.open) {
          const order = before.orders.get(id);
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
          fills.push({ type: 'SimOrderFilled', data: { clientOrderId: order.clientOrderId, price, qty: order.qty, fee, at: `${order.session}T09:30` } });
        }
        if (fills.length === 0) continue;
        const ids = new Set(fills.map((f) => (f.data as { clientOrderId: string }).clientOrderId));
        const after = await change(account, (l) => fills.filter((f) => l.orders.get((f.data as { clientOrderId: string }).clientOrderId)?.status === 'accepted'));
        for (const id of ids) {
          const o = after.orders.get(id);
          if (o) changed.push(publicOrder(o));
        }
      }
      return changed;
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
          .filter((o): o is BrokerOrder & { session: string } => o?.status === 'accepted')
          .map((o) => ({ type: 'SimOrderCanceled', data: { clientOrderId: o.clientOrderId, at: at.toISOString(), reason: 'halted' } }));
        canceled = events.length;
        return events;
      });
      return canceled;
    },
  };
}
