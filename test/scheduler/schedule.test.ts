/**
 * The schedule under fake timers: node-cron wakes the scheduler, the claims live in a real (embedded)
 * Postgres, and the jobs record when they ran. Across the spring-forward weekend the slots keep their New
 * York wall times; on Thanksgiving nothing runs, and the early close keeps only the morning checkpoints
 * and moves the daily summary to 13:10.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CouncilFile } from '../../src/config/config.ts';
import { createNyseCalendar } from '../../src/market/calendar.ts';
import { createPgSlotClaims } from '../../src/scheduler/claims.ts';
import { createSlotScheduler, type SlotScheduler } from '../../src/scheduler/scheduler.ts';
import { type Job, nextSlots, type Schedule, type Slot } from '../../src/scheduler/slots.ts';
import { openDatabase } from '../../src/store/database.ts';
import type { Database } from '../../src/store/port.ts';

const calendar = createNyseCalendar();
const schedule: Schedule = CouncilFile.shape.schedule.parse({
  timezone: 'America/New_York',
  weekly: '0 8 * * 1',
  checkpoints: ['09:00', '12:00', '14:00', '15:50'],
  postmortem: '30 16 * * 5',
  missed: { graceMinutes: 30 },
});

let db: Database;
beforeAll(async () => {
  // Without the template: a database unpacked from the template's tarball (loadDataDir) hangs in the
  // second fake-timer run here (seen with PGlite 0.5.16; the cause is not found yet).
  db = await openDatabase({ dataDir: 'unused', memory: true, template: false });
});
afterAll(async () => {
  await db?.close();
});
/** The scheduler a test started, stopped after the test even when it failed or timed out mid-run. */
let started: SlotScheduler | undefined;
afterEach(async () => {
  // Stop it under the fake clock it was started with: on the real clock, node-cron would count every
  // minute between the fake date and today as a missed execution.
  try {
    await started?.stop();
  } finally {
    started = undefined;
    vi.useRealTimers();
  }
});

/** Runs the real scheduler (node-cron included) under fake timers from `from` to `to`; returns what ran and when. */
async function runBetween(from: string, to: string): Promise<{ job: Job; slot: string; ranAt: string }[]> {
  await db.query('delete from slot_claims');
  vi.useFakeTimers({ now: new Date(from), toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  const ran: { job: Job; slot: string; ranAt: string }[] = [];
  const record = async (slot: Slot) => void ran.push({ job: slot.job, slot: slot.at.toISOString(), ranAt: new Date().toISOString() });
  const scheduler = createSlotScheduler({
    schedule,
    calendar,
    claims: createPgSlotClaims(db),
    jobs: { weekly: record, checkpoint: record, postmortem: record, daily: record },
    clock: () => new Date(),
    owner: 'fake-timers',
    logger: pino({ level: 'silent' }),
  });
  started = scheduler;
  scheduler.start();
  const end = Date.parse(to);
  // A minute at a time, and only once the scheduler is idle: the clock never runs ahead of a tick that is
  // still waiting on the database, however slow the machine, so node-cron never sees a missed minute.
  while (Date.now() < end) {
    await vi.advanceTimersByTimeAsync(Math.min(60_000, end - Date.now()));
    await scheduler.idle();
  }
  await scheduler.stop();
  return ran;
}

const wall = (iso: string) =>
  new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' })
    .format(new Date(iso))
    .replace(',', '');

describe('the schedule under fake timers', () => {
  it('When the clocks spring forward over the weekend, Then Monday runs the council at 08:00 EDT and the checkpoints and the daily summary at their New York times, each once and on time', async () => {
    const ran = await runBetween('2024-03-08T16:00:00Z', '2024-03-12T12:00:00Z');
    expect(ran.map((r) => `${r.job} ${r.slot}`)).toEqual([
      'checkpoint 2024-03-08T17:00:00.000Z',
      'checkpoint 2024-03-08T19:00:00.000Z',
      'checkpoint 2024-03-08T20:50:00.000Z',
      'daily 2024-03-08T21:10:00.000Z',
      'postmortem 2024-03-08T21:30:00.000Z',
      'weekly 2024-03-11T12:00:00.000Z',
      'checkpoint 2024-03-11T13:00:00.000Z',
      'checkpoint 2024-03-11T16:00:00.000Z',
      'checkpoint 2024-03-11T18:00:00.000Z',
      'checkpoint 2024-03-11T19:50:00.000Z',
      'daily 2024-03-11T20:10:00.000Z',
    ]);
    // Friday's slots are EST (UTC-5), Monday's EDT (UTC-4): the same wall clock.
    expect(ran.map((r) => wall(r.slot))).toEqual([
      'Fri 12:00 EST',
      'Fri 14:00 EST',
      'Fri 15:50 EST',
      'Fri 16:10 EST',
      'Fri 16:30 EST',
      'Mon 08:00 EDT',
      'Mon 09:00 EDT',
      'Mon 12:00 EDT',
      'Mon 14:00 EDT',
      'Mon 15:50 EDT',
      'Mon 16:10 EDT',
    ]);
    for (const r of ran) expect(Date.parse(r.ranAt) - Date.parse(r.slot)).toBeLessThan(1000);
  });

  it('When Thanksgiving closes the market and the Friday after closes at 13:00, Then Thursday runs nothing and Friday only the 09:00 and 12:00 checkpoints, the daily summary at its 13:00 close, and the postmortem', async () => {
    const ran = await runBetween('2024-11-27T12:00:00Z', '2024-11-30T05:00:00Z');
    expect(ran.map((r) => `${r.job} ${wall(r.slot)}`)).toEqual([
      'checkpoint Wed 09:00 EST',
      'checkpoint Wed 12:00 EST',
      'checkpoint Wed 14:00 EST',
      'checkpoint Wed 15:50 EST',
      'daily Wed 16:10 EST',
      'checkpoint Fri 09:00 EST',
      'checkpoint Fri 12:00 EST',
      'daily Fri 13:10 EST',
      'postmortem Fri 16:30 EST',
    ]);
    expect(ran.some((r) => r.slot.startsWith('2024-11-28'))).toBe(false);
    const rows = await db.query<{ n: string }>(`select count(*)::text as n from slot_claims where outcome = 'done'`);
    expect(Number(rows[0]?.n)).toBe(ran.length);
  });
});

describe('nextSlots', () => {
  it('When asked on the Wednesday before Thanksgiving, Then it lists Friday morning after Wednesday and skips Thursday', () => {
    const slots = nextSlots(schedule, calendar, new Date('2024-11-27T20:00:00Z'), 7);
    expect(slots.map((s) => `${s.job} ${wall(s.at.toISOString())}`)).toEqual([
      'checkpoint Wed 15:50 EST',
      'daily Wed 16:10 EST',
      'checkpoint Fri 09:00 EST',
      'checkpoint Fri 12:00 EST',
      'daily Fri 13:10 EST',
      'postmortem Fri 16:30 EST',
      'weekly Mon 08:00 EST',
    ]);
  });
});
