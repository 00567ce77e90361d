/**
 * Stopping the scheduler (serve's SIGTERM): the slot running finishes, and a tick in flight starts no
 * further slot, so a stop takes no new work; the slot left pending is the next start's to run or miss.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CouncilFile } from '../../src/config/config.ts';
import { createNyseCalendar } from '../../src/market/calendar.ts';
import { createPgSlotClaims } from '../../src/scheduler/claims.ts';
import { createSlotScheduler } from '../../src/scheduler/scheduler.ts';
import type { Slot } from '../../src/scheduler/slots.ts';
import { openDatabase } from '../../src/store/database.ts';
import type { Database } from '../../src/store/port.ts';

let db: Database;
beforeAll(async () => {
  db = await openDatabase({ dataDir: 'unused', memory: true, template: false });
});
afterAll(async () => {
  await db?.close();
});

describe('the scheduler stopping', () => {
  it('Given two checkpoint slots due in one tick, When stop is called while the first runs, Then the first finishes and the second is neither run nor marked', async () => {
    const schedule = CouncilFile.shape.schedule.parse({
      timezone: 'America/New_York',
      weekly: '0 8 * * 1',
      checkpoints: ['09:00', '09:10'],
      postmortem: '30 16 * * 5',
      missed: { policy: 'run-all', graceMinutes: 30 },
    });
    const ran: string[] = [];
    let started!: () => void;
    const firstStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const checkpoint = async (slot: Slot) => {
      ran.push(slot.at.toISOString());
      started();
      await released;
    };
    const noop = async () => {};
    const claims = createPgSlotClaims(db);
    const scheduler = createSlotScheduler({
      schedule,
      calendar: createNyseCalendar(),
      claims,
      jobs: { weekly: noop, checkpoint, postmortem: noop, daily: noop },
      // Wednesday 2024-03-06 09:15 New York (EST): both checkpoints are due, neither run yet.
      clock: () => new Date('2024-03-06T14:15:00Z'),
      owner: 'stop-test',
      logger: pino({ level: 'silent' }),
    });

    const ticking = scheduler.tick();
    await firstStarted;
    const stopped = scheduler.stop();
    release();
    const results = await ticking;
    await stopped;

    expect(ran).toEqual(['2024-03-06T14:00:00.000Z']);
    expect(results).toEqual([{ job: 'checkpoint', at: '2024-03-06T14:00:00.000Z', outcome: 'done' }]);
    const settled = await claims.settled(new Date('2024-03-06T13:30:00Z'), new Date('2024-03-06T14:15:00Z'), new Date('2024-03-06T14:15:00Z'));
    expect([...settled]).toHaveLength(1);
  });
});
