/**
 * The backtest on the bundled bars: its JSON shape, its SPY figures against an independent
 * computation from the CSV, its report folder, and point in time (future bars change nothing).
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
const TO = '2024-03-28';
const config = loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'bt-')) });
const logger = createLogger('silent');
const backtest = (dir: string, from = FROM, to = TO) => runBacktest({ compose, config, market: createCsvMarketData(dir), logger }, { from, to });

/** A copy of the bundled bars with every row after `last` dropped. */
function truncatedBars(last: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bars-'));
  for (const name of readdirSync(BARS_DIR).filter((n) => n.endsWith('.csv'))) {
    const [header, ...rows] = readFileSync(join(BARS_DIR, name), 'utf8').trim().split('\n');
    writeFileSync(join(dir, name), `${[header, ...rows.filter((r) => r.slice(0, 10) <= last)].join('\n')}\n`);
  }
  copyFileSync(join(BARS_DIR, 'PROVENANCE.md'), join(dir, 'PROVENANCE.md'));
  return dir;
}

describe('Backtest', () => {
  let result: BacktestResult;
  beforeAll(async () => {
    result = await backtest(BARS_DIR);
  });

  it('When a quarter is backtested, Then the JSON has the INTERFACE.md keys for every account and the SPY benchmark', () => {
    const doc = backtestJson(result);
    expect(doc).toMatchObject({ from: FROM, to: TO, weeks: 13, benchmark: { symbol: 'SPY' } });
    expect(doc.accounts.map((a) => a.account).sort()).toEqual([...config.accounts].sort());
    for (const a of [...doc.accounts, doc.benchmark]) {
      expect(Object.keys(a)).toEqual(expect.arrayContaining(['totalReturn', 'sharpe', 'maxDrawdown']));
      expect(Number.isFinite(a.totalReturn)).toBe(true);
      expect(a.maxDrawdown).toBeGreaterThanOrEqual(0);
    }
    // Every week convened, every proposal was approved and filled: the council account traded.
    expect(result.postmortem.accounts.find((a) => a.role === 'council')?.trades.trades).toBeGreaterThan(0);
    expect(result.postmortem.weeks).toBe(13);
  });

  it("When the report's SPY buy-and-hold figures are recomputed from the CSV, whole shares, the broker's costs and the T-bill rate, Then they agree to 1e-6", () => {
    const spy = readRaw('SPY');
    const first = spy.findIndex((b) => b.date >= FROM);
    const bars = spy.slice(
      first - 1,
      spy.findIndex((b) => b.date > TO),
    );
    expect(bars[0]?.date).toBe('2023-12-29');
    expect(bars.at(-1)?.date).toBe('2024-03-28');
    // Whole shares at the base close plus 2 bp slippage, a fee of max($1, $0.005 a share): what the accounts pay.
    const price = Math.round(bars[0]!.close * 1.0002 * 10_000) / 10_000;
    const shares = Math.floor(100_000 / price);
    const left = 100_000 - Math.round(shares * price * 100) / 100 - Math.max(100, Math.round(0.5 * shares)) / 100;
    const equity = bars.map((b, i) => (i === 0 ? 100_000 : left + shares * b.close));
    // DTB3 read here on its own: the last value published before each session, / 100 / 252.
    const dtb3 = readFileSync(join(import.meta.dirname, '../../market-data/rates/DTB3.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const rfOn = (date: string) => Number(dtb3.filter(([d]) => d! < date).at(-1)![1]) / 100 / 252;
    const r = bars.slice(1).map((b, i) => equity[i + 1]! / equity[i]! - 1 - rfOn(b.date));
    const m = r.reduce((a, b) => a + b, 0) / r.length;
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / (r.length - 1));
    let peak = 0;
    let mdd = 0;
    for (const e of equity) {
      peak = Math.max(peak, e);
      mdd = Math.max(mdd, 1 - e / peak);
    }
    const { benchmark } = backtestJson(result);
    expect(Math.abs(benchmark.totalReturn - (equity.at(-1)! / 100_000 - 1))).toBeLessThan(1e-6);
    expect(Math.abs(benchmark.sharpe! - (m / sd) * Math.sqrt(252))).toBeLessThan(1e-6);
    expect(Math.abs(benchmark.maxDrawdown - mdd)).toBeLessThan(1e-6);
  });

  it('When bars after the last week are appended to the data, Then the backtest up to then is identical', async () => {
    const cut = await backtest(truncatedBars(TO));
    expect(backtestJson(cut)).toEqual(backtestJson(result));
    expect(cut.postmortem.curves).toEqual(result.postmortem.curves);
  });

  it('When the report is written, Then the folder holds markdown, JSON and two valid PNGs of chart size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    const files = await writeBacktestReport(dir, result);
    expect(JSON.parse(readFileSync(files.json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(backtestJson(result))));
    const md = readFileSync(files.markdown, 'utf8');
    expect(md).toContain('## Leaderboard');
    expect(md).toContain('Did deliberation add value?');
    expect(md).toContain('![Equity curves](equity.png)');
    expect(files.charts.map((p) => p.slice(dir.length + 1)).sort()).toEqual(['benchmarks.png', 'drawdown.png', 'equity.png']);
    for (const path of files.charts) {
      const png = readFileSync(path);
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1100, 600]);
      expect(png.length).toBeGreaterThan(20_000);
      expect(png.length).toBeLessThan(2_000_000);
    }
  });

  it('When the dates are wrong, Then a clear BacktestError names the option', async () => {
    await expect(backtest(BARS_DIR, '2024-13-01', TO)).rejects.toThrow('--from must be a date like 2015-01-05');
    await expect(backtest(BARS_DIR, TO, FROM)).rejects.toThrow(`--from ${TO} is after --to ${FROM}`);
    await expect(runBacktest({ compose, config, market: createCsvMarketData(BARS_DIR), logger }, { from: FROM, to: TO, seats: ['NOBODY'] })).rejects.toThrow('unknown seat NOBODY');
  });
});

