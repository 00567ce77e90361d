/**
 * Single-event appends at the database's speed (issue 21, goal >= 80 %): `EventStore.append` of one
 * event at a time at its expected version, the way a stage writes, against a plain prepared insert of
 * the same rows into the same table on the same database, the floor an append with a version check
 * can approach. Rounds alternate between the two so a change in the machine's load hits both alike.
 * PGlite in a fresh folder; PostgreSQL in a schema of its own when a URL is given, its commits not
 * waiting for the disk (synchronous_commit off) so that the figure is the statements', not fsync's.
 * `node bench/append.ts [databaseUrl|-] [events per round]`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDatabase } from '../src/store/database.ts';
import { createEventStore } from '../src/store/event-store.ts';
import type { Database, NamedStatement } from '../src/store/port.ts';

export interface AppendBench {
  database: 'pglite' | 'postgres';
  events: number;
  /** Medians over the rounds. */
  appendsPerSecond: number;
  insertsPerSecond: number;
  /** Appends per second over plain inserts per second, wall clock. */
  ratio: number;
  /** The same in this process's CPU time. */
  cpuRatio: number;
  /** The ratio the goal is judged on: CPU for PGlite (it runs in this process), wall for PostgreSQL. */
  judged: number;
  underGoal: boolean;
}

const PLAIN_INSERT: NamedStatement = {
  name: 'bench_plain_insert',
  text: 'insert into events (stream, version, type, data, meta) values ($1, $2, $3, $4::jsonb, $5::jsonb)',
};

const payload = (i: number) => ({ type: 'BenchEvent', data: { n: i, symbol: 'SPY', note: 'a small event like most of a week' }, meta: { by: 'bench' } });

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export async function benchAppend(databaseUrl?: string, eventsPerRound = 500, rounds = 9): Promise<AppendBench> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-append-'));
  const schema = `bench_append_${process.pid}_${Date.now()}`;
  const admin = databaseUrl ? new pg.Pool({ connectionString: databaseUrl, max: 1 }) : undefined;
  let db: Database | undefined;
  try {
    let url: string | undefined;
    if (databaseUrl && admin) {
      await admin.query(`create schema ${schema}`);
      const scoped = new URL(databaseUrl);
      // Commits not waiting for the disk's flush, which would otherwise hide what the statement costs
      // (each one waits milliseconds for fsync here, whatever it does): this compares statements.
      scoped.searchParams.set('options', `-c search_path=${schema} -c synchronous_commit=off`);
      url = scoped.toString();
    }
    db = await openDatabase({ dataDir: dir, databaseUrl: url });
    const store = createEventStore(db);
    const open = db;
    const append = { wall: [] as number[], cpu: [] as number[] };
    const insert = { wall: [] as number[], cpu: [] as number[] };
    /** Runs one round and records its rates: events per second of wall time and of this process's CPU. */
    const timed = async (into: typeof append | undefined, write: (i: number) => Promise<unknown>) => {
      const wall = performance.now();
      const cpu = process.cpuUsage();
      for (let i = 0; i < eventsPerRound; i++) await write(i);
      const used = process.cpuUsage(cpu);
      into?.wall.push((eventsPerRound / (performance.now() - wall)) * 1000);
      into?.cpu.push((eventsPerRound / ((used.user + used.system) / 1000)) * 1000);
    };
    // Round 0 warms both up (statements parsed, caches filled) and is not counted.
    for (let round = 0; round <= rounds; round++) {
      await timed(round > 0 ? append : undefined, (i) => store.append(`bench-append:${round}`, i, [payload(i)]));
      await timed(round > 0 ? insert : undefined, (i) => {
        const e = payload(i);
        return open.query(PLAIN_INSERT, [`bench-insert:${round}`, i + 1, e.type, JSON.stringify(e.data), JSON.stringify(e.meta)]);
      });
    }
    const events = eventsPerRound * rounds;
    // The median of each round's ratio: a round slowed by other work slows both of its halves alike.
    const ratioOf = (a: number[], b: number[]) => Math.round(median(a.map((x, i) => x / (b[i] ?? x))) * 100) / 100;
    const ratio = ratioOf(append.wall, insert.wall);
    const cpuRatio = ratioOf(append.cpu, insert.cpu);
    const appendsPerSecond = Math.round(median(append.wall));
    const insertsPerSecond = Math.round(median(insert.wall));
    const database = databaseUrl ? 'postgres' : 'pglite';
    // PGlite runs in this process, so its CPU time is the database's work even on a busy machine;
    // PostgreSQL works in its own processes, and only the wall clock sees it.
    const judged = database === 'pglite' ? cpuRatio : ratio;
    return { database, events, appendsPerSecond, insertsPerSecond, ratio, cpuRatio, judged, underGoal: judged >= 0.8 };
  } finally {
    await db?.close();
    if (admin) {
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const url = process.argv[2] && process.argv[2] !== '-' ? process.argv[2] : undefined;
  process.stdout.write(`${JSON.stringify(await benchAppend(url, Number(process.argv[3] ?? 500)), null, 2)}\n`);
}
