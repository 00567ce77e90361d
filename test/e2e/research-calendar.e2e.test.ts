/**
 * The real release calendar on the bundled data: the council command shows the week's real release dates
 * and says there is no news; a backtest's weeks carry exactly the data's releases, read from the CSVs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/backtest/engine.ts';
import { compose } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logger.ts';
import { bundledBarsDir, createCsvMarketData } from '../../src/market/csv.ts';
import { bundledReleasesDir, RELEASE_NAMES, type ReleaseKind } from '../../src/market/releases.ts';
import { addDays } from '../../src/market/time.ts';
import type { WeekState } from '../../src/pipeline/week.ts';
import { council } from '../support/cli.ts';

/** Every release of the bundled CSVs dated in the seven days from `week`, as the calendar names it. */
function releasesOfWeek(week: string): { date: string; event: string }[] {
  const to = addDays(week, 6);
  return ['fomc.csv', 'cpi.csv', 'nfp.csv', 'gdp_advance.csv', 'pce.csv']
    .flatMap((file) => readFileSync(join(bundledReleasesDir(), file), 'utf8').trim().split('\n').slice(1))
    .map((line) => line.split(',') as [string, string, ReleaseKind])
    .filter(([date]) => date >= week && date <= to)
    .map(([date, time, kind]) => ({ date, event: `${RELEASE_NAMES[kind]} (${time} ET)` }))
    .sort((a, b) => a.date.localeCompare(b.date) || a.event.localeCompare(b.event));
}

const releaseEvents = (state: WeekState) =>
  (state.research?.pack.calendar ?? [])
    .filter((e) => Object.values(RELEASE_NAMES).some((name) => e.event.startsWith(name)))
    .map(({ date, event }) => ({ date, event }))
    .sort((a, b) => a.date.localeCompare(b.date) || a.event.localeCompare(b.event));

describe('council run on the bundled data', () => {
  it('When the week of 2024-03-18 is run, Then its research lists the real FOMC decision of 2024-03-20 and says plainly that no news source is configured', async () => {
    const run = await council(['run', '--week', '2024-03-18'], { COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-e2e-')) });
    expect(run.code, run.stderr).toBe(0);
    const research = run.stdout.slice(run.stdout.indexOf('── Research'), run.stdout.indexOf('── Pitches'));
    expect(research).toContain('Next 7 days:\n  2024-03-20  FOMC rate decision (14:00 ET)\n  2024-03-21  US weekly initial jobless claims (08:30 ET)\n');
    expect(research).toContain('News: No news source is configured (news needs Alpaca keys)');
    expect(research).toMatch(/Calendar: Real release dates \(market-data\/calendar\) for FOMC rate decision, US CPI, US employment report/);
  });
});

describe('the console on the bundled data', () => {
  it('When a trader types /council run for the week of 2024-03-11, Then the research shows that week’s real CPI release and no payrolls', async () => {
    const serve = await council(['serve'], { COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-e2e-console-')) }, '/council run --week 2024-03-11\n');
    expect(serve.code, serve.stderr).toBe(0);
    const research = serve.stdout.slice(serve.stdout.indexOf('── Research'), serve.stdout.indexOf('── Pitches'));
    expect(research).toContain(
      'Next 7 days:\n  2024-03-12  US CPI (08:30 ET)\n  2024-03-14  US weekly initial jobless claims (08:30 ET)\n  2024-03-15  Monthly options expiration (third Friday)\nConfidence notes:',
    );
    expect(research).toContain('News: No news source is configured');
  }, 120_000);
});

describe('a backtest on the bundled data', () => {
  it('When weeks of 2019 and 2024 are backtested, Then each week’s research calendar holds exactly the releases the data dates in its seven days', async () => {
    const config = loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-bt-cal-')) });
    const states: WeekState[] = [];
    const deps = { compose, config, market: createCsvMarketData(bundledBarsDir()), logger: createLogger('silent'), onWeek: (s: WeekState) => void states.push(s) };
    await runBacktest(deps, { from: '2019-10-28', to: '2019-11-15' });
    await runBacktest(deps, { from: '2024-03-04', to: '2024-03-22' });
    const weeks = states.map((s) => s.started!.week);
    expect(weeks).toEqual(['2019-10-28', '2019-11-04', '2019-11-11', '2024-03-04', '2024-03-11', '2024-03-18']);
    for (const state of states) expect(releaseEvents(state), state.started!.week).toEqual(releasesOfWeek(state.started!.week));
    // The week of 2019-10-28 had all five kinds of release in it.
    expect(releaseEvents(states[0]!).map((e) => e.event.split(' (')[0])).toEqual([
      'FOMC rate decision',
      'US GDP, advance estimate',
      'US personal income and outlays',
      'US employment report',
    ]);
  }, 120_000);
});
