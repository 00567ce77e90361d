/**
 * The exports, read back as a stranger would: fills.csv, trades.csv and equity.csv parsed here with
 * a parser of our own, round trips rebuilt here first in first out, and the report's figures
 * (hit rate, exit counts, exposure) recomputed from them without the code that wrote them.
 * Two runs of one backtest write byte-identical report.md and backtest.json.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BacktestResult, backtestJson, runBacktest } from '../../src/backtest/engine.ts';
import { writeBacktestReport } from '../../src/backtest/report.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import { BARS_DIR, readRaw } from '../market/raw.ts';
import { compose } from '../../src/compose.ts';

const FROM = '2024-01-02';
const TO = '2024-06-28';
const config = loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'bt-x-')) });
const backtest = () => runBacktest({ compose, config, market: createCsvMarketData(BARS_DIR), logger: createLogger('silent') }, { from: FROM, to: TO });

/** RFC 4180, enough for our files: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries((header as string[]).map((h, i) => [h, r[i] as string])));
}

const headerOf = (path: string) => readFileSync(path, 'utf8').split('\n')[0];

describe('Report exports', () => {
  let result: BacktestResult;
  let dir: string;
  let fills: Record<string, string>[];
  let trades: Record<string, string>[];
  let equity: Record<string, string>[];
  beforeAll(async () => {
    result = await backtest();
    dir = mkdtempSync(join(tmpdir(), 'exports-'));
    await writeBacktestReport(dir, result);
    fills = parseCsv(readFileSync(join(dir, 'fills.csv'), 'utf8'));
    trades = parseCsv(readFileSync(join(dir, 'trades.csv'), 'utf8'));
    equity = parseCsv(readFileSync(join(dir, 'equity.csv'), 'utf8'));
  });

  it('When a backtest report is written, Then fills.csv, trades.csv and equity.csv have the fixed columns', () => {
    expect(headerOf(join(dir, 'fills.csv'))).toBe('time,account,symbol,side,qty,price,fee,clientOrderId,reason');
    expect(headerOf(join(dir, 'trades.csv'))).toBe('account,symbol,direction,qty,entryTime,entryPrice,exitTime,exitPrice,pnl,fees,exitReason,stopPrice');
    expect(headerOf(join(dir, 'equity.csv'))).toBe('date,account,equity,cash,grossExposure');
    expect(fills.length).toBeGreaterThan(100);
    expect(trades.length).toBeGreaterThan(50);
    // One row per account per session close.
    expect(equity.length).toBe(result.postmortem.dates.length * config.accounts.length);
  });

  it('When the round trips are rebuilt first in first out from fills.csv, Then trades.csv holds the same trips, and the hit rate is the JSON one', () => {
    type Lot = { qty: number; price: number; time: string; fee: number };
    const books = new Map<string, Lot[]>();
    const mine: { account: string; symbol: string; qty: number; entryTime: string; exitTime: string; gross: number; reason: string }[] = [];
    // Fills at one instant: closing orders (exits) before new entries, protective legs (-sl, -tp) last, the order the ledger promises.
    const rank = (f: Record<string, string>) => (/-(sl|tp)$/.test(f.clientOrderId!) ? 2 : f.reason!.startsWith('exit') ? 0 : 1);
    const sorted = fills.map((f, i) => ({ f, i })).sort((a, b) => a.f.time!.localeCompare(b.f.time!) || rank(a.f) - rank(b.f) || a.i - b.i);
    for (const { f } of sorted) {
      const key = `${f.account}/${f.symbol}`;
      const lots = books.get(key) ?? [];
      books.set(key, lots);
      const sign = f.side === 'buy' ? 1 : -1;
      let left = Number(f.qty);
      while (left > 0 && lots.length && Math.sign(lots[0]!.qty) === -sign) {
        const lot = lots[0]!;
        const n = Math.min(left, Math.abs(lot.qty));
        const reason = /^exit \(([^)]+)\)/.exec(f.reason!)?.[1]?.replace(/ /g, '_') ?? 'rebalance';
        mine.push({
          account: f.account!,
          symbol: f.symbol!,
          qty: n,
          entryTime: lot.time,
          exitTime: f.time!,
          gross: n * (Number(f.price) - lot.price) * Math.sign(lot.qty),
          reason,
        });
        lot.qty += sign * n;
        left -= n;
        if (lot.qty === 0) lots.shift();
      }
      if (left > 0) lots.push({ qty: sign * left, price: Number(f.price), time: f.time!, fee: Number(f.fee) });
    }
    expect(mine.map((t) => [t.account, t.symbol, t.qty, t.entryTime, t.exitTime, t.reason])).toEqual(
      trades.map((t) => [t.account, t.symbol, Number(t.qty), t.entryTime, t.exitTime, t.exitReason]),
    );
    // pnl is gross minus fees, to the cent.
    for (const [i, t] of trades.entries()) expect(Math.abs(Number(t.pnl) - (mine[i]!.gross - Number(t.fees)))).toBeLessThanOrEqual(0.011);
    // Fees in trades.csv add up to the fees of the fills that were closed out (whole cents).
    for (const t of trades) expect(Number(t.fees)).toBe(Math.round(Number(t.fees) * 100) / 100);

    const doc = backtestJson(result);
    for (const a of doc.accounts) {
      const own = trades.filter((t) => t.account === a.account);
      expect(a.trades).toBe(own.length);
      expect(a.hitRate).toBeCloseTo(own.filter((t) => Number(t.pnl) > 0).length / own.length, 12);
    }
  });

  it('When exits are counted from fills.csv and trades.csv, Then they match the report, and no trip closes at the instant it opened', () => {
    const doc = backtestJson(result);
    const filled = (reason: string) => new Set(fills.filter((f) => f.reason!.startsWith(`exit (${reason})`)).map((f) => f.clientOrderId)).size;
    for (const reason of ['invalidation', 'horizon', 'kill_switch'] as const) {
      expect(filled(reason.replace('_', ' '))).toBe(doc.exitsFilled[reason] ?? 0);
      // An exit ordered at the last checkpoint fills after the period: ordered can only exceed filled by those.
      expect(doc.exits[reason] ?? 0).toBeGreaterThanOrEqual(filled(reason.replace('_', ' ')));
      expect(trades.filter((t) => t.exitReason === reason).length).toBeGreaterThanOrEqual(filled(reason.replace('_', ' ')));
    }
    // (a stop the entry's own open went through fills at that open: the one trip that may close as it opened)
    for (const t of trades) expect(t.exitReason === 'stop' ? t.entryTime! <= t.exitTime! : t.entryTime! < t.exitTime!, `${t.account} ${t.symbol} ${t.entryTime}`).toBe(true);
    // An order's fill is priced at the open of its own session: the time says 09:30 of that session; a
    // protective leg fills at the open through it, or at its level within the session, stamped at the close.
    for (const f of fills) expect(f.time!.slice(11), f.clientOrderId).toBe(/-(sl|tp)$/.test(f.clientOrderId!) && f.time!.slice(11) !== '09:30' ? '16:00' : '09:30');
  });

  it('When exposure is recomputed from fills.csv and the CSV closes, Then equity.csv and the JSON agree', () => {
    const closes = new Map<string, Map<string, number>>();
    const closeOf = (symbol: string, date: string) => {
      if (!closes.has(symbol)) closes.set(symbol, new Map(readRaw(symbol).map((b) => [b.date, b.close])));
      return closes.get(symbol)!.get(date)!;
    };
    const doc = backtestJson(result);
    for (const a of doc.accounts) {
      const rows = equity.filter((e) => e.account === a.account);
      const held = new Map<string, number>();
      let cash = 100_000;
      const own = fills.filter((f) => f.account === a.account);
      let next = 0;
      const ratios: number[] = [];
      for (const row of rows) {
        for (; next < own.length && own[next]!.time!.slice(0, 10) <= row.date!; next++) {
          const f = own[next]!;
          const signed = (f.side === 'buy' ? 1 : -1) * Number(f.qty);
          held.set(f.symbol!, (held.get(f.symbol!) ?? 0) + signed);
          // A broker books each fill's notional in whole cents (half a cent away from zero).
          const notional = signed * Number(f.price) * 100;
          cash -= (Math.sign(notional) * Math.round(Math.abs(notional) + 1e-6)) / 100 + Number(f.fee);
        }
        let gross = 0;
        let value = 0;
        for (const [symbol, q] of held) {
          gross += Math.abs(q * closeOf(symbol, row.date!));
          value += q * closeOf(symbol, row.date!);
        }
        expect(Math.abs(Number(row.grossExposure) - gross)).toBeLessThanOrEqual(0.02);
        expect(Math.abs(Number(row.cash) - cash)).toBeLessThanOrEqual(0.02);
        expect(Math.abs(Number(row.equity) - (cash + value))).toBeLessThanOrEqual(0.03);
        ratios.push(gross / (cash + value));
      }
      expect(a.exposure).toBeCloseTo(ratios.reduce((s, x) => s + x, 0) / ratios.length, 5);
    }
  });

  it('When the same backtest runs twice, Then report.md and backtest.json are byte-identical', async () => {
    const again = mkdtempSync(join(tmpdir(), 'exports-again-'));
    await writeBacktestReport(again, await backtest());
    // (fills.csv and trades.csv carry client order ids, which hold each run's own id; equity.csv does not.)
    for (const name of ['report.md', 'backtest.json', 'equity.csv']) expect(readFileSync(join(again, name), 'utf8'), name).toBe(readFileSync(join(dir, name), 'utf8'));
  });
});
