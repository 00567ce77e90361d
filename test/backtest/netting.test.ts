/**
 * Orders netted per account and symbol within a session (issue 15), as a property of a real backtest:
 * recomputed from the exported fills.csv, no session has both a buy and a sell of one symbol in one
 * account. What was netted is recorded: on the approval (netted) and on each exit it canceled.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BacktestResult, runBacktest } from '../../src/backtest/engine.ts';
import { writeExports } from '../../src/app/exports.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import { BARS_DIR } from '../market/raw.ts';
import { compose } from '../../src/compose.ts';

describe('Netting in a two-year backtest (builtin seats, 2023-2024)', () => {
  let result: BacktestResult;
  let rows: { time: string; account: string; symbol: string; side: string; clientOrderId: string }[];
  beforeAll(async () => {
    const config = loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'bt-net-')) });
    result = await runBacktest({ compose, config, market: createCsvMarketData(BARS_DIR), logger: createLogger('silent') }, { from: '2023-01-02', to: '2024-12-27' });
    const dir = mkdtempSync(join(tmpdir(), 'bt-net-out-'));
    await writeExports(dir, result.postmortem);
    // The leading columns hold no commas or quotes (times, names, numbers, ids); only `reason` may.
    const [header, ...lines] = readFileSync(join(dir, 'fills.csv'), 'utf8').trim().split('\n');
    expect(header).toBe('time,account,symbol,side,qty,price,fee,clientOrderId,reason');
    rows = lines.map((line) => {
      const f = line.split(',');
      return { time: f[0]!, account: f[1]!, symbol: f[2]!, side: f[3]!, clientOrderId: f[7]! };
    });
  }, 300_000);

  it('When the fills of orders sent are grouped by account, symbol and session, Then none holds both a buy and a sell', () => {
    const sides = new Map<string, Set<string>>();
    // A protective leg (-sl, -tp) is no order sent that session: it rests at the broker and may stop out the day's entry.
    for (const r of rows.filter((r) => !/-(sl|tp)$/.test(r.clientOrderId))) {
      const key = `${r.account} ${r.symbol} ${r.time.slice(0, 10)}`;
      sides.set(key, (sides.get(key) ?? new Set()).add(r.side));
    }
    expect(rows.length).toBeGreaterThan(500);
    expect([...sides].filter(([, s]) => s.size > 1).map(([k]) => k)).toEqual([]);
  });

  it('When an exit and the next entry met at one open, Then the netting is counted, and every exit or trim ordered either filled or was netted', () => {
    const netted = result.netted.canceledOut + result.netted.folded;
    expect(netted).toBeGreaterThan(0);
    const ordered = Object.values(result.exits).reduce((s, n) => s + (n ?? 0), 0) + result.trims.maxPositionPct + result.trims.maxGrossPct;
    const filled = new Set(rows.filter((r) => r.clientOrderId.startsWith('tc-x-')).map((r) => r.clientOrderId)).size;
    // Only exits ordered at the very end (after the last open in range) may be neither.
    expect(filled + netted).toBeLessThanOrEqual(ordered);
    expect(ordered - filled - netted).toBeLessThanOrEqual(12);
  });
});
