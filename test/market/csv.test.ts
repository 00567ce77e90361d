/** CSV market data served point in time: a bar exists only once its session has closed. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundledBarsDir, createCsvMarketData, MalformedBarsError, UnknownSymbolError } from '../../src/market/csv.ts';
import { PointInTimeError } from '../../src/market/port.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { BARS_DIR } from './raw.ts';

const md = createCsvMarketData(bundledBarsDir());
const FRIDAY = '2024-03-01';
const MONDAY = '2024-03-04';
const mondayMorning = nyDateTime(MONDAY, '08:00');

const dirs: string[] = [];
function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'council-bars-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const HEADER = 'date,open,high,low,close,volume';

describe('CSV market data, point in time', () => {
  it('Given the bundled folder, Then the source names it and bundledBarsDir is found from the source file', () => {
    expect(resolve(bundledBarsDir())).toBe(resolve(BARS_DIR));
    expect(md.source).toBe(`csv:${bundledBarsDir()}`);
  });

  it("Given bars up to Friday, When asking for Monday's bar on Monday morning, Then a PointInTimeError naming symbol, date and asOf", async () => {
    const request = md.bars({ symbol: 'SPY', asOf: mondayMorning, to: MONDAY });
    await expect(request).rejects.toThrow(PointInTimeError);
    await expect(request).rejects.toThrow(/SPY.*2024-03-04.*2024-03-04T13:00:00\.000Z/);
    await expect(md.bars({ symbol: 'SPY', asOf: mondayMorning, to: '2031-01-02' })).rejects.toThrow(PointInTimeError);
  });

  it("Given Monday at 15:59 New York, When asking for everything, Then the last bar is Friday's; at 16:00 it is Monday's", async () => {
    const before = await md.bars({ symbol: 'SPY', asOf: nyDateTime(MONDAY, '15:59'), limit: 1 });
    const after = await md.bars({ symbol: 'SPY', asOf: nyDateTime(MONDAY, '16:00'), limit: 1 });
    expect(before.map((b) => b.date)).toEqual([FRIDAY]);
    expect(after.map((b) => b.date)).toEqual([MONDAY]);
    await expect(md.bars({ symbol: 'SPY', asOf: nyDateTime(MONDAY, '15:59'), to: MONDAY })).rejects.toThrow(PointInTimeError);
    expect((await md.bars({ symbol: 'SPY', asOf: nyDateTime(MONDAY, '16:00'), to: MONDAY })).at(-1)?.date).toBe(MONDAY);
  });

  it('Given the early close of 2024-11-29, Then its bar is final at 13:00, not 16:00', async () => {
    const at1259 = await md.bars({ symbol: 'QQQ', asOf: nyDateTime('2024-11-29', '12:59'), limit: 1 });
    const at1300 = await md.bars({ symbol: 'QQQ', asOf: nyDateTime('2024-11-29', '13:00'), to: '2024-11-29', limit: 1 });
    expect(at1259[0]?.date).toBe('2024-11-27');
    expect(at1300[0]?.date).toBe('2024-11-29');
  });

  it('Given the VIX row Cboe printed on the NYSE holiday 2026-07-03, Then it is final at 16:00 that day', async () => {
    expect((await md.bars({ symbol: 'VIX', asOf: nyDateTime('2026-07-03', '15:00'), limit: 1 }))[0]?.date).toBe('2026-07-02');
    expect((await md.bars({ symbol: 'VIX', asOf: nyDateTime('2026-07-03', '16:00'), limit: 1 }))[0]?.date).toBe('2026-07-03');
  });

  it('Given from, to and limit, Then bars are the sessions in range, ascending, the latest `limit` of them', async () => {
    const asOf = nyDateTime('2024-06-01', '00:00');
    const range = await md.bars({ symbol: 'SPY', asOf, from: '2024-02-24', to: '2024-03-05' });
    expect(range.map((b) => b.date)).toEqual(['2024-02-26', '2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01', '2024-03-04', '2024-03-05']);
    const latest = await md.bars({ symbol: 'SPY', asOf, from: '2024-02-24', to: '2024-03-05', limit: 2 });
    expect(latest.map((b) => b.date)).toEqual(['2024-03-04', '2024-03-05']);
    expect(await md.bars({ symbol: 'SPY', asOf, from: '2024-03-05', to: '2024-03-04' })).toEqual([]);
    expect(await md.bars({ symbol: 'SPY', asOf, limit: 0 })).toEqual([]);
    expect(await md.bars({ symbol: 'SPY', asOf: nyDateTime('1990-01-02', '17:00') })).toEqual([]);
    await expect(md.bars({ symbol: 'SPY', asOf, limit: -1 })).rejects.toThrow(RangeError);
    await expect(md.bars({ symbol: 'SPY', asOf, from: '2024-3-1' })).rejects.toThrow(RangeError);
  });

  it('Given a returned array, When the caller mutates it or its bars, Then the cached data is untouched', async () => {
    const asOf = nyDateTime('2024-06-01', '00:00');
    const first = await md.bars({ symbol: 'GLD', asOf, limit: 3 });
    const close = first[2]?.close;
    first.pop();
    expect(() => {
      (first[0] as { close: number }).close = 0;
    }).toThrow(TypeError);
    const again = await md.bars({ symbol: 'GLD', asOf, limit: 3 });
    expect(again).toHaveLength(3);
    expect(again[2]?.close).toBe(close);
  });

  it("Given Monday before 09:30, When asking for Monday's open, Then a PointInTimeError; from 09:30 the open is known", async () => {
    await expect(md.sessionOpen('SPY', MONDAY, nyDateTime(MONDAY, '09:29'))).rejects.toThrow(PointInTimeError);
    const open = await md.sessionOpen('SPY', MONDAY, nyDateTime(MONDAY, '09:30'));
    const bar = (await md.bars({ symbol: 'SPY', asOf: nyDateTime(MONDAY, '16:00'), limit: 1 }))[0];
    expect(open).toBe(bar?.open);
  });

  it('Given a day without a session, When asking for its open after the fact, Then undefined', async () => {
    expect(await md.sessionOpen('SPY', '2024-03-29', nyDateTime('2024-04-02', '12:00'))).toBeUndefined();
  });

  it('Given a symbol the folder does not hold, Then an error listing the symbols it does', async () => {
    const request = md.bars({ symbol: 'AAPL', asOf: mondayMorning });
    await expect(request).rejects.toThrow(UnknownSymbolError);
    await expect(request).rejects.toThrow(/AAPL.*GLD, HYG, IWM, QQQ, SPY, TLT, USO, UUP, VIX/);
    await expect(md.sessionOpen('../SPY', MONDAY, mondayMorning)).rejects.toThrow(UnknownSymbolError);
  });

  it('Given a file with a malformed row, Then an error naming the file and the line', async () => {
    const dir = dirWith({
      'BAD.csv': `${HEADER}\n2024-01-02,1,2,0.5,1.5,100\n2024-01-03,1,2,abc,1.5,100\n`,
      'NEG.csv': `${HEADER}\n2024-01-02,1,2,0.5,-1.5,100\n`,
      'DAY.csv': `${HEADER}\n2024-02-30,1,2,0.5,1.5,100\n`,
      'LEAP.csv': `${HEADER}\n2000-02-29,1,2,0.5,1.5,100\n2100-02-29,1,2,0.5,1.5,100\n`,
      'MONTH.csv': `${HEADER}\n2024-13-01,1,2,0.5,1.5,100\n`,
      'ORDER.csv': `${HEADER}\n2024-01-03,1,2,0.5,1.5,100\n2024-01-02,1,2,0.5,1.5,100\n`,
      'SHORT.csv': `${HEADER}\n2024-01-02,1,2,0.5,1.5\n`,
      'HEAD.csv': 'date,close\n2024-01-02,1\n',
    });
    const bad = createCsvMarketData(dir);
    const asOf = mondayMorning;
    const fails = (symbol: string) => bad.bars({ symbol, asOf });
    await expect(fails('BAD')).rejects.toThrow(MalformedBarsError);
    await expect(fails('BAD')).rejects.toThrow(`${join(dir, 'BAD.csv')}:3: low`);
    await expect(fails('NEG')).rejects.toThrow(/NEG\.csv:2: close/);
    await expect(fails('DAY')).rejects.toThrow(/DAY\.csv:2: date/);
    await expect(fails('LEAP')).rejects.toThrow(/LEAP\.csv:3: date/);
    await expect(fails('MONTH')).rejects.toThrow(/MONTH\.csv:2: date/);
    await expect(fails('ORDER')).rejects.toThrow(/ORDER\.csv:3: 2024-01-02 does not come after 2024-01-03/);
    await expect(fails('SHORT')).rejects.toThrow(/SHORT\.csv:2: expected 6 fields/);
    await expect(fails('HEAD')).rejects.toThrow(/HEAD\.csv:1: expected the header/);
  });

  it('Given a file fixed after a failed load, When asking again, Then the fixed file is read', async () => {
    const dir = dirWith({ 'X.csv': `${HEADER}\n2024-01-02,1,2,0.5,oops,100\n` });
    const source = createCsvMarketData(dir);
    await expect(source.bars({ symbol: 'X', asOf: mondayMorning })).rejects.toThrow(MalformedBarsError);
    writeFileSync(join(dir, 'X.csv'), `${HEADER}\n2024-01-02,1,2,0.5,1.5,100\n`);
    expect(await source.bars({ symbol: 'X', asOf: mondayMorning })).toEqual([{ date: '2024-01-02', open: 1, high: 2, low: 0.5, close: 1.5, volume: 100 }]);
  });
});
