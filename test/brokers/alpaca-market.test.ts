/** Alpaca market data through the real SDK against the fake: the same bars as the CSV replay, point in time, on the configured feed. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlpacaClient } from '../../src/vendors/alpaca.ts';
import { createAlpacaMarketData, loadAlpacaCalendar } from '../../src/market/alpaca.ts';
import { createNyseCalendar } from '../../src/market/calendar.ts';
import { bundledBarsDir, createCsvMarketData } from '../../src/market/csv.ts';
import { PointInTimeError } from '../../src/market/port.ts';
import { buildSnapshot } from '../../src/market/snapshot.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';

let fake: FakeAlpaca;
const calendar = createNyseCalendar();
const csv = createCsvMarketData(bundledBarsDir(), { calendar });
const client = () => createAlpacaClient({ keyId: 'PKDATA', secret: 'data-secret' }, { paper: true, dataUrl: fake.url, apiUrl: fake.url }, { retry: false, rateLimit: false });

beforeAll(async () => {
  fake = await startFakeAlpaca();
  fake.addAccount('PKDATA', 'data-secret');
});
afterAll(async () => fake?.close());

describe('Alpaca market data', () => {
  it('When 300 daily bars are asked for on a Monday morning, Then they are the CSV replay bars ending at Friday, asked on the iex feed', async () => {
    const md = createAlpacaMarketData({ client: client(), feed: 'iex', calendar });
    const asOf = nyDateTime('2024-03-04', '08:00');
    const bars = await md.bars({ symbol: 'SPY', asOf, limit: 300 });
    expect(bars).toEqual(await csv.bars({ symbol: 'SPY', asOf, limit: 300 }));
    expect(bars.at(-1)?.date).toBe('2024-03-01');
    const asked = fake.log.filter((r) => r.path === '/v2/stocks/bars' && r.phase === 'received').at(-1)!;
    expect(asked.query).toMatchObject({ symbols: 'SPY', timeframe: '1Day', feed: 'iex' });
  });

  it("When a session's bar is asked for before it closes, Then a PointInTimeError; and during the session the bar in progress is left out", async () => {
    const md = createAlpacaMarketData({ client: client(), feed: 'sip', calendar });
    const noon = nyDateTime('2024-03-04', '12:00');
    await expect(md.bars({ symbol: 'SPY', asOf: noon, to: '2024-03-04' })).rejects.toThrow(PointInTimeError);
    expect((await md.bars({ symbol: 'SPY', asOf: noon, limit: 1 }))[0]?.date).toBe('2024-03-01');
    expect((await md.bars({ symbol: 'SPY', asOf: nyDateTime('2024-03-04', '16:00'), limit: 1 }))[0]?.date).toBe('2024-03-04');
    await expect(md.sessionOpen('SPY', '2024-03-04', nyDateTime('2024-03-04', '09:00'))).rejects.toThrow(PointInTimeError);
    expect(await md.sessionOpen('SPY', '2024-03-04', noon)).toBe((await csv.bars({ symbol: 'SPY', asOf: nyDateTime('2024-03-05', '08:00'), limit: 1 }))[0]?.open);
  });

  it('When the council snapshot is built from Alpaca, Then its indicators equal those built from the CSV replay', async () => {
    const md = createAlpacaMarketData({ client: client(), feed: 'iex', calendar });
    const asOf = nyDateTime('2024-03-04', '08:00');
    const universe = ['SPY', 'QQQ', 'TLT'];
    expect(await buildSnapshot(md, universe, asOf)).toEqual(await buildSnapshot(csv, universe, asOf));
  });

  it('When the latest bars are asked for, Then every symbol comes back with its last bar', async () => {
    const md = createAlpacaMarketData({ client: client(), feed: 'iex', calendar });
    const latest = await md.latestBars(['SPY', 'GLD']);
    expect(Object.keys(latest).sort()).toEqual(['GLD', 'SPY']);
    expect(latest.SPY?.close).toBeGreaterThan(0);
  });

  it("When Alpaca's calendar is loaded, Then holidays and 13:00 early closes come from it", async () => {
    const cal = await loadAlpacaCalendar(client(), { from: '2024-01-01', to: '2024-12-31' }, calendar);
    expect(cal.isTradingDay('2024-07-04')).toBe(false);
    expect(cal.sessionClose('2024-11-29')).toBe('13:00');
    expect(cal.nextTradingDay('2024-03-28')).toBe('2024-04-01'); // Good Friday
    expect(fake.log.some((r) => r.path === '/v2/calendar' && r.query.start?.startsWith('2024-01-01'))).toBe(true);
  });

  it('When the keys are wrong, Then the error names the status and never the secret', async () => {
    const bad = createAlpacaClient({ keyId: 'PKDATA', secret: 'wrong-secret-value' }, { paper: true, dataUrl: fake.url, apiUrl: fake.url }, { retry: false, rateLimit: false });
    const md = createAlpacaMarketData({ client: bad, feed: 'iex', calendar });
    const error = await md.bars({ symbol: 'SPY', asOf: nyDateTime('2024-03-04', '08:00'), limit: 5 }).catch((e: unknown) => e as Error);
    expect(String((error as Error).message)).not.toContain('wrong-secret-value');
    expect(JSON.stringify(error)).not.toContain('wrong-secret-value');
  });
});