describe('Backtest checkpoints', () => {
  const from = '2020-02-24';
  const to = '2020-04-24';
  const crash = (checkpointSlots: 'first-and-last' | 'all') => runBacktest({ compose, config, market: createCsvMarketData(BARS_DIR), logger }, { from, to, checkpointSlots });

  it('When the market breaks in March 2020, Then checkpoints close positions on their invalidation rules mid-week, and the report says how many', async () => {
    const result = await crash('first-and-last');
    expect(result.checkpoints).toBe(2 * 44); // 44 sessions from 24 Feb to 24 Apr 2020, before the open and at 15:50
    expect(result.exits.invalidation ?? 0).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    const md = readFileSync((await writeBacktestReport(dir, result)).markdown, 'utf8');
    expect(md).toMatch(/88 checkpoints \(before each open and at each session's last slot\) closed positions .*\d+ on an invalidation rule/);
  });

  it('When stops rest at the broker through March 2020, Then positions close on their stops between checkpoints: trades.csv says stop, with the stop price, and the report counts them', async () => {
    const result = await crash('first-and-last');
    expect(result.legs.stop).toBeGreaterThan(0);
    const stopped = result.postmortem.ledger.trips.filter((t) => t.exitReason === 'stop');
    expect(stopped.length).toBeGreaterThan(0);
    for (const t of stopped) expect(t.stopPrice, `${t.account} ${t.symbol} ${t.exitTime}`).not.toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    const files = await writeBacktestReport(dir, result);
    expect(readFileSync(files.markdown, 'utf8')).toContain(
      `by their protective legs (daily bars: a stop fills at its price, or at the open through it; the stop assumed first when a bar reaches both): ${result.legs.stop} stops`,
    );
    const trades = readFileSync(join(dir, 'trades.csv'), 'utf8').trim().split('\n').slice(1);
    expect(trades.filter((line) => line.split(',')[10] === 'stop')).toHaveLength(stopped.length);
  });

  it('When every checkpoint slot runs instead of the first and last of each session, Then every account ends the same: on daily bars the middle slots add nothing', async () => {
    const [some, every] = await Promise.all([crash('first-and-last'), crash('all')]);
    expect(every.checkpoints).toBe(4 * 44);
    const { checkpoints: _a, events: _b, ...a } = backtestJson(some);
    const { checkpoints: _c, events: _d, ...b } = backtestJson(every);
    expect(b).toEqual(a);
  });
});
