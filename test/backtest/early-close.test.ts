/**
 * Backtest checkpoints only inside the session, early closes included (issue 15, item 2): the week of
 * Thanksgiving 2019 has no session on Thursday and closes at 13:00 on Friday, so, as the live scheduler
 * does, Friday runs only the 09:00 and 12:00 slots and never 14:00 or 15:50.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BacktestResult, runBacktest } from '../../src/backtest/engine.ts';
import { compose } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import { nyDate, nyTime } from '../../src/market/time.ts';
import type { EventStore } from '../../src/store/port.ts';
import { BARS_DIR } from '../market/raw.ts';

describe('Backtest checkpoints in the week of Thanksgiving 2019', () => {
  const evaluated: string[] = [];
  let result: BacktestResult;
  beforeAll(async () => {
    const config = loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'bt-early-')) });
    let store: EventStore | undefined;
    // The composition root as the CLI passes it, keeping a hand on the backtest's own store to read its events.
    const keepStore: typeof compose = (c, mode, parts) => {
      store = (parts as { store: EventStore }).store;
      return compose(c, mode, parts);
    };
    result = await runBacktest(
      { compose: keepStore, config, market: createCsvMarketData(BARS_DIR), logger: createLogger('silent') },
      { from: '2019-11-25', to: '2019-11-29', checkpointSlots: 'all' },
    );
    for (const e of await store!.readAll({ streamPrefix: 'checkpoint:', types: ['CheckpointEvaluated'] })) {
      const at = new Date((e.data as { at: string }).at);
      evaluated.push(`${nyDate(at)} ${nyTime(at)}`);
    }
  }, 120_000);

  it('When every slot runs, Then Friday the 13:00 close runs 09:00 and 12:00 only, Thursday nothing, the full sessions all four', () => {
    expect(evaluated.filter((t) => t.startsWith('2019-11-29'))).toEqual(['2019-11-29 09:00', '2019-11-29 12:00']);
    expect(evaluated.filter((t) => t.startsWith('2019-11-28'))).toEqual([]);
    for (const day of ['2019-11-25', '2019-11-26', '2019-11-27'])
      expect(evaluated.filter((t) => t.startsWith(day))).toEqual(['09:00', '12:00', '14:00', '15:50'].map((s) => `${day} ${s}`));
    expect(result.checkpoints).toBe(evaluated.length);
  });
});
