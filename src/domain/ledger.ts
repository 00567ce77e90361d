/**
 * The round-trip ledger: every fill of every account matched first in, first out per account and
 * symbol, money kept in integer cents. Trades, hit rate, average win and loss, profit factor,
 * expectancy and holding time all come from here, net of fees, and so do the exports (fills.csv,
 * trades.csv, equity.csv). No I/O: fills in, round trips and daily marks out.
 */

/** Dollars to integer cents (half away from zero). */
export const cents = (dollars: number): number => notionalCents(1, dollars);

/** qty × price in integer cents, half away from zero (a tiny nudge keeps binary noise off a half cent). */
export const notionalCents = (qty: number, price: number): number => {
  const v = Math.abs(qty * price * 100);
  return Math.sign(qty * price) * Math.round(v + v * 1e-12 + 1e-9);
};

export interface LedgerFill {
  /** New York wall time of the fill, YYYY-MM-DDTHH:MM. */
  time: string;
  account: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  price: number;
  /** Fee in dollars, as the broker charged it (a whole number of cents). */
  fee: number;
  clientOrderId: string;
  /** The order's recorded reason (an exit's says which rule closed it). */
  reason: string;
  /** The proposal the order belongs to. */
  proposalId: string;
}

export interface RoundTrip {
  account: string;
  symbol: string;
  direction: 'LONG' | 'SHORT';
  qty: number;
  entryTime: string;
  entryPrice: number;
  exitTime: string;
  exitPrice: number;
  /** Net of both sides' fees, in cents. */
  pnlCents: number;
  feesCents: number;
  /** invalidation | horizon | kill_switch | stop | take-profit (a protective leg at the broker) | trim | rebalance (a weekly proposal closed it). */
  exitReason: string;
  /** The entry's protective stop (its invalidation rule's level on this symbol, for entries planned before stops), when it has one. */
  stopPrice: number | null;
  entryProposalId: string;
}

/** Why a closing fill closed: an exit order's recorded reason (`exit (invalidation): …`), else the weekly rebalance. */
export function exitReasonOf(reason: string): string {
  const m = /^(exit|trim) \(([^)]+)\)/.exec(reason);
  if (!m) return 'rebalance';
  return m[1] === 'trim' ? 'trim' : (m[2] as string).replace(/ /g, '_');
}

/** A protective leg's fill: its client order id is its parent's with -sl (stop) or -tp (take-profit). */
export const isLegFill = (f: Pick<LedgerFill, 'clientOrderId'>): boolean => /-(sl|tp)$/.test(f.clientOrderId);

/**
 * Sorts fills by their own time; at the same instant closing orders (exits, trims) go first, so an exit
 * and the next week's entry filled at one open never blend lots, and a protective leg's fill goes last:
 * a stop the session opened through fills at the very open its own entry filled at, and closes that entry.
 */
export function sortFills(fills: readonly LedgerFill[]): LedgerFill[] {
  const rank = (f: LedgerFill) => (isLegFill(f) ? 2 : exitReasonOf(f.reason) === 'rebalance' ? 1 : 0);
  return fills
    .map((f, i) => ({ f, i }))
    .sort((a, b) => (a.f.time < b.f.time ? -1 : a.f.time > b.f.time ? 1 : rank(a.f) - rank(b.f) || a.i - b.i))
    .map((x) => x.f);
}

interface Lot {
  qty: number;
  price: number;
  time: string;
  feeCents: number;
  proposalId: string;
}

/**
 * FIFO round trips. `stopOf(proposalId, account, symbol)` names the entry's stop level when known.
 * Fees: an opening fill's fee rides on its lot and is shared out over the closes that consume it; a
 * closing fill's fee is shared over the lots it closes (largest share to the last, so cents add up).
 */
