/**
 * Turning a view into orders. The model never holds the keys: the universe, the direction/conviction
 * consistency and the risk limits are enforced here after every model output, and each clamp is
 * recorded in words on the order it changed.
 */
import type { Direction } from './schemas.ts';

export interface RiskLimits {
  maxPositionPct: number;
  maxGrossPct: number;
  allowShorts: boolean;
  minConviction: number;
}

export interface View {
  instrument: string;
  direction: Direction;
  conviction: number;
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
}

export interface SizingResult {
  account: string;
  targetSymbol: string;
  targetQty: number;
  clamps: string[];
  orders: PlannedOrder[];
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
  if (weight === 0 && conviction !== 0)
    clamps.push(`|conviction| ${Math.abs(conviction)} is below the minimum ${limits.minConviction}: no position`);
  if (!price || price <= 0) {
    clamps.push(`no price for ${view.instrument}: no position`);
    return { symbol: view.instrument, qty: 0, clamps };
  }
  const equity = Math.max(0, book.equity);
  const qty = Math.floor((equity * weight) / price);
  return { symbol: view.instrument, qty: sign * qty, clamps };
}

/**
 * Orders that move an account from its book to holding only the target: close everything else, then
 * adjust the target. Gross exposure after the orders is checked against maxGrossPct.
 */
export function planAccount(
  account: string,
  view: View,
  book: AccountBook,
  prices: Record<string, number>,
  universe: readonly string[],
  limits: RiskLimits,
): SizingResult {
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
  for (const [symbol, held] of Object.entries(book.positions).sort(([a], [b]) => a.localeCompare(b))) {
    if (symbol === sized.symbol || held === 0) continue;
    orders.push({ account, symbol, side: held > 0 ? 'sell' : 'buy', qty: Math.abs(held), reason: `close ${symbol}: not in this week's view`, clamps: [] });
  }
  const held = book.positions[sized.symbol] ?? 0;
  const delta = targetQty - held;
  if (delta !== 0) {
    const what = targetQty === 0 ? `close ${sized.symbol}` : `${held === 0 ? 'open' : 'resize'} ${view.direction} ${sized.symbol} at conviction ${view.conviction}`;
    orders.push({ account, symbol: sized.symbol, side: delta > 0 ? 'buy' : 'sell', qty: Math.abs(delta), reason: what, clamps });
  }
  return { account, targetSymbol: sized.symbol, targetQty, clamps, orders };
}

/** Client order ids derive from proposal and account (and symbol), so a retry can never duplicate an order. */
export const clientOrderId = (proposalId: string, account: string, symbol: string): string =>
  `tc-${proposalId}-${account}-${symbol}`.toLowerCase();

/** Exit proposals (a checkpoint closing a position) have ids starting `x-`, so their orders start `tc-x-`. */
export const EXIT_PREFIX = 'x-';
export const isExitOrder = (clientOrderId: string): boolean => clientOrderId.startsWith(`tc-${EXIT_PREFIX}`);
