/**
 * A fake Alpaca on loopback: the trading API (one paper account per key id), the market-data API and
 * the trading stream (`/stream`, the `trade_updates` websocket), speaking Alpaca's snake_case wire
 * format with money and quantities as strings. Tests script faults (status codes, hangs,
 * accepted-then-500), latency, fills and a price path (`setPrice`: a working stop or take-profit leg
 * crossed by it fills), drop stream connections, and read the request log to see what the real SDK sent
 * and in which order.
 *
 * Orders with protective legs (`order_class` oto, bracket, oco) keep their legs inside the parent:
 * `held` until the parent fills, then `new` until the price path fills one (its sibling is canceled)
 * or it is canceled. Lists answer parents only with `nested=true` (a filled parent is listed as open
 * while a leg works), legs as orders of their own without it, as Alpaca does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { createNyseCalendar } from '../../src/market/calendar.ts';
import { bundledBarsDir, parseBarsCsv } from '../../src/market/csv.ts';
import { nyDate, nyDateTime } from '../../src/market/time.ts';
import { readFileSync, readdirSync } from 'node:fs';
import type { Bar } from '../../src/market/port.ts';
import { join } from 'node:path';

export interface LoggedRequest {
  seq: number;
  /** `received` when the request arrived, `answered` when its response was written. */
  phase: 'received' | 'answered';
  method: string;
  path: string;
  query: Record<string, string>;
  keyId: string | null;
  body: Record<string, unknown> | null;
  status?: number;
  /** performance.now() when logged (for the bench; tests assert on order, not time). */
  t: number;
}

export interface FakeOrder {
  id: string;
  client_order_id: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  filled_qty: number;
  filled_avg_price: number | null;
  status: string;
  created_at: string;
  filled_at: string | null;
  time_in_force: string;
  type: string;
  order_class: '' | 'simple' | 'oto' | 'bracket' | 'oco';
  stop_price: number | null;
  limit_price: number | null;
  canceled_at: string | null;
  /** The protective legs (a leg's own `legs` is empty). */
  legs: FakeOrder[];
}

export interface FakeAccount {
  keyId: string;
  secret: string;
  cash: number;
  /** Long positive, short negative; average entry price. */
  positions: Map<string, { qty: number; avg: number }>;
  orders: FakeOrder[];
  /** What happens to an accepted order: stays open (market closed), fills at once, or fills half. */
  fillMode: 'hold' | 'fill' | 'partial';
}

/** One scripted answer for the next matching request. */
export interface Fault {
  method: string;
  path: string;
  keyId?: string;
  /** Answer with this status and Alpaca's error envelope. */
  status?: number;
  message?: string;
  /** Never answer (the client's timeout fires). */
  hang?: boolean;
  /** For POST /v2/orders: take the order before failing, so the failure is ambiguous. */
  accept?: boolean;
  /** Runs when the request arrives, before it is answered (a fill racing a cancel). */
  before?: () => void;
}

/** A news article as Alpaca's /v1beta1/news serves it (Benzinga's feed). */
export interface FakeNews {
  id: number;
  headline: string;
  author: string;
  created_at: string;
  updated_at: string;
  summary: string;
  content: string;
  url: string | null;
  images: { size: string; url: string }[];
  symbols: string[];
  source: string;
}

