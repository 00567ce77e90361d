/**
 * Turning a view into orders. The model never holds the keys: the universe, the direction/conviction
 * consistency and the risk limits are enforced here after every model output, and each clamp is
 * recorded in words on the order it changed.
 *
 * Two sizing modes: `weight` holds a fraction of equity linear in |conviction| (up to maxPositionPct at
 * 2); `risk` holds as many shares as lose at most riskPerTradePct of equity x |conviction| / 2 at the
 * stop, then capped by the same limits. The loaded config defaults to `risk`; limits built without a
 * mode (older callers, tests) size by weight.
 */
import type { Direction } from './schemas.ts';

export type SizingMode = 'risk' | 'weight';

export interface RiskLimits {
  maxPositionPct: number;
  maxGrossPct: number;
  allowShorts: boolean;
  minConviction: number;
  /** How a view becomes shares; absent: `weight`. */
  sizing?: SizingMode;
  /** `risk` sizing: the loss at the stop at |conviction| 2, as a fraction of equity (default 0.01). */
  riskPerTradePct?: number;
  /** The furthest a stop may be from the last close, as a fraction of it (default 0.10). */
  maxStopPct?: number;
}

export const DEFAULT_RISK_PER_TRADE_PCT = 0.01;
export const DEFAULT_MAX_STOP_PCT = 0.1;

export interface View {
  instrument: string;
  direction: Direction;
  conviction: number;
  /** The position's protective stop, checked in code (stops.ts); null or absent: none. */
  stop?: number | null;
  takeProfit?: number | null;
}

/** The exits an order sends with it (the broker port's ProtectiveLegs). */
export interface OrderProtection {
  stopPrice: number;
  takeProfitPrice: number | null;
}

/** The loss at the stop of the position an order leaves, in dollars and as a fraction of equity. */
export interface OrderRisk {
  dollars: number;
  pctOfEquity: number;
}

export interface AccountBook {
  equity: number;
  /** Current signed share counts by symbol. */
  positions: Record<string, number>;
}

export interface PlannedOrder {
  account: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  /** Why the order exists ("open LONG 2.0", "close SPY: not in this week's view"). */
  reason: string;
  clamps: string[];
  /** An order that opens a position (or flips it) sends its stop and take-profit with it. */
  protect?: OrderProtection;
  /** An order that closes (or flips) a position cancels the position's resting legs before it is placed. */
  cancelLegs?: boolean;
  /** An order that resizes a position replaces the legs, once it filled, with one stop for the whole position (signed qty). */
  replaceLegs?: OrderProtection & { qty: number };
  /** The loss at the stop of the position after this order. */
  risk?: OrderRisk;
}

/** What an account should hold after a proposal executes: signed shares, negative for a short, 0 to close. */
export interface TargetPosition {
  account: string;
  symbol: string;
  qty: number;
  /** The price the target was sized at (the snapshot close), used at execution when the book has no mark. */
  price: number | null;
  /** The position's stop and take-profit (absent on proposals planned before stops). */
  stop?: number | null;
  takeProfit?: number | null;
}

export interface SizingResult {
  account: string;
  targetSymbol: string;
  targetQty: number;
  clamps: string[];
  orders: PlannedOrder[];
  /** Every symbol the account holds or is told to hold, with the quantity it holds afterwards. */
  targets: TargetPosition[];
}

/**
 * The fraction of equity a view may hold: 0 below minConviction, then linear in |conviction| up to
 * maxPositionPct at 2. Monotone by construction.
 */
export function targetWeight(conviction: number, limits: RiskLimits): number {
  const c = Math.min(2, Math.abs(conviction));
  if (c < limits.minConviction) return 0;
  return Math.min(limits.maxPositionPct, limits.maxGrossPct) * (c / 2);
}

