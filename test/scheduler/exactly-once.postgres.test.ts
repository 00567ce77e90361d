/**
 * Exactly once on a real PostgreSQL (TEST_DATABASE_URL): three schedulers with pools of their own tick
 * together at every slot of a week and each slot runs once; a replica killed (SIGKILL, a real process)
 * while running a slot leaves it to exactly one other replica once its lease has run out.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CouncilFile } from '../../src/config/config.ts';
import { createNyseCalendar } from '../../src/market/calendar.ts';
import { createPgSlotClaims } from '../../src/scheduler/claims.ts';
import { createSlotScheduler, type SlotScheduler } from '../../src/scheduler/scheduler.ts';
import { type Slot, slotsBetween } from '../../src/scheduler/slots.ts';
import { openDatabase } from '../../src/store/database.ts';
import type { Database } from '../../src/store/port.ts';

const url = process.env.TEST_DATABASE_URL;
const calendar = createNyseCalendar();
const SCHEDULE = { timezone: 'America/New_York', weekly: '0 8 * * 1', checkpoints: ['09:00', '12:00', '14:00', '15:50'], postmortem: '30 16 * * 5', leaseSeconds: 60 };
const schedule = CouncilFile.shape.schedule.parse(SCHEDULE);

describe.runIf(url)('slots on PostgreSQL, three replicas', () => {
  let admin: pg.Pool;
  let scopedUrl: string;
  let schema: string;
  const dbs: Database[] = [];

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
    schema = `sched_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    await admin.query(`create schema ${schema}`);
    const scoped = new URL(url ?? '');
    scoped.searchParams.set('options', `-c search_path=${schema}`);
    scopedUrl = scoped.toString();
    for (let i = 0; i < 3; i++) dbs.push(await openDatabase({ databaseUrl: scopedUrl, dataDir: 'unused' }));
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await admin?.query(`drop schema ${schema} cascade`);
    await admin?.end();
  });

  function replicas(now: () => Date, job: (owner: string, slot: Slot) => Promise<void>): SlotScheduler[] {
    return dbs.map((db, i) => {
      const owner = `replica-${i}`;
      const run = (slot: Slot) => job(owner, slot);
      return createSlotScheduler({
        schedule,
        calendar,
        claims: createPgSlotClaims(db),
        jobs: { weekly: run, checkpoint: run, postmortem: run, daily: run },
        clock: now,
        owner,
        logger: pino({ level: 'silent' }),
      });
    });
  }

  it('When three replicas tick together at every slot of a week, Then every slot runs exactly once', async () => {
    const week = slotsBetween(schedule, calendar, new Date('2024-06-10T00:00:00Z'), new Date('2024-06-15T00:00:00Z'));
    let now = new Date(0);
    const runs: string[] = [];
    const three = replicas(
      () => now,
      async (_owner, slot) => {
        runs.push(`${slot.job} ${slot.at.toISOString()}`);
        await admin.query('select pg_sleep(0.01)'); // let the others try while this one holds the slot
      },
    );
    for (const slot of week) {
      now = new Date(slot.at.getTime() + 1000);
      await Promise.all(three.map((s) => s.tick()));
      await Promise.all(three.map((s) => s.tick())); // a second wave, after the slot completed
    }
    expect(week).toHaveLength(1 + 5 * 4 + 5 + 1);
    expect(runs).toEqual(week.map((s) => `${s.job} ${s.at.toISOString()}`));
    const rows = await admin.query(`select outcome, attempts, count(*)::int as n from ${schema}.slot_claims group by outcome, attempts`);
    expect(rows.rows).toEqual([{ outcome: 'done', attempts: 1, n: week.length }]);
  });

  it('When the replica running a slot is killed, Then no one takes it while the lease lives, and afterwards exactly one replica completes it', async () => {
    const slotAt = new Date('2024-06-18T13:00:00Z'); // Tue 09:00 EDT checkpoint
    const startedAt = new Date(slotAt.getTime() + 2000);
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/replica.ts', import.meta.url))], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: scopedUrl, NOW: startedAt.toISOString(), SCHEDULE: JSON.stringify(SCHEDULE) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
    await new Promise<void>((done, fail) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('running checkpoint 2024-06-18T13:00:00.000Z')) done();
      });
      child.on('exit', () => fail(new Error(`the replica exited before running the slot: ${out}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    let now = new Date(startedAt.getTime() + 30_000);
    const completions: string[] = [];
    const others = replicas(
      () => now,
      async (owner, slot) => void completions.push(`${owner} ${slot.job} ${slot.at.toISOString()}`),
    ).slice(1);
    await Promise.all(others.map((s) => s.tick()));
    expect(completions).toEqual([]); // the dead replica's lease still holds

    now = new Date(startedAt.getTime() + schedule.leaseSeconds * 1000 + 1000);
    await Promise.all(others.map((s) => s.tick()));
    await Promise.all(others.map((s) => s.tick()));
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatch(/^replica-[12] checkpoint 2024-06-18T13:00:00.000Z$/);
    const [row] = (await admin.query(`select claimed_by, attempts, outcome from ${schema}.slot_claims where slot = $1`, [slotAt])).rows;
    expect(row).toEqual({ claimed_by: completions[0]?.split(' ')[0], attempts: 2, outcome: 'done' });
  });
});
