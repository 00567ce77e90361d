/**
 * Exits and protective legs only ever close (issue 15, the ledger and point in time): replayed from the
 * exported fills.csv, no exit, trim or stop fill opens a position or flips one to the other side.
 *
 * The week of 2020-05-18: CHATGPT opens SHORT USO at Monday's open with a stop the day's high goes
 * through, and the 15:50 checkpoint orders the invalidation exit. When the approval settled the broker
 * to Monday's close, the stop filled on the whole day's bar before that checkpoint could know it, the
 * checkpoint still saw the short (the stop's fill stamped 16:00) and its exit bought 167 USO at
 * Tuesday's open: a long nobody decided, closed later as another "invalidation".
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeExports } from '../../src/app/exports.ts';
import { runBacktest } from '../../src/backtest/engine.ts';
import { compose } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import { BARS_DIR } from '../market/raw.ts';

interface FillRow {
  time: string;
  account: string;
  symbol: string;
  side: string;
  qty: number;
  clientOrderId: string;
  reason: string;
}

describe('Exits only close, in a backtest of May 2020 (builtin seats)', () => {
  let fills: FillRow[];
  beforeAll(async () => {
    const config = loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'bt-close-')) });
    const result = await runBacktest({ compose, config, market: createCsvMarketData(BARS_DIR), logger: createLogger('silent') }, { from: '2020-05-11', to: '2020-05-22' });
    const dir = mkdtempSync(join(tmpdir(), 'bt-close-out-'));
    await writeExports(dir, result.postmortem);
    const [header, ...lines] = readFileSync(join(dir, 'fills.csv'), 'utf8').trim().split('\n');
    expect(header).toBe('time,account,symbol,side,qty,price,fee,clientOrderId,reason');
    // The leading columns hold no commas (times, names, numbers, ids); `reason`, the last, may.
    fills = lines.map((line) => {
      const f = line.split(',');
      return { time: f[0]!, account: f[1]!, symbol: f[2]!, side: f[3]!, qty: Number(f[4]), clientOrderId: f[7]!, reason: f.slice(8).join(',') };
    });
  }, 300_000);

  it('When the fills are replayed in time order, Then no exit, trim or protective leg opens or flips a position', () => {
    const leg = (f: FillRow) => /-(sl|tp)$/.test(f.clientOrderId);
    const closing = (f: FillRow) => leg(f) || /^"?(exit|trim) \(/.test(f.reason);
    // At one instant: closing orders first, then entries, then legs (the order the ledger promises).
    const rank = (f: FillRow) => (leg(f) ? 2 : closing(f) ? 0 : 1);
    const sorted = fills.map((f, i) => ({ f, i })).sort((a, b) => a.f.time.localeCompare(b.f.time) || rank(a.f) - rank(b.f) || a.i - b.i);
    const held = new Map<string, number>();
    const wrong: string[] = [];
    for (const { f } of sorted) {
      const key = `${f.account} ${f.symbol}`;
      const before = held.get(key) ?? 0;
      const after = before + (f.side === 'buy' ? f.qty : -f.qty);
      held.set(key, after);
      if (closing(f) && (before === 0 || Math.sign(after) === -Math.sign(before) || Math.abs(after) > Math.abs(before)))
        wrong.push(`${f.time} ${key}: held ${before}, ${f.side} ${f.qty} (${f.reason})`);
    }
    expect(fills.filter(closing).length).toBeGreaterThan(5);
    expect(wrong).toEqual([]);
  });

  it('When CHATGPT shorts USO on 2020-05-18 and that checkpoint orders its exit, Then the exit closes the short once and nothing stays open', () => {
    const uso = fills.filter((f) => f.account === 'CHATGPT' && f.symbol === 'USO' && f.time >= '2020-05-18' && f.time < '2020-05-23');
    expect(uso[0]).toMatchObject({ time: '2020-05-18T09:30', side: 'sell' });
    const net = uso.reduce((s, f) => s + (f.side === 'buy' ? f.qty : -f.qty), 0);
    expect(net).toBe(0);
    expect(uso.filter((f) => f.side === 'buy')).toHaveLength(1);
  });
});