export interface FakeAlpaca {
  url: string;
  /** The articles GET /v1beta1/news serves (filtered by symbols, start, end; sorted; paged by page_token). */
  news: FakeNews[];
  /** A misbehaving server: GET /v1beta1/news serves articles published after `end` too. */
  newsIgnoresEnd: boolean;
  log: LoggedRequest[];
  accounts: Map<string, FakeAccount>;
  prices: Map<string, number>;
  shortable: Map<string, boolean>;
  clock: { now: () => Date; isOpen: boolean };
  /** Fixed delay before every answer (for the bench). */
  latencyMs: number;
  /** Holds POST /v2/orders answers until this many have arrived, so overlap shows in the log. */
  orderBarrier: number;
  /** Answers every POST /v2/orders held by orderBarrier now, and holds no more. */
  releaseOrders(): void;
  addAccount(keyId: string, secret: string, opts?: Partial<Pick<FakeAccount, 'cash' | 'fillMode'>>): FakeAccount;
  script(fault: Fault): void;
  /** Fills (part of) an open order, as the exchange would. */
  fill(keyId: string, clientOrderId: string, qty: number, price?: number): void;
  /**
   * The price path: sets `symbol`'s price and fills every working leg it crosses (a sell stop at or
   * under its stop, a buy stop at or over it, a take-profit limit at or through it) at that price,
   * canceling the leg's sibling, and posts each fill on the trade stream.
   */
  setPrice(symbol: string, price: number): void;
  /** The trade-stream connections now open and authenticated, by key id. */
  streams(keyId?: string): number;
  /** Every trade update sent on the stream (event and order id), in order. */
  streamed: { keyId: string; event: string; orderId: string; at: number }[];
  /** Closes every trade-stream connection (of one key id), as a network drop would. */
  dropStreams(keyId?: string): void;
  /** While false, trade updates are not sent (a gap the client must reconcile); they are not queued. */
  streaming: boolean;
  posts(path?: string): LoggedRequest[];
  close(): Promise<void>;
}

const money = (x: number) => x.toFixed(2);

function orderJson(o: FakeOrder, nested = true): Record<string, unknown> {
  return {
    id: o.id,
    client_order_id: o.client_order_id,
    created_at: o.created_at,
    updated_at: o.created_at,
    submitted_at: o.created_at,
    filled_at: o.filled_at,
    expired_at: null,
    canceled_at: o.canceled_at,
    failed_at: null,
    asset_id: `asset-${o.symbol}`,
    symbol: o.symbol,
    asset_class: 'us_equity',
    notional: null,
    qty: String(o.qty),
    filled_qty: String(o.filled_qty),
    filled_avg_price: o.filled_avg_price === null ? null : String(o.filled_avg_price),
    order_class: o.order_class,
    order_type: o.type,
    type: o.type,
    side: o.side,
    time_in_force: o.time_in_force,
    limit_price: o.limit_price === null ? null : String(o.limit_price),
    stop_price: o.stop_price === null ? null : String(o.stop_price),
    status: o.status,
    extended_hours: false,
    legs: nested && o.legs.length ? o.legs.map((leg) => orderJson(leg)) : null,
  };
}

const OPEN = new Set(['new', 'accepted', 'pending_new', 'partially_filled', 'held']);
const isLive = (o: FakeOrder) => OPEN.has(o.status) || o.legs.some((leg) => OPEN.has(leg.status));

