/**
 * The contract on a real PostgreSQL (15 in CI), when TEST_DATABASE_URL is set, plus what only a server
 * with many sessions can show: writers and migrators really blocked behind one another. Each database
 * opened here gets a schema of its own, so runs sharing one server never see each other's events.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { MIGRATION_LOCK_ID, migrate } from '../../src/store/migrate.ts';
import { ConcurrencyError, type Database } from '../../src/store/port.ts';
import { eventStoreContract, type StoreHarness } from './contract.ts';

const url = process.env.TEST_DATABASE_URL;
const uid = () => randomUUID().replaceAll('-', '').slice(0, 12);

async function openScoped(): Promise<StoreHarness & { admin: pg.Pool }> {
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  const schema = `store_test_${uid()}`;
  await admin.query(`create schema ${schema}`);
  const scoped = new URL(url ?? '');
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  const db = await openDatabase({ databaseUrl: scoped.toString(), dataDir: 'unused-with-postgres' });
  return {
    db,
    admin,
    dispose: async () => {
      await db.close();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    },
  };
}

/** Waits until `count` sessions are blocked by the session `pid` (a condition, not a delay). */
async function blockedBehind(admin: pg.Pool, pid: number, count: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const { rows } = await admin.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [pid]);
    if ((rows[0]?.n ?? 0) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`expected ${count} sessions blocked behind ${pid}`);
}

describe.runIf(url)('Event store on PostgreSQL', () => {
  eventStoreContract(openScoped);

  describe('Sessions blocked behind one another', () => {
    let h: Awaited<ReturnType<typeof openScoped>>;
    let db: Database;
    beforeAll(async () => {
      h = await openScoped();
      db = h.db;
    });
    afterAll(() => h?.dispose());

    it("When a writer is blocked behind another's uncommitted append of the same version, Then it gets ConcurrencyError once that commits", async () => {
      const store = createEventStore(db);
      const stream = `race:${uid()}`;
      let second: Promise<unknown> | undefined;

      await db.tx(async (q) => {
        const [me] = await q.query<{ pid: number }>('select pg_backend_pid() as pid');
        await q.query(`insert into events (stream, version, type, data) values ($1, 1, 'First', '{}')`, [stream]);
        second = store.append(stream, 0, [{ type: 'Second', data: {} }]).catch((e: unknown) => e);
        await blockedBehind(h.admin, me!.pid, 1);
      });

      expect(await second).toBeInstanceOf(ConcurrencyError);
      expect((await store.read(stream)).map((e) => e.type)).toEqual(['First']);
    });

    it('When migrators wait on the migration lock together, Then each migration is applied once', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'council-migrations-'));
      const holder = await h.admin.connect();
      try {
        const table = `probe_${uid()}`;
        await writeFile(join(dir, `900_${table}.sql`), `create table ${table} (id int);`);
        await holder.query('begin');
        await holder.query('select pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_ID]);
        const [me] = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows;

        const runs = Promise.all([migrate(db, dir), migrate(db, dir), migrate(db, dir)]);
        await blockedBehind(h.admin, me!.pid, 3);
        await holder.query('commit');

        expect((await runs).flat()).toEqual([`900_${table}.sql`]);
      } finally {
        await holder.query('rollback').catch(() => undefined);
        holder.release();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