export function roundTrips(fills: readonly LedgerFill[], stopOf: (proposalId: string, account: string, symbol: string) => number | null = () => null): RoundTrip[] {
  const books = new Map<string, Lot[]>();
  const trips: RoundTrip[] = [];
  for (const f of sortFills(fills)) {
    const key = `${f.account}\u0000${f.symbol}`;
    const lots = books.get(key) ?? [];
    books.set(key, lots);
    const sign = f.side === 'buy' ? 1 : -1;
    let left = f.qty;
    let feeLeft = cents(f.fee);
    while (left > 0 && lots.length > 0 && Math.sign(lots[0]!.qty) === -sign) {
      const lot = lots[0]!;
      const n = Math.min(left, Math.abs(lot.qty));
      const entryFee = n === Math.abs(lot.qty) ? lot.feeCents : Math.round((lot.feeCents * n) / Math.abs(lot.qty));
      const exitFee = n === left ? feeLeft : Math.round((feeLeft * n) / left);
      const long = lot.qty > 0;
      const gross = long ? notionalCents(n, f.price) - notionalCents(n, lot.price) : notionalCents(n, lot.price) - notionalCents(n, f.price);
      trips.push({
        account: f.account,
        symbol: f.symbol,
        direction: long ? 'LONG' : 'SHORT',
        qty: n,
        entryTime: lot.time,
        entryPrice: lot.price,
        exitTime: f.time,
        exitPrice: f.price,
        pnlCents: gross - entryFee - exitFee,
        feesCents: entryFee + exitFee,
        exitReason: exitReasonOf(f.reason),
        stopPrice: stopOf(lot.proposalId, f.account, f.symbol),
        entryProposalId: lot.proposalId,
      });
      lot.feeCents -= entryFee;
      lot.qty += sign * n;
      feeLeft -= exitFee;
      left -= n;
      if (lot.qty === 0) lots.shift();
    }
    if (left > 0) lots.push({ qty: sign * left, price: f.price, time: f.time, feeCents: feeLeft, proposalId: f.proposalId });
  }
  return trips;
}

export interface TradeStats {
  trades: number;
  /** Winning round trips (net of fees) over all; null with none. */
  hitRate: number | null;
  averageWin: number | null;
  averageLoss: number | null;
  /** Gross wins over gross losses; null without a loss. */
  profitFactor: number | null;
  /** Mean P/L per round trip, dollars; null with none. */
  expectancy: number | null;
  /** Mean calendar days from entry to exit; null with none. */
  holdingDays: number | null;
  /** Net P/L of every round trip, dollars. */
  pnl: number;
}

const wallMs = (t: string) => Date.parse(`${t}:00Z`);

export function tradeStats(trips: readonly RoundTrip[]): TradeStats {
  const wins = trips.filter((t) => t.pnlCents > 0);
  const losses = trips.filter((t) => t.pnlCents < 0);
  const sum = (ts: readonly RoundTrip[]) => ts.reduce((s, t) => s + t.pnlCents, 0);
  const n = trips.length;
  return {
    trades: n,
    hitRate: n ? wins.length / n : null,
    averageWin: wins.length ? sum(wins) / wins.length / 100 : null,
    averageLoss: losses.length ? sum(losses) / losses.length / 100 : null,
    profitFactor: losses.length ? sum(wins) / -sum(losses) : null,
    expectancy: n ? sum(trips) / n / 100 : null,
    holdingDays: n ? trips.reduce((s, t) => s + (wallMs(t.exitTime) - wallMs(t.entryTime)), 0) / n / 86_400_000 : null,
    pnl: sum(trips) / 100,
  };
}

export interface Mark {
  date: string;
  equity: number;
  cash: number;
  /** Sum of |position value| at the close. */
  grossExposure: number;
  /** Symbols held that had no close that session, valued at their last earlier close (a gap in the bars). */
  stale?: string[];
}

/**
 * One account marked at each session's close: cash (in cents) moves with every fill of that session or
 * earlier, positions are valued at the session's close, or the last close known before it.
 * `dailyRate(date)` (optional) is the interest idle cash earns for the session ending that date.
 */