export async function startFakeAlpaca(options: { barsDir?: string } = {}): Promise<FakeAlpaca> {
  const log: LoggedRequest[] = [];
  const accounts = new Map<string, FakeAccount>();
  const faults: Fault[] = [];
  const hanging = new Set<ServerResponse>();
  const heldOrders: (() => void)[] = [];
  let seq = 0;
  const calendar = createNyseCalendar();
  const barsDir = options.barsDir ?? bundledBarsDir();
  type StampedBar = Bar & { t: string; ms: number };
  const series = new Map<string, { bars: StampedBar[] }>();
  for (const name of readdirSync(barsDir).filter((n) => n.endsWith('.csv'))) {
    const file = join(barsDir, name);
    // A daily bar is stamped at midnight New York, as Alpaca does.
    const bars = parseBarsCsv(readFileSync(file, 'utf8'), file).bars.map((b) => {
      const at = nyDateTime(b.date, '00:00');
      return { ...b, t: at.toISOString().replace('.000Z', 'Z'), ms: at.getTime() };
    });
    series.set(name.slice(0, -4), { bars });
  }

  const fake: FakeAlpaca = {
    url: '',
    news: [],
    newsIgnoresEnd: false,
    log,
    accounts,
    prices: new Map(),
    shortable: new Map(),
    clock: { now: () => new Date(), isOpen: false },
    latencyMs: 0,
    orderBarrier: 0,
    streamed: [],
    streaming: true,
    setPrice(symbol, price) {
      fake.prices.set(symbol, price);
      for (const account of accounts.values()) for (const order of account.orders) triggerLegs(account, order, symbol, price);
    },
    streams(keyId) {
      return [...sockets.values()].filter((k) => k !== null && (keyId === undefined || k === keyId)).length;
    },
    dropStreams(keyId) {
      for (const [socket, k] of sockets) if (keyId === undefined || k === keyId) socket.terminate();
    },
    addAccount(keyId, secret, opts = {}) {
      const account: FakeAccount = { keyId, secret, cash: opts.cash ?? 100_000, positions: new Map(), orders: [], fillMode: opts.fillMode ?? 'hold' };
      accounts.set(keyId, account);
      return account;
    },
    script(fault) {
      faults.push(fault);
    },
    fill(keyId, clientOrderId, qty, price) {
      const account = accounts.get(keyId);
      const order = account?.orders.find((o) => o.client_order_id === clientOrderId);
      if (!account || !order) throw new Error(`fake: no order ${clientOrderId} for ${keyId}`);
      fillOrder(account, order, qty, price ?? priceOf(order.symbol));
    },
    releaseOrders() {
      fake.orderBarrier = 0;
      for (const release of heldOrders.splice(0)) release();
    },
    posts(path = '/v2/orders') {
      return log.filter((r) => r.phase === 'received' && r.method === 'POST' && r.path === path);
    },
    async close() {
      for (const socket of sockets.keys()) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const res of hanging) res.destroy();
      for (const release of heldOrders.splice(0)) release();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const priceOf = (symbol: string) => fake.prices.get(symbol) ?? 100;

  function fillOrder(account: FakeAccount, order: FakeOrder, qty: number, price: number) {
    const take = Math.min(qty, order.qty - order.filled_qty);
    if (take <= 0) return;
    const prevValue = (order.filled_avg_price ?? 0) * order.filled_qty;
    order.filled_qty += take;
    order.filled_avg_price = Math.round(((prevValue + take * price) / order.filled_qty) * 10_000) / 10_000;
    order.filled_at = fake.clock.now().toISOString();
    order.status = order.filled_qty >= order.qty ? 'filled' : 'partially_filled';
    const signed = order.side === 'buy' ? take : -take;
    account.cash -= signed * price;
    const pos = account.positions.get(order.symbol) ?? { qty: 0, avg: price };
    const qtyAfter = pos.qty + signed;
    const avg =
      qtyAfter === 0
        ? price
        : Math.sign(qtyAfter) !== Math.sign(pos.qty)
          ? price
          : Math.abs(qtyAfter) > Math.abs(pos.qty)
            ? (pos.avg * pos.qty + price * signed) / qtyAfter
            : pos.avg;
    if (qtyAfter === 0) account.positions.delete(order.symbol);
    else account.positions.set(order.symbol, { qty: qtyAfter, avg });
    // The legs start working once the whole entry has filled.
    // An oco's own fill (its take-profit) cancels its stop; a leg's fill cancels its sibling (and an oco's parent).
    if (order.status === 'filled') for (const leg of order.legs) if (leg.status === 'held') leg.status = 'new';
    if (order.status === 'filled' && order.order_class === 'oco') for (const leg of order.legs) if (OPEN.has(leg.status)) cancel(account, leg);
    const parent = account.orders.find((o) => o.legs.includes(order));
    if (parent)
      for (const sibling of parent.order_class === 'oco' ? [parent, ...parent.legs] : parent.legs) if (sibling !== order && OPEN.has(sibling.status)) cancel(account, sibling);
    post(account, order.status === 'filled' ? 'fill' : 'partial_fill', order, { price, qty: take });
  }

  function cancel(account: FakeAccount, order: FakeOrder) {
    order.status = 'canceled';
    order.canceled_at = fake.clock.now().toISOString();
    for (const leg of order.legs) if (OPEN.has(leg.status)) cancel(account, leg);
    post(account, 'canceled', order);
  }

  /** Fills the working legs of `order` (or the order itself, a standalone stop or an oco pair) that `price` crosses. */
  function triggerLegs(account: FakeAccount, order: FakeOrder, symbol: string, price: number) {
    if (order.symbol !== symbol) return;
    const working = [...(order.order_class === 'oco' || order.type === 'stop' ? [order] : []), ...order.legs].filter((o) => o.status === 'new' || o.status === 'accepted');
    for (const leg of working) {
      const crossed =
        leg.type === 'stop'
          ? leg.side === 'sell'
            ? price <= (leg.stop_price ?? 0)
            : price >= (leg.stop_price ?? Number.POSITIVE_INFINITY)
          : leg.side === 'sell'
            ? price >= (leg.limit_price ?? Number.POSITIVE_INFINITY)
            : price <= (leg.limit_price ?? 0);
      if (crossed && (leg.status === 'new' || leg.status === 'accepted')) fillOrder(account, leg, leg.qty, price);
    }
  }

  /** Posts one trade update to the account's authenticated stream connections. */
  function post(account: FakeAccount, event: string, order: FakeOrder, fill?: { price: number; qty: number }) {
    if (!fake.streaming) return;
    const at = fake.clock.now().toISOString();
    const data = {
      event,
      timestamp: at,
      order: orderJson(order),
      ...(fill ? { execution_id: randomUUID(), price: String(fill.price), qty: String(fill.qty), position_qty: String(account.positions.get(order.symbol)?.qty ?? 0) } : {}),
    };
    const frame = JSON.stringify({ stream: 'trade_updates', data });
    for (const [socket, keyId] of sockets) {
      if (keyId !== account.keyId) continue;
      socket.send(frame);
      fake.streamed.push({ keyId, event, orderId: order.id, at: performance.now() });
    }
  }

  function positionsJson(account: FakeAccount) {
    return [...account.positions].map(([symbol, p]) => {
      const price = priceOf(symbol);
      return {
        asset_id: `asset-${symbol}`,
        symbol,
        exchange: 'ARCA',
        asset_class: 'us_equity',
        qty: String(p.qty),
        qty_available: String(p.qty),
        avg_entry_price: String(p.avg),
        side: p.qty > 0 ? 'long' : 'short',
        market_value: money(p.qty * price),
        cost_basis: money(p.qty * p.avg),
        current_price: String(price),
        lastday_price: String(price),
        change_today: '0',
        unrealized_pl: money((price - p.avg) * p.qty),
        unrealized_plpc: String(p.avg ? (price - p.avg) / p.avg : 0),
        unrealized_intraday_pl: '0',
        unrealized_intraday_plpc: '0',
        asset_marginable: true,
      };
    });
  }

  function equityOf(account: FakeAccount) {
    let equity = account.cash;
    let gross = 0;
    for (const [symbol, p] of account.positions) {
      equity += p.qty * priceOf(symbol);
      gross += Math.abs(p.qty * priceOf(symbol));
    }
    return { equity, buyingPower: Math.max(0, equity * 2 - gross) };
  }

  type Reply = { status: number; body?: unknown };
  const error = (status: number, code: number, message: string): Reply => ({ status, body: { code, message } });

  function route(req: LoggedRequest, account: FakeAccount): Reply {
    const { method, path, query } = req;
    if (method === 'GET' && path === '/v2/account') {
      const { equity, buyingPower } = equityOf(account);
      return {
        status: 200,
        body: {
          id: `acct-${account.keyId}`,
          account_number: `PA${account.keyId}`,
          status: 'ACTIVE',
          currency: 'USD',
          cash: money(account.cash),
          buying_power: money(buyingPower),
          equity: money(equity),
          last_equity: money(equity),
          portfolio_value: money(equity),
          trading_blocked: false,
          pattern_day_trader: false,
          daytrade_count: 0,
        },
      };
    }
    const onePosition = path.match(/^\/v2\/positions\/([A-Z.]+)$/);
    if (method === 'GET' && onePosition) {
      const one = positionsJson(account).find((p) => p.symbol === onePosition[1]);
      return one ? { status: 200, body: one } : error(404, 40410000, 'position does not exist');
    }
    if (method === 'GET' && path === '/v2/positions') return { status: 200, body: positionsJson(account) };
    const asset = path.match(/^\/v2\/assets\/([A-Z.]+)$/);
    if (method === 'GET' && asset) {
      const symbol = asset[1] as string;
      const shortable = fake.shortable.get(symbol) ?? true;
      return {
        status: 200,
        body: {
          id: `asset-${symbol}`,
          class: 'us_equity',
          exchange: 'ARCA',
          symbol,
          name: symbol,
          status: 'active',
          tradable: true,
          marginable: true,
          shortable,
          easy_to_borrow: shortable,
          fractionable: true,
          attributes: [],
        },
      };
    }
    if (method === 'POST' && path === '/v2/orders') return submit(account, req.body ?? {});
    if (method === 'GET' && path === '/v2/orders:by_client_order_id') {
      // Legs are not nested here (Alpaca's nested view is a list and by-id option); a client asks by id for them.
      const order = account.orders.find((o) => o.client_order_id === query.client_order_id);
      return order ? { status: 200, body: orderJson(order, false) } : error(404, 40410000, 'order not found');
    }
    if (method === 'GET' && path === '/v2/orders') {
      const status = query.status ?? 'open';
      const nested = query.nested === 'true';
      const symbols = query.symbols ? query.symbols.split(',') : null;
      const all = nested ? account.orders : account.orders.flatMap((o) => [o, ...o.legs]);
      const orders = all
        .filter((o) => symbols === null || symbols.includes(o.symbol))
        .filter((o) => status === 'all' || (status === 'open') === (nested ? isLive(o) : OPEN.has(o.status)));
      return {
        status: 200,
        body: orders
          .slice(-Number(query.limit ?? 50))
          .reverse()
          .map((o) => orderJson(o, nested)),
      };
    }
    const byId = path.match(/^\/v2\/orders\/([\w-]+)$/);
    if (byId) {
      const order = account.orders.flatMap((o) => [o, ...o.legs]).find((o) => o.id === byId[1]);
      if (!order) return error(404, 40410000, 'order not found');
      if (method === 'GET') return { status: 200, body: orderJson(order, query.nested === 'true') };
      if (method === 'DELETE') {
        if (!OPEN.has(order.status)) return error(422, 42210000, `order is already in "${order.status}" state`);
        cancel(account, order);
        return { status: 204 };
      }
    }
    if (method === 'GET' && path === '/v2/clock') {
      const now = fake.clock.now();
      const today = nyDate(now);
      const next = calendar.isTradingDay(today) && now < nyDateTime(today, '09:30') ? today : calendar.nextTradingDay(today);
      return {
        status: 200,
        body: {
          timestamp: now.toISOString(),
          is_open: fake.clock.isOpen,
          next_open: nyDateTime(next, '09:30').toISOString(),
          next_close: nyDateTime(next, calendar.sessionClose(next)).toISOString(),
        },
      };
    }
    if (method === 'GET' && path === '/v2/calendar') {
      const days = calendar.tradingDays(query.start?.slice(0, 10) ?? '2024-01-01', query.end?.slice(0, 10) ?? '2024-12-31');
      return {
        status: 200,
        body: days.map((date) => ({ date, open: '09:30', close: calendar.sessionClose(date), session_open: '0400', session_close: '2000', settlement_date: date })),
      };
    }
    if (method === 'GET' && path === '/v2/stocks/bars') return bars(query);
    if (method === 'GET' && path === '/v1beta1/news') return news(query);
    if (method === 'GET' && path === '/v2/stocks/bars/latest') {
      const out: Record<string, unknown> = {};
      for (const symbol of (query.symbols ?? '').split(',')) {
        const s = series.get(symbol);
        const last = s?.bars[s.bars.length - 1];
        if (last) out[symbol] = wireBar(last);
      }
      return { status: 200, body: { bars: out } };
    }
    return error(404, 40410000, `fake alpaca: no route ${method} ${path}`);
  }

  const wireBar = (b: StampedBar) => ({
    t: b.t,
    o: b.open,
    h: b.high,
    l: b.low,
    c: b.close,
    v: b.volume,
    n: 1000,
    vw: (b.high + b.low + b.close) / 3,
  });

  function bars(query: Record<string, string>): Reply {
    if (query.timeframe !== '1Day') return error(422, 42210000, `fake alpaca: only 1Day bars, got ${query.timeframe}`);
    const symbols = (query.symbols ?? '').split(',').filter(Boolean);
    const start = query.start ? Date.parse(query.start) : 0;
    const end = query.end ? Date.parse(query.end) : 8.64e15;
    const limit = Number(query.limit ?? 1000);
    const desc = query.sort === 'desc';
    const offset = Number(query.page_token ?? 0);
    const out: Record<string, unknown[]> = {};
    let next: string | null = null;
    for (const symbol of symbols) {
      const s = series.get(symbol);
      if (!s) continue;
      let picked = s.bars.filter((b) => b.ms >= start && b.ms <= end);
      if (desc) picked = [...picked].reverse();
      const page = picked.slice(offset, offset + limit);
      if (offset + limit < picked.length) next = String(offset + limit);
      out[symbol] = page.map(wireBar);
    }
    return { status: 200, body: { bars: out, next_page_token: next, currency: 'USD' } };
  }

  /** Alpaca's news endpoint: any of `symbols`, created_at within [start, end], `sort` (desc by default), `limit` (10 by default, 50 at most). */
  function news(query: Record<string, string>): Reply {
    const symbols = (query.symbols ?? '').split(',').filter(Boolean);
    const limit = Number(query.limit ?? 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) return error(422, 42210000, 'limit must be between 1 and 50');
    const start = query.start ? Date.parse(query.start) : 0;
    const end = query.end && !fake.newsIgnoresEnd ? Date.parse(query.end) : 8.64e15;
    const offset = Number(query.page_token ?? 0);
    const picked = fake.news
      .filter((n) => symbols.length === 0 || n.symbols.some((s) => symbols.includes(s)))
      .filter((n) => Date.parse(n.created_at) >= start && Date.parse(n.created_at) <= end)
      .sort((a, b) => (query.sort === 'asc' ? 1 : -1) * (Date.parse(a.created_at) - Date.parse(b.created_at)) || a.id - b.id);
    const page = picked.slice(offset, offset + limit);
    return { status: 200, body: { news: page, next_page_token: offset + limit < picked.length ? String(offset + limit) : null } };
  }

  /** Alpaca's tick rule: whole cents at $1 and over, four decimals under. */
  const offTick = (price: number) => Math.abs(price * (price >= 1 ? 100 : 10_000) - Math.round(price * (price >= 1 ? 100 : 10_000))) > 1e-6;
  const priceField = (value: unknown): number | null => (value === undefined || value === null ? null : Number(value));

  function submit(account: FakeAccount, body: Record<string, unknown>): Reply {
    const clientOrderId = String(body.client_order_id ?? randomUUID());
    if (account.orders.some((o) => o.client_order_id === clientOrderId)) return error(422, 40010001, 'client_order_id must be unique');
    const qty = Number(body.qty);
    const symbol = String(body.symbol);
    const side = body.side === 'sell' ? 'sell' : 'buy';
    const exitSide = side === 'buy' ? 'sell' : 'buy';
    if (!Number.isInteger(qty) || qty <= 0) return error(422, 40010001, 'qty must be a positive integer');
    const orderClass = String(body.order_class ?? 'simple') as FakeOrder['order_class'];
    const type = String(body.type ?? 'market');
    const tif = String(body.time_in_force ?? 'day');
    const stopLoss = priceField((body.stop_loss as Record<string, unknown> | undefined)?.stop_price);
    const takeProfit = priceField((body.take_profit as Record<string, unknown> | undefined)?.limit_price);
    const stopPrice = priceField(body.stop_price);
    const limitPrice = priceField(body.limit_price);
    if (!['simple', '', 'oto', 'bracket', 'oco'].includes(orderClass)) return error(422, 40010001, `order_class ${orderClass} is not supported`);
    if (orderClass !== 'simple' && orderClass !== '' && tif !== 'day' && tif !== 'gtc') return error(422, 40010001, `time_in_force must be day or gtc for ${orderClass} orders`);
    if (orderClass === 'bracket' && (stopLoss === null || takeProfit === null)) return error(422, 40010001, 'bracket orders must have both take_profit and stop_loss');
    if (orderClass === 'oto' && (stopLoss === null) === (takeProfit === null)) return error(422, 40010001, 'oto orders must have either take_profit or stop_loss');
    if (orderClass === 'oco' && (stopLoss === null || takeProfit === null || type !== 'limit'))
      return error(422, 40010001, 'oco orders must be limit orders with take_profit and stop_loss');
    if (type === 'stop' && stopPrice === null) return error(422, 40010001, 'stop_price is required for stop orders');
    for (const price of [stopLoss, takeProfit, stopPrice, limitPrice])
      if (price !== null && (!(price > 0) || offTick(price))) return error(422, 40010001, 'sub-penny increment does not fulfill minimum pricing criteria');
    // Legs on the protective side of the price the entry will fill at (Alpaca's base price), where a
    // test set one (the fake's default price of 100 follows no market).
    const base = fake.prices.get(symbol) ?? Number.NaN;
    const up = side === 'buy' ? 1 : -1;
    if ((orderClass === 'oto' || orderClass === 'bracket') && stopLoss !== null && up * (base - stopLoss) < 0.01)
      return error(422, 40010001, `stop_loss.stop_price must be ${side === 'buy' ? '<=' : '>='} base_price ${side === 'buy' ? '-' : '+'} 0.01`);
    if ((orderClass === 'oto' || orderClass === 'bracket') && takeProfit !== null && up * (takeProfit - base) < 0.01)
      return error(422, 40010001, `take_profit.limit_price must be ${side === 'buy' ? '>=' : '<='} base_price ${side === 'buy' ? '+' : '-'} 0.01`);
    const held = account.positions.get(symbol)?.qty ?? 0;
    if (side === 'sell' && qty > Math.max(0, held) && fake.shortable.get(symbol) === false) return error(403, 40310000, `asset ${symbol} cannot be sold short`);
    const opening = side === 'buy' ? Math.max(0, qty - Math.max(0, -held)) : Math.max(0, qty - Math.max(0, held));
    if (opening * priceOf(symbol) > equityOf(account).buyingPower) return error(403, 40310000, 'insufficient buying power');
    const now = fake.clock.now().toISOString();
    const make = (o: Pick<FakeOrder, 'side' | 'type' | 'status'> & Partial<FakeOrder>): FakeOrder => ({
      id: randomUUID(),
      client_order_id: randomUUID(),
      symbol,
      qty,
      filled_qty: 0,
      filled_avg_price: null,
      created_at: now,
      filled_at: null,
      time_in_force: tif,
      order_class: orderClass,
      stop_price: null,
      limit_price: null,
      canceled_at: null,
      legs: [],
      ...o,
    });
    const legs: FakeOrder[] = [];
    const legStatus = orderClass === 'oco' ? 'new' : 'held';
    if (takeProfit !== null && orderClass !== 'oco') legs.push(make({ side: exitSide, type: 'limit', status: legStatus, limit_price: takeProfit }));
    if (stopLoss !== null) legs.push(make({ side: orderClass === 'oco' ? side : exitSide, type: 'stop', status: legStatus, stop_price: stopLoss }));
    const order = make({
      client_order_id: clientOrderId,
      side,
      type,
      status: type === 'market' ? 'accepted' : 'new',
      stop_price: stopPrice,
      limit_price: orderClass === 'oco' ? takeProfit : limitPrice,
      legs,
    });
    account.orders.push(order);
    if (type === 'market' && account.fillMode === 'fill') fillOrder(account, order, qty, priceOf(symbol));
    if (type === 'market' && account.fillMode === 'partial') fillOrder(account, order, Math.ceil(qty / 2), priceOf(symbol));
    return { status: 200, body: orderJson(order) };
  }

  function takeFault(req: LoggedRequest): Fault | undefined {
    const i = faults.findIndex((f) => f.method === req.method && f.path === req.path && (f.keyId === undefined || f.keyId === req.keyId));
    return i >= 0 ? faults.splice(i, 1)[0] : undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const keyId = (req.headers['apca-api-key-id'] as string | undefined) ?? null;
    const entry: LoggedRequest = {
      seq: ++seq,
      phase: 'received',
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: Object.fromEntries(url.searchParams),
      keyId,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
      t: performance.now(),
    };
    log.push(entry);
    const answer = (reply: Reply) => {
      log.push({ ...entry, seq: ++seq, phase: 'answered', status: reply.status, t: performance.now() });
      res.writeHead(reply.status, { 'content-type': 'application/json', 'x-request-id': `req-${entry.seq}` });
      res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
    };

    const account = keyId ? accounts.get(keyId) : undefined;
    const dataCall = entry.path.startsWith('/v2/stocks') || entry.path === '/v1beta1/news' || entry.path === '/v2/clock' || entry.path === '/v2/calendar';
    const authorised = account ? req.headers['apca-api-secret-key'] === account.secret : dataCall && keyId !== null && [...accounts.values()].some((a) => a.keyId === keyId);
    if (!authorised) return answer(error(401, 40110000, 'request is not authorized'));

    if (fake.latencyMs > 0) await new Promise((r) => setTimeout(r, fake.latencyMs));
    if (entry.method === 'POST' && entry.path === '/v2/orders' && fake.orderBarrier > 0) {
      const arrived = fake.posts().length;
      if (arrived < fake.orderBarrier) await new Promise<void>((resolve) => heldOrders.push(resolve));
      else for (const release of heldOrders.splice(0)) release();
    }
    const fault = takeFault(entry);
    fault?.before?.();
    if (fault?.hang) {
      if (fault.accept && account) route(entry, account);
      hanging.add(res);
      return;
    }
    if (fault?.status) {
      if (fault.accept && account) route(entry, account);
      return answer(error(fault.status, fault.status * 100_000, fault.message ?? 'internal server error'));
    }
    answer(account ? route(entry, account) : route(entry, [...accounts.values()][0] as FakeAccount));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 50000000, message: `fake alpaca crashed: ${(err as Error).message}` }));
    });
  });
  // The trading stream: authenticate, then listen to trade_updates, as Alpaca's JSON protocol goes.
  const sockets = new Map<WebSocket, string | null>();
  const wss = new WebSocketServer({ server, path: '/stream' });
  wss.on('connection', (socket) => {
    sockets.set(socket, null);
    let keyId: string | null = null;
    socket.on('close', () => sockets.delete(socket));
    socket.on('message', (raw) => {
      let frame: { action?: string; data?: Record<string, unknown> };
      try {
        frame = JSON.parse(String(raw)) as typeof frame;
      } catch {
        socket.send(JSON.stringify({ stream: 'authorization', data: { status: 'unauthorized', action: 'authenticate' } }));
        return;
      }
      if (frame.action === 'authenticate') {
        const account = accounts.get(String(frame.data?.key_id ?? ''));
        const ok = account !== undefined && account.secret === frame.data?.secret_key;
        socket.send(JSON.stringify({ stream: 'authorization', data: { status: ok ? 'authorized' : 'unauthorized', action: 'authenticate' } }));
        if (!ok) return socket.close();
        keyId = account.keyId;
      } else if (frame.action === 'listen' && keyId !== null) {
        const wanted = Array.isArray(frame.data?.streams) ? (frame.data.streams as unknown[]).map(String) : [];
        socket.send(JSON.stringify({ stream: 'listening', data: { streams: wanted.filter((w) => w === 'trade_updates') } }));
        if (wanted.includes('trade_updates')) sockets.set(socket, keyId);
      } else {
        socket.send(JSON.stringify({ stream: 'authorization', data: { status: 'unauthorized', action: frame.action ?? null } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
