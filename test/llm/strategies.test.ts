/**
 * The builtin strategies never pitch a trade whose own invalidation already holds on the data they
 * decide on (issue 15: 74 positions opened and closed at the same open), checked over a year of real
 * weeks with a comparison written here; and a rule that holds is named by invalidationHolding.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/backtest/engine.ts';
import { loadConfig } from '../../src/config/config.ts';
import { invalidationHolding } from '../../src/domain/validate.ts';
import { createLogger } from '../../src/logger.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import type { WeekState } from '../../src/pipeline/week.ts';
import { BARS_DIR } from '../market/raw.ts';
import { compose } from '../../src/compose.ts';

describe('Builtin strategies and their invalidation rules', () => {
  it('When a year of weeks is convened, Then no pitch is made with an invalidation condition already true at decision time, and none is refused for it', async () => {
    const config = loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'strat-')) });
    const states: WeekState[] = [];
    await runBacktest(
      { compose, config, market: createCsvMarketData(BARS_DIR), logger: createLogger('silent'), onWeek: (s) => states.push(s) },
      { from: '2019-01-07', to: '2019-12-27' },
    );
    expect(states.length).toBe(51);
    let checked = 0;
    for (const s of states) {
      const snap = s.research!.snapshot;
      for (const p of s.pitches.values()) {
        expect(p.error ?? '').not.toContain('already holds');
        if (!p.pitch || p.pitch.direction === 'FLAT') continue;
        for (const c of p.pitch.invalidation.conditions) {
          const v = c.indicator === 'vix' ? snap.vix : (snap.symbols[c.symbol]?.[c.indicator] ?? null);
          if (v === null) continue;
          const holds = { '>': v > c.threshold, '>=': v >= c.threshold, '<': v < c.threshold, '<=': v <= c.threshold }[c.comparator];
          expect(holds, `${s.started!.week} ${p.seat} ${c.symbol} ${c.indicator} ${c.comparator} ${c.threshold} (now ${v})`).toBe(false);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('When a condition already holds, Then invalidationHolding names it with the value; an unknown value never counts', () => {
    const c = { symbol: 'SPY', indicator: 'close' as const, comparator: '>' as const, threshold: 400 };
    expect(invalidationHolding([c], () => 401.23456)).toEqual(['SPY close > 400 already holds (now 401.2346)']);
    expect(invalidationHolding([c], () => 399)).toEqual([]);
    expect(invalidationHolding([c], () => null)).toEqual([]);
  });
});