export function markAccount(
  startingCash: number,
  fills: readonly LedgerFill[],
  dates: readonly string[],
  closeOf: (symbol: string, date: string) => number | undefined,
  dailyRate?: (date: string) => number,
): Mark[] {
  const sorted = sortFills(fills);
  const positions = new Map<string, number>();
  const lastClose = new Map<string, number>();
  let cash = cents(startingCash);
  let next = 0;
  return dates.map((date, i) => {
    while (next < sorted.length && sorted[next]!.time.slice(0, 10) <= date) {
      const f = sorted[next++]!;
      const signed = f.side === 'buy' ? f.qty : -f.qty;
      cash -= notionalCents(signed, f.price) + cents(f.fee);
      positions.set(f.symbol, (positions.get(f.symbol) ?? 0) + signed);
      if (!lastClose.has(f.symbol)) lastClose.set(f.symbol, f.price);
    }
    // The session's interest on the cash held after its fills (at the open), as the simulated broker pays it.
    if (dailyRate && i > 0 && cash > 0) cash += Math.round(cash * dailyRate(date));
    let value = 0;
    let gross = 0;
    const stale: string[] = [];
    for (const [symbol, qty] of positions) {
      if (qty === 0) continue;
      const close = closeOf(symbol, date);
      if (close !== undefined) lastClose.set(symbol, close);
      else stale.push(symbol);
      const v = notionalCents(qty, lastClose.get(symbol) ?? 0);
      value += v;
      gross += Math.abs(v);
    }
    const mark: Mark = { date, equity: (cash + value) / 100, cash: cash / 100, grossExposure: gross / 100 };
    if (stale.length) mark.stale = stale.sort();
    return mark;
  });
}

/** CSV field: quoted when it holds a comma, a quote or a line break. */
export const csvField = (v: string | number | null): string => {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export const FILLS_COLUMNS = ['time', 'account', 'symbol', 'side', 'qty', 'price', 'fee', 'clientOrderId', 'reason'] as const;
export const TRADES_COLUMNS = ['account', 'symbol', 'direction', 'qty', 'entryTime', 'entryPrice', 'exitTime', 'exitPrice', 'pnl', 'fees', 'exitReason', 'stopPrice'] as const;
export const EQUITY_COLUMNS = ['date', 'account', 'equity', 'cash', 'grossExposure'] as const;

const money = (c: number) => (c / 100).toFixed(2);
const lines = (header: readonly string[], rows: (string | number | null)[][]) => `${[header.join(','), ...rows.map((r) => r.map(csvField).join(','))].join('\n')}\n`;

export function fillsCsv(fills: readonly LedgerFill[]): string {
  return lines(
    FILLS_COLUMNS,
    sortFills(fills).map((f) => [f.time, f.account, f.symbol, f.side, f.qty, f.price, money(cents(f.fee)), f.clientOrderId, f.reason]),
  );
}

export function tradesCsv(trips: readonly RoundTrip[]): string {
  return lines(
    TRADES_COLUMNS,
    trips.map((t) => [
      t.account,
      t.symbol,
      t.direction,
      t.qty,
      t.entryTime,
      t.entryPrice,
      t.exitTime,
      t.exitPrice,
      money(t.pnlCents),
      money(t.feesCents),
      t.exitReason,
      t.stopPrice,
    ]),
  );
}

export function equityCsv(curves: readonly { account: string; marks: readonly Mark[] }[]): string {
  const rows: (string | number)[][] = [];
  const dates = curves[0]?.marks.map((m) => m.date) ?? [];
  for (const [i, date] of dates.entries())
    for (const c of curves) {
      const m = c.marks[i]!;
      rows.push([date, c.account, m.equity.toFixed(2), m.cash.toFixed(2), m.grossExposure.toFixed(2)]);
    }
  return lines(EQUITY_COLUMNS, rows);
}
