/**
 * Backtest benchmarks (issue 21): the ten-year backtest and the longest one the bundled data allows,
 * each in process and through the CLI (`council backtest`, a fresh process, as a user runs it), and the
 * cost per week: the longest run's in-process time over the ten-year run's, against its weeks' ratio.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runBacktest } from '../src/backtest/engine.ts';
import { type Config, loadConfig } from '../src/config/config.ts';
import { createLogger } from '../src/logger.ts';
import { createCsvMarketData } from '../src/market/csv.ts';
import { compose } from '../src/compose.ts';

export interface BacktestBench {
  from: string;
  to: string;
  weeks: number;
  events: number;
  wallMs: number;
  eventsPerSecond: number;
  weeksPerSecond: number;
  underGoal: boolean;
}

const TEN_YEARS = { from: '2015-01-05', to: '2024-12-27' } as const;

const freshConfig = (): Config => loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-bt-')) });

export async function benchBacktest(from: string = TEN_YEARS.from, to: string = TEN_YEARS.to): Promise<BacktestBench> {
  const config = freshConfig();
  const started = performance.now();
  const result = await runBacktest({ compose, config, market: createCsvMarketData(config.marketDataDir), logger: createLogger('silent') }, { from, to });
  const wallMs = performance.now() - started;
  rmSync(config.dataDir, { recursive: true, force: true });
  return {
    from,
    to,
    weeks: result.weeks,
    events: result.events,
    wallMs: Math.round(wallMs),
    eventsPerSecond: Math.round(result.events / (wallMs / 1000)),
    weeksPerSecond: Math.round((result.weeks / (wallMs / 1000)) * 10) / 10,
    underGoal: wallMs < 10_000,
  };
}

/**
 * The longest span every symbol of the universe has bars for: from the latest first bar to the earliest
 * last bar (the backtest starts at the first week whose first session is inside it).
 */
export async function longestSpan(config: Config = freshConfig()): Promise<{ from: string; to: string }> {
  const market = createCsvMarketData(config.marketDataDir);
  const asOf = new Date('2100-01-01T00:00:00Z');
  let first = '';
  let last = '9999-12-31';
  for (const symbol of config.file.universe) {
    const bars = await market.bars({ symbol, asOf });
    const [head, tail] = [bars[0]?.date, bars[bars.length - 1]?.date];
    if (head === undefined || tail === undefined) throw new Error(`no bars for ${symbol}`);
    if (head > first) first = head;
    if (tail < last) last = tail;
  }
  return { from: first, to: last };
}

export interface BacktestCliBench {
  from: string;
  to: string;
  /** Wall time of `council backtest --from --to --out DIR` in a fresh process, report folder included. */
  wallMs: number;
  goalMs: number;
  underGoal: boolean;
}

const council = fileURLToPath(new URL('../bin/council.js', import.meta.url));

/** The CLI's wall time for one backtest, in a child process with its own data folder. */
export async function benchBacktestCli(from: string, to: string, goalMs: number): Promise<BacktestCliBench> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bt-cli-'));
  try {
    const started = performance.now();
    await promisify(execFile)(process.execPath, [council, 'backtest', '--from', from, '--to', to, '--out', join(dir, 'report')], {
      env: { ...process.env, COUNCIL_DATA_DIR: join(dir, 'data') },
      maxBuffer: 16 * 2 ** 20,
    });
    const wallMs = Math.round(performance.now() - started);
    return { from, to, wallMs, goalMs, underGoal: wallMs < goalMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface BacktestScaling {
  ten: BacktestBench;
  longest: BacktestBench;
  /** Longest over ten-year in-process time; flat cost per week makes it the weeks' ratio. */
  timeRatio: number;
  weeksRatio: number;
  underGoal: boolean;
}

/** Cost per week: the longest backtest's in-process time over the ten-year one's (goal <= 2.1 for 19.4 / 10 years). */
export async function benchBacktestScaling(ten?: BacktestBench): Promise<BacktestScaling> {
  const tenYears = ten ?? (await benchBacktest());
  const span = await longestSpan();
  const longest = await benchBacktest(span.from, span.to);
  const timeRatio = Math.round((longest.wallMs / tenYears.wallMs) * 100) / 100;
  return { ten: tenYears, longest, timeRatio, weeksRatio: Math.round((longest.weeks / tenYears.weeks) * 100) / 100, underGoal: timeRatio <= 2.1 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // `node bench/backtest.ts`: the backtest rows alone.
  const span = await longestSpan();
  const scaling = await benchBacktestScaling();
  const cliTen = await benchBacktestCli(TEN_YEARS.from, TEN_YEARS.to, 3_000);
  const cliLongest = await benchBacktestCli(span.from, span.to, 6_000);
  process.stdout.write(`${JSON.stringify({ scaling, cliTen, cliLongest }, null, 2)}\n`);
}