/** The signed share count an account should hold for its view, and every clamp applied on the way. */
export function sizeView(
  view: View,
  book: AccountBook,
  price: number | undefined,
  universe: readonly string[],
  limits: RiskLimits,
): { symbol: string; qty: number; clamps: string[] } {
  const clamps: string[] = [];
  let conviction = view.conviction;
  if (!Number.isFinite(conviction)) {
    clamps.push(`conviction ${view.conviction} is not a number: treated as 0`);
    conviction = 0;
  }
  if (Math.abs(conviction) > 2) {
    clamps.push(`conviction ${conviction} clamped to ${Math.sign(conviction) * 2}`);
    conviction = Math.sign(conviction) * 2;
  }
  if (!universe.includes(view.instrument)) {
    clamps.push(`${view.instrument} is not in the universe (${universe.join(' ')}): no position`);
    return { symbol: view.instrument, qty: 0, clamps };
  }
  if (view.direction === 'FLAT') return { symbol: view.instrument, qty: 0, clamps };
  const sign = view.direction === 'LONG' ? 1 : -1;
  if (conviction !== 0 && Math.sign(conviction) !== sign) {
    clamps.push(`conviction ${conviction} contradicts ${view.direction}: sized on |conviction|`);
  }
  if (sign < 0 && !limits.allowShorts) {
    clamps.push('shorts are disabled by the risk limits: no position');
    return { symbol: view.instrument, qty: 0, clamps };
  }
  const weight = targetWeight(conviction, limits);
  if (weight === 0 && conviction !== 0) clamps.push(`|conviction| ${Math.abs(conviction)} is below the minimum ${limits.minConviction}: no position`);
  if (!price || price <= 0) {
    clamps.push(`no price for ${view.instrument}: no position`);
    return { symbol: view.instrument, qty: 0, clamps };
  }
  const equity = Math.max(0, book.equity);
  if ((limits.sizing ?? 'weight') === 'weight' || weight === 0) return { symbol: view.instrument, qty: sign * Math.floor((equity * weight) / price), clamps };
  const stop = view.stop ?? null;
  if (stop === null || !(sign * (price - stop) > 0)) {
    clamps.push(`no stop ${sign > 0 ? 'below' : 'above'} ${price} for ${view.instrument}: sized by weight`);
    return { symbol: view.instrument, qty: sign * Math.floor((equity * weight) / price), clamps };
  }
  const c = Math.min(2, Math.abs(conviction));
  const riskPct = limits.riskPerTradePct ?? DEFAULT_RISK_PER_TRADE_PCT;
  const budget = equity * riskPct * (c / 2);
  let qty = Math.floor(budget / Math.abs(price - stop));
  const cap = Math.floor((equity * Math.min(limits.maxPositionPct, limits.maxGrossPct)) / price);
  if (qty > cap) {
    clamps.push(`risk ${money(budget)} at the stop ${stop} would hold ${qty} shares; position capped at ${(limits.maxPositionPct * 100).toFixed(0)}% of equity: ${cap} shares`);
    qty = cap;
  }
  return { symbol: view.instrument, qty: sign * qty, clamps };
}

