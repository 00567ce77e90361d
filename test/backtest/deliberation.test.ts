/**
 * "Did deliberation add value?" honest about its sample (issue 15, items 6 and 9): below 10 weeks the
 * verdict is inconclusive in backtest.json as in report.md, however narrow the bootstrap interval. Five
 * weeks of January 2021 give an interval above zero (council minus median member +0.06% to +0.12% a
 * week), which backtest.json used to call "added" while the report said "too few to tell".
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backtestJson, runBacktest } from '../../src/backtest/engine.ts';
import { writeBacktestReport } from '../../src/backtest/report.ts';
import { compose } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/config.ts';
import { blockBootstrapMean, MIN_WEEKS } from '../../src/domain/metrics.ts';
import { createLogger } from '../../src/logger.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import { BARS_DIR } from '../market/raw.ts';

describe('The deliberation verdict', () => {
  it('When a backtest spans five weeks whose interval is above zero, Then backtest.json and report.md both say inconclusive', async () => {
    const config = loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'bt-delib-')) });
    const result = await runBacktest({ compose, config, market: createCsvMarketData(BARS_DIR), logger: createLogger('silent') }, { from: '2021-01-04', to: '2021-02-05' });
    const weekly = backtestJson(result).deliberation?.weekly;
    expect(weekly?.weeks).toBe(5);
    expect(weekly?.low).toBeGreaterThan(0);
    expect(weekly?.verdict).toBe('inconclusive');
    const dir = mkdtempSync(join(tmpdir(), 'bt-delib-out-'));
    await writeBacktestReport(dir, result);
    expect(JSON.parse(readFileSync(join(dir, 'backtest.json'), 'utf8')).deliberation.weekly.verdict).toBe('inconclusive');
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('Did deliberation add value? inconclusive: 5 weeks are too few to tell.');
  }, 120_000);

  it('When weekly differences drift clearly up, or sit around zero, Then the seeded block-bootstrap interval lies above zero, or spans it, the same on every call', () => {
    const up = Array.from({ length: 52 }, (_, i) => 0.001 + (i % 2 ? 0.0005 : -0.0005));
    const flat = Array.from({ length: 52 }, (_, i) => Math.sin(i * 1.7) * 0.002);
    const a = blockBootstrapMean(up, { block: 4, draws: 2000, seed: 15 });
    expect(a?.low).toBeGreaterThan(0);
    expect(a?.mean).toBeCloseTo(0.001, 12);
    const b = blockBootstrapMean(flat, { block: 4, draws: 2000, seed: 15 });
    expect(b?.low).toBeLessThan(0);
    expect(b?.high).toBeGreaterThan(0);
    expect(blockBootstrapMean(flat, { block: 4, draws: 2000, seed: 15 })).toEqual(b);
    expect(MIN_WEEKS).toBe(10);
  });
});
