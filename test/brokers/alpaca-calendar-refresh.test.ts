/** Alpaca's calendar read at start and again on a timer, through the real SDK against the fake. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlpacaClient } from '../../src/vendors/alpaca.ts';
import { createRefreshingAlpacaCalendar } from '../../src/market/alpaca.ts';
import { createNyseCalendar } from '../../src/market/calendar.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';

let fake: FakeAlpaca;
const offline = createNyseCalendar();
const client = (secret = 'data-secret') =>
  createAlpacaClient({ keyId: 'PKDATA', secret }, { paper: true, dataUrl: fake.url, apiUrl: fake.url }, { retry: false, rateLimit: false });
const calendarReads = () => fake.log.filter((r) => r.path === '/v2/calendar' && r.phase === 'received');

beforeAll(async () => {
  fake = await startFakeAlpaca();
  fake.addAccount('PKDATA', 'data-secret');
});
afterAll(async () => fake?.close());

describe("Alpaca's calendar, refreshed", () => {
  it('Given a running bot, When the refresh period passes, Then the calendar is read again around the new date and the revision moves', async () => {
    let now = new Date('2024-03-04T13:00:00Z');
    const before = calendarReads().length;
    const refreshing = await createRefreshingAlpacaCalendar({ client: client(), clock: () => now, fallback: offline, refreshMs: 100 });
    try {
      expect(calendarReads().length).toBe(before + 1);
      expect(refreshing.calendar.isTradingDay('2024-07-04')).toBe(false);
      expect(refreshing.calendar.sessionClose('2024-11-29')).toBe('13:00');
      const revision = refreshing.calendar.revision;
      now = new Date('2024-03-05T13:00:00Z');
      await expect.poll(() => calendarReads().length, { timeout: 5000 }).toBeGreaterThan(before + 1);
      expect(calendarReads().at(-1)?.query.start).toMatch(/^2022-03-06/); // 730 days before 2024-03-05;
      await expect.poll(() => refreshing.calendar.revision ?? 0, { timeout: 5000 }).toBeGreaterThan(revision ?? 0);
    } finally {
      refreshing.stop();
    }
  });

  it('Given Alpaca refusing the keys, When the calendar is read, Then the offline NYSE calendar answers and the error is reported, not thrown', async () => {
    const errors: unknown[] = [];
    const refreshing = await createRefreshingAlpacaCalendar({
      client: client('wrong-secret'),
      clock: () => new Date('2024-03-04T13:00:00Z'),
      fallback: offline,
      onError: (e) => errors.push(e),
    });
    refreshing.stop();
    expect(errors).toHaveLength(1);
    expect(refreshing.calendar.isTradingDay('2029-01-01')).toBe(false);
    expect(await refreshing.refresh()).toBe(false);
  });
});
