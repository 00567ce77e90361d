/**
 * Limits at every mark (issue 15): with maxPositionPct = maxGrossPct = 1.0 through the 2020 crash, gross
 * exposure reached 119% of equity and stayed there. A checkpoint now trims a position that drifted past
 * its limit, recorded with the limit it restores, and the book comes back inside.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/backtest/engine.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import { TRIM_BAND } from '../../src/pipeline/checkpoint.ts';
import { BARS_DIR } from '../market/raw.ts';
import { compose } from '../../src/compose.ts';

describe('Risk limits at every mark', () => {
  it('When positions drift past maxPositionPct in 2020, Then a checkpoint trims them back with the limit in the order, and no close stays past the band for a second session', async () => {
    const base = loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'limits-')) });
    // Sized by weight: whole-equity positions drift past their limit (risk sizing holds far less).
    const config = { ...base, file: { ...base.file, risk: { ...base.file.risk, sizing: 'weight' as const, maxPositionPct: 1, maxGrossPct: 1 } } };
    const result = await runBacktest({ compose, config, market: createCsvMarketData(BARS_DIR), logger: createLogger('silent') }, { from: '2020-01-06', to: '2020-12-24' });
    const pm = result.postmortem;
    const trims = pm.ledger.fills.filter((f) => f.reason.startsWith('trim ('));
    expect(trims.length).toBeGreaterThan(0);
    expect(result.trims.maxPositionPct + result.trims.maxGrossPct).toBeGreaterThanOrEqual(new Set(trims.map((f) => f.clientOrderId)).size);
    for (const f of trims) expect(f.reason).toMatch(/^trim \((maxPositionPct|maxGrossPct)\): .* past max(PositionPct|GrossPct) 100\.0%/);
    // A close past the band is trimmed at the next session's open: never two closes in a row past it.
    for (const { account, marks } of pm.marks) {
      let over = 0;
      let worst = 0;
      for (const m of marks) {
        const ratio = m.grossExposure / m.equity;
        worst = Math.max(worst, ratio);
        over = ratio > 1 + TRIM_BAND + 0.005 ? over + 1 : 0;
        expect(over, `${account} ${m.date} gross ${ratio.toFixed(3)}`).toBeLessThanOrEqual(1);
      }
      expect(worst, account).toBeLessThan(1.19);
    }
  });
});