/** Dollars with thousands separators ($1,234.50), without toLocaleString (slow in a backtest's millions of clamps). */
const money = (x: number) => `$${x.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;

/** The loss at the stop of holding `qty` at `price`, against equity; undefined without a stop or a position. */
export function riskOf(qty: number, price: number | undefined, stop: number | null | undefined, equity: number): OrderRisk | undefined {
  if (qty === 0 || stop === null || stop === undefined || !price) return undefined;
  const dollars = Math.round(Math.abs(qty) * Math.abs(price - stop) * 100) / 100;
  return { dollars, pctOfEquity: equity > 0 ? Math.round((dollars / equity) * 10_000) / 10_000 : 0 };
}

/**
 * What an order does to the position's legs at the broker, going from `held` to `want` shares: an
 * opening sends the stop with it; a close cancels the resting legs first; a flip does both; a resize
 * keeps the legs and replaces them, once it filled, with one stop for the whole position.
 */
export function legPlan(
  held: number,
  want: number,
  stop: number | null | undefined,
  takeProfit: number | null | undefined,
): Pick<PlannedOrder, 'protect' | 'cancelLegs' | 'replaceLegs'> {
  const protection = stop === null || stop === undefined ? undefined : { stopPrice: stop, takeProfitPrice: takeProfit ?? null };
  if (want === held) return {};
  if (want === 0) return { cancelLegs: true };
  if (held === 0) return protection ? { protect: protection } : {};
  if (Math.sign(held) !== Math.sign(want)) return { cancelLegs: true, ...(protection ? { protect: protection } : {}) };
  return protection ? { replaceLegs: { ...protection, qty: want } } : {};
}

/**
 * Orders that move an account from its book to holding only the target: close everything else, then
 * adjust the target. Gross exposure after the orders is checked against maxGrossPct.
 */
export function planAccount(account: string, view: View, book: AccountBook, prices: Record<string, number>, universe: readonly string[], limits: RiskLimits): SizingResult {
  const sized = sizeView(view, book, prices[view.instrument], universe, limits);
  const clamps = [...sized.clamps];
  let targetQty = sized.qty;
  const price = prices[sized.symbol];
  if (price && book.equity > 0 && Math.abs(targetQty) * price > book.equity * limits.maxGrossPct) {
    const capped = Math.sign(targetQty) * Math.floor((book.equity * limits.maxGrossPct) / price);
    clamps.push(`gross exposure capped at ${(limits.maxGrossPct * 100).toFixed(0)}% of equity: ${targetQty} -> ${capped} shares`);
    targetQty = capped;
  }
  const orders: PlannedOrder[] = [];
  const targets: TargetPosition[] = [];
  for (const [symbol, held] of Object.entries(book.positions).sort(([a], [b]) => a.localeCompare(b))) {
    if (symbol === sized.symbol || held === 0) continue;
    orders.push({ account, symbol, side: held > 0 ? 'sell' : 'buy', qty: Math.abs(held), reason: `close ${symbol}: not in this week's view`, clamps: [], cancelLegs: true });
    targets.push({ account, symbol, qty: 0, price: prices[symbol] ?? null });
  }
  const stop = targetQty === 0 ? null : (view.stop ?? null);
  const takeProfit = targetQty === 0 ? null : (view.takeProfit ?? null);
  targets.push({ account, symbol: sized.symbol, qty: targetQty, price: price ?? null, ...(stop !== null ? { stop, takeProfit } : {}) });
  const held = book.positions[sized.symbol] ?? 0;
  const delta = targetQty - held;
  if (delta !== 0) {
    const what = targetQty === 0 ? `close ${sized.symbol}` : `${held === 0 ? 'open' : 'resize'} ${view.direction} ${sized.symbol} at conviction ${view.conviction}`;
    const risk = riskOf(targetQty, price, stop, book.equity);
    orders.push({
      account,
      symbol: sized.symbol,
      side: delta > 0 ? 'buy' : 'sell',
      qty: Math.abs(delta),
      reason: what,
      clamps,
      ...legPlan(held, targetQty, stop, takeProfit),
      ...(risk ? { risk } : {}),
    });
  }
  return { account, targetSymbol: sized.symbol, targetQty, clamps, orders, targets };
}

/** An account's book at the moment a proposal executes. */
export interface ExecutionBook {
  equity: number;
  buyingPower: number;
  /** Signed shares held, counting orders still working (they will fill). */
  positions: Record<string, number>;
  /** The broker's marks for the symbols held. */
  marks: Record<string, number>;
}

export interface TargetOrders {
  orders: PlannedOrder[];
  /** Why the targets can no longer be reached as shown; any refusal means nothing is placed. */
  refusals: string[];
}

const plural = (n: number, word: string) => `${n} ${word}${Math.abs(n) === 1 ? '' : 's'}`;

