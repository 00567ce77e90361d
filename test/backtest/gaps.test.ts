/**
 * A gap in the bars (issue 15): a mid-week hole in one symbol's history used to abort the whole backtest
 * with no report. Now what the gap touches is skipped with the reason, and the backtest finishes.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/backtest/engine.ts';
import { writeBacktestReport } from '../../src/backtest/report.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import { BARS_DIR } from '../market/raw.ts';
import { compose } from '../../src/compose.ts';

/** The bundled bars with `symbol`'s rows from `from` to `to` removed. */
function barsWithGap(symbol: string, from: string, to: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gap-'));
  for (const name of readdirSync(BARS_DIR).filter((n) => n.endsWith('.csv'))) {
    const [header, ...rows] = readFileSync(join(BARS_DIR, name), 'utf8').trim().split('\n');
    const keep = symbol === '*' || name === `${symbol}.csv` ? rows.filter((r) => r.slice(0, 10) < from || r.slice(0, 10) > to) : rows;
    writeFileSync(join(dir, name), `${[header, ...keep].join('\n')}\n`);
  }
  copyFileSync(join(BARS_DIR, 'PROVENANCE.md'), join(dir, 'PROVENANCE.md'));
  return dir;
}

describe('Gaps in the bars', () => {
  it('When QQQ has no bars from a Wednesday to the Friday before a council, Then the backtest finishes and its report lists what was skipped and why', async () => {
    const config = loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'gap-data-')) });
    const result = await runBacktest(
      { compose, config, market: createCsvMarketData(barsWithGap('QQQ', '2024-02-07', '2024-02-09')), logger: createLogger('silent') },
      { from: '2024-01-02', to: '2024-03-28' },
    );
    expect(result.weeks).toBe(13);
    const dir = mkdtempSync(join(tmpdir(), 'gap-report-'));
    const md = readFileSync((await writeBacktestReport(dir, result)).markdown, 'utf8');
    // The week of 2024-02-12 decides on Friday 2024-02-09's closes, which QQQ lacks: that week is skipped.
    expect(result.skipped.find((s) => s.what === 'week')).toMatchObject({ at: '2024-02-12', reason: expect.stringContaining('QQQ') });
    expect(md).toContain('Skipped for gaps in the bars');
    expect(md).toContain('- week 2024-02-12: ');
    expect(result.postmortem.dates.at(-1)).toBe('2024-03-28');
    // A QQQ position held over the hole is valued at its last earlier close, and the report says so.
    const stale = result.postmortem.marks.flatMap((a) => a.marks.filter((m) => m.stale?.includes('QQQ')).map((m) => m.date));
    expect(stale.length).toBeGreaterThan(0);
    for (const d of stale) expect(['2024-02-07', '2024-02-08', '2024-02-09']).toContain(d);
    expect(md).toContain('Marked at an earlier close for want of that session');
  });
});
