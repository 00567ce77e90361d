/** Weekly market snapshots over 2015-2024 (moved here from test/market/snapshot.test.ts: timing is not a test). */
import { createNyseCalendar } from '../src/market/calendar.ts';
import { bundledBarsDir, createCsvMarketData } from '../src/market/csv.ts';
import { buildSnapshot } from '../src/market/snapshot.ts';
import { addDays, nyDateTime } from '../src/market/time.ts';

const UNIVERSE = ['SPY', 'QQQ', 'IWM', 'TLT', 'HYG', 'UUP', 'GLD', 'USO'];

export async function benchSnapshots(): Promise<{ snapshots: number; wallMs: number; perSnapshotMs: number; underBudget: boolean }> {
  const market = createCsvMarketData(bundledBarsDir(), { calendar: createNyseCalendar() });
  const started = performance.now();
  let snapshots = 0;
  for (let monday = '2015-01-05'; monday < '2025-01-01'; monday = addDays(monday, 7)) {
    await buildSnapshot(market, UNIVERSE, nyDateTime(monday, '08:00'));
    snapshots++;
  }
  const wallMs = performance.now() - started;
  return { snapshots, wallMs: Math.round(wallMs), perSnapshotMs: Math.round((wallMs / snapshots) * 100) / 100, underBudget: wallMs < 5_000 };
}