/**
 * The orders that take one account from its book *now* to the targets the approver saw, with the
 * universe, shorting, maxPositionPct, maxGrossPct and buying power applied again at today's equity
 * and prices. A target is never exceeded, only clamped down (recorded on its order); a target that can
 * no longer be held at all, or a position the targets never showed, is a refusal: the result would
 * not be what was approved. `shown` gives each order the reason and planning clamps it was shown with.
 */
export function ordersForTargets(
  account: string,
  targets: readonly TargetPosition[],
  book: ExecutionBook,
  universe: readonly string[],
  limits: RiskLimits,
  shown: readonly PlannedOrder[] = [],
  scope: 'book' | 'listed' = 'book',
): TargetOrders {
  const refusals: string[] = [];
  const listed = new Set(targets.map((t) => t.symbol));
  // A weekly proposal's targets are the whole book; an exit or a trim speaks only for the symbols it lists.
  if (scope === 'book')
    for (const [symbol, held] of Object.entries(book.positions).sort(([a], [b]) => a.localeCompare(b)))
      if (held !== 0 && !listed.has(symbol)) refusals.push(`${account} now holds ${held} ${symbol}, a position this proposal never showed`);
  const equity = Math.max(0, book.equity);
  // Closing and reducing free exposure and buying power for what the targets add.
  let gross = 0;
  let freed = 0;
  const sized: { target: TargetPosition; held: number; want: number; clamps: string[]; price: number | undefined }[] = [];
  for (const target of targets) {
    const held = book.positions[target.symbol] ?? 0;
    const price = book.marks[target.symbol] ?? target.price ?? undefined;
    sized.push({ target, held, want: target.qty, clamps: [], price });
    if (target.qty === 0 && held !== 0 && price) freed += Math.abs(held) * price;
  }
  let power = Math.max(0, book.buyingPower) + freed;
  for (const s of sized) {
    const { target } = s;
    if (target.qty === 0) continue;
    const what = `${account} can no longer hold ${target.qty} ${target.symbol}`;
    if (!universe.includes(target.symbol)) {
      refusals.push(`${what}: it is not in the universe (${universe.join(' ')})`);
      continue;
    }
    if (target.qty < 0 && !limits.allowShorts) {
      refusals.push(`${what}: shorts are disabled by the risk limits`);
      continue;
    }
    if (!s.price || s.price <= 0) {
      refusals.push(`${what}: no price for ${target.symbol}`);
      continue;
    }
    const sign = Math.sign(target.qty);
    const clampTo = (cap: number, why: string) => {
      const capped = Math.max(0, Math.floor(cap));
      if (Math.abs(s.want) <= capped) return;
      s.clamps.push(`${why}: ${s.want} -> ${sign * capped} shares`);
      s.want = sign * capped;
    };
    clampTo((equity * limits.maxPositionPct) / s.price, `position capped at ${(limits.maxPositionPct * 100).toFixed(0)}% of equity at execution`);
    clampTo((equity * limits.maxGrossPct - gross) / s.price, `gross exposure capped at ${(limits.maxGrossPct * 100).toFixed(0)}% of equity at execution`);
    // Only what adds exposure needs buying power: the part of the target beyond what is already held this way.
    const kept = Math.sign(s.held) === sign ? Math.min(Math.abs(s.held), Math.abs(s.want)) : 0;
    clampTo(kept + power / s.price, `buying power ${power.toFixed(2)} at execution`);
    power -= Math.max(0, Math.abs(s.want) - kept) * s.price;
    gross += Math.abs(s.want) * s.price;
    if (s.want === 0) refusals.push(`${what}: ${s.clamps.join('; ')}`);
  }
  const orders: PlannedOrder[] = [];
  for (const s of sized) {
    const delta = s.want - s.held;
    if (delta === 0) continue;
    const { symbol } = s.target;
    const was = shown.find((o) => o.symbol === symbol);
    const reason =
      was?.reason ?? (s.want === 0 ? `close ${symbol}` : `${s.held === 0 ? 'open' : 'resize'} ${s.want > 0 ? 'LONG' : 'SHORT'} ${symbol} to ${plural(s.want, 'share')}`);
    // The legs follow the book as it is now (the position may have opened, or been stopped out, since planning).
    const risk = riskOf(s.want, s.price, s.target.stop, equity);
    orders.push({
      account,
      symbol,
      side: delta > 0 ? 'buy' : 'sell',
      qty: Math.abs(delta),
      reason,
      clamps: [...(was?.clamps ?? []), ...s.clamps],
      ...legPlan(s.held, s.want, s.target.stop, s.target.takeProfit),
      ...(risk ? { risk } : {}),
    });
  }
  return { orders, refusals };
}

