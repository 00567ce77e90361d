/** Market snapshots: what the council may know at an instant, and nothing it may not. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledBarsDir, createCsvMarketData } from '../../src/market/csv.ts';
import { buildSnapshot, MissingSessionError } from '../../src/market/snapshot.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { readRaw } from './raw.ts';

const UNIVERSE = ['SPY', 'QQQ', 'IWM', 'TLT', 'HYG', 'UUP', 'GLD', 'USO'] as const;
const md = createCsvMarketData(bundledBarsDir());
const vixClose = (date: string) => readRaw('VIX').find((bar) => bar.date === date)?.close;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the bundled folder with every row dated after `last` removed. */
function truncatedCopy(last: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'council-bars-cut-'));
  dirs.push(dir);
  for (const name of readdirSync(bundledBarsDir()).filter((n) => n.endsWith('.csv'))) {
    const [header, ...rows] = readFileSync(join(bundledBarsDir(), name), 'utf8').trim().split('\n');
    writeFileSync(join(dir, name), [header, ...rows.filter((row) => row.slice(0, 10) <= last)].join('\n') + '\n');
  }
  return dir;
}

describe('Market snapshot', () => {
  const mondayMorning = new Date('2024-03-04T13:00:00Z');

  it("Given Monday 08:00 New York, Then the snapshot is as of Friday's close, with that day's VIX and a full set per symbol", async () => {
    const snapshot = await buildSnapshot(md, UNIVERSE, mondayMorning);
    expect(snapshot.asOf).toBe('2024-03-04T13:00:00.000Z');
    expect(snapshot.lastSession).toBe('2024-03-01');
    expect(snapshot.vix).toBe(vixClose('2024-03-01'));
    expect(Object.keys(snapshot.symbols)).toEqual([...UNIVERSE]);
    for (const set of Object.values(snapshot.symbols)) {
      expect(Object.values(set).every((v) => v !== null && Number.isFinite(v))).toBe(true);
    }
  });

  it('Given a snapshot asked for on demand (a checkpoint’s), Then each value read is the full snapshot’s, and a full set already known is given as it is', async () => {
    const fresh = createCsvMarketData(bundledBarsDir());
    const lazy = await buildSnapshot(fresh, ['SPY', 'USO'], mondayMorning, undefined, { onDemand: true });
    const full = await buildSnapshot(fresh, ['SPY', 'USO'], mondayMorning);
    expect(lazy.lastSession).toBe(full.lastSession);
    expect(lazy.vix).toBe(full.vix);
    for (const symbol of ['SPY', 'USO']) for (const [name, value] of Object.entries(full.symbols[symbol]!)) expect(lazy.symbols[symbol]![name as 'close']).toBe(value);
    // The full sets are known now: asked for on demand again, the same objects come back.
    const again = await buildSnapshot(fresh, ['SPY', 'USO'], mondayMorning, undefined, { onDemand: true });
    expect(again.symbols['SPY']).toBe(full.symbols['SPY']);
  });

  it('Given a copy of the data with every bar after 2024-03-01 removed, When building the 2024-03-04T13:00Z snapshot, Then it is identical', async () => {
    const full = await buildSnapshot(md, UNIVERSE, mondayMorning);
    const cut = await buildSnapshot(createCsvMarketData(truncatedCopy('2024-03-01')), UNIVERSE, mondayMorning);
    expect(cut).toEqual(full);
  });

  it('Given Monday 15:59 and 16:00 New York, Then the snapshot moves to Monday only at the close', async () => {
    expect((await buildSnapshot(md, ['SPY'], nyDateTime('2024-03-04', '15:59'))).lastSession).toBe('2024-03-01');
    const atClose = await buildSnapshot(md, ['SPY'], nyDateTime('2024-03-04', '16:00'));
    expect(atClose.lastSession).toBe('2024-03-04');
    expect(atClose.symbols['SPY']?.close).toBe(readRaw('SPY').find((bar) => bar.date === '2024-03-04')?.close);
  });

  it('Given the evening of the NYSE holiday 2026-07-03, when Cboe still printed VIX, Then VIX is the close of the last NYSE session', async () => {
    const snapshot = await buildSnapshot(md, ['SPY'], nyDateTime('2026-07-03', '20:00'));
    expect(snapshot.lastSession).toBe('2026-07-02');
    expect(snapshot.vix).toBe(vixClose('2026-07-02'));
  });

  it('Given HYG, whose data ends 2026-08-20, When building a snapshot after the 2026-08-21 close, Then a MissingSessionError, not stale numbers', async () => {
    const request = buildSnapshot(md, UNIVERSE, nyDateTime('2026-08-21', '17:00'));
    await expect(request).rejects.toThrow(MissingSessionError);
    await expect(request).rejects.toThrow('HYG has no bar for the session 2026-08-21 (its last bar is 2026-08-20)');
  });
});
