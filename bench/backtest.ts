/** The ten-year backtest's wall time, events per second and weeks per second (goal: under 10 s on 2 cores). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBacktest } from '../src/backtest/engine.ts';
import { loadConfig } from '../src/config/config.ts';
import { createLogger } from '../src/logger.ts';
import { createCsvMarketData } from '../src/market/csv.ts';

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

export async function benchBacktest(from = '2015-01-05', to = '2024-12-27'): Promise<BacktestBench> {
  const config = loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-bt-')) });
  const started = performance.now();
  const result = await runBacktest({ config, market: createCsvMarketData(config.marketDataDir), logger: createLogger('silent') }, { from, to });
  const wallMs = performance.now() - started;
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