/** Client order ids derive from proposal and account (and symbol), so a retry can never duplicate an order. */
export const clientOrderId = (proposalId: string, account: string, symbol: string): string => `tc-${proposalId}-${account}-${symbol}`.toLowerCase();

/** Exit proposals (a checkpoint closing a position) have ids starting `x-`, so their orders start `tc-x-`. */
export const EXIT_PREFIX = 'x-';
export const isExitOrder = (clientOrderId: string): boolean => clientOrderId.startsWith(`tc-${EXIT_PREFIX}`);

/** An order still working at the broker (accepted, nothing filled yet). */
export interface WorkingOrder {
  account: string;
  clientOrderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
}

/** A working order folded into another (or into nothing, when the two cancel): canceled at the broker, recorded on both proposals. */
export interface NettedOrder extends WorkingOrder {
  /** The order it was folded into; null when the two cancelled out and nothing is placed for the symbol. */
  into: string | null;
}

const signedQty = (o: { side: 'buy' | 'sell'; qty: number }) => (o.side === 'buy' ? o.qty : -o.qty);

/**
 * One order per account and symbol for a session. Orders computed with working orders counted as done
 * (ordersForTargets) would trade against an unfilled checkpoint exit or trim at the same open: a sell
 * and a buy of one symbol, paying slippage and fees twice. Each such working order is folded in: it is
 * to be canceled, and the new order carries the sum of both (no order at all when they cancel). Only
 * working orders that nothing has filled of, and only exits and trims, are folded; an order of the
 * proposal itself never is.
 */
export function netWithWorking<O extends PlannedOrder & { clientOrderId: string }>(orders: readonly O[], working: readonly WorkingOrder[]): { orders: O[]; netted: NettedOrder[] } {
  const out: O[] = [];
  const netted: NettedOrder[] = [];
  for (const order of orders) {
    const against = working.filter((w) => w.account === order.account && w.symbol === order.symbol && isExitOrder(w.clientOrderId) && w.clientOrderId !== order.clientOrderId);
    if (against.length === 0) {
      out.push(order);
      continue;
    }
    const net = signedQty(order) + against.reduce((s, w) => s + signedQty(w), 0);
    const folded = against.map((w) => `${w.side} ${w.qty} (${w.clientOrderId})`).join(', ');
    for (const w of against) netted.push({ ...w, into: net === 0 ? null : order.clientOrderId });
    if (net === 0) continue;
    // An opening folded into an unfilled exit no longer opens the whole position: its legs would cover
    // only the net shares, so they are placed for the whole position once it filled instead.
    const { protect, ...rest } = order;
    const legs = protect && !order.cancelLegs ? { replaceLegs: { ...protect, qty: signedQty(order) } } : protect ? { protect } : {};
    out.push({
      ...(rest as O),
      ...legs,
      side: net > 0 ? 'buy' : 'sell',
      qty: Math.abs(net),
      // Said as the net trade first: a buy that carries an opening short's sell reads as what it does.
      reason: `${net > 0 ? 'buy' : 'sell'} ${Math.abs(net)} = ${order.side} ${order.qty} to ${order.reason}, netted with the working ${folded}: one order instead of ${against.length + 1}`,
    });
  }
  return { orders: out, netted };
}
