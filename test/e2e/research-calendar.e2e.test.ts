/** The council command on the bundled data, no keys: the research shows the real release dates of the week and says there is no news. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { council } from '../support/cli.ts';

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
