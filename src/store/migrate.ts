/**
 * Applies the SQL files of `migrations/` in name order, each once, each in its own transaction,
 * recorded in `schema_migrations`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, Queryable } from './port.ts';

/** Found from this file, so `council` works from any working directory. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Application-wide advisory lock id: processes starting together migrate one after the other. */
export const MIGRATION_LOCK_ID = '7100315847205821';

/** Returns the names of the migrations it applied (none when the schema is current). */
export async function migrate(db: Database, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  const applied: string[] = [];
  for (const name of names) {
    const sql = await readFile(join(dir, name), 'utf8');
    if (await db.tx((q) => applyOnce(q, name, sql))) applied.push(name);
  }
  return applied;
}

async function applyOnce(q: Queryable, name: string, sql: string): Promise<boolean> {
  await q.query('select pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_ID]);
  // Created under the lock: concurrent `create table if not exists` can still collide on PostgreSQL.
  await q.query('create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())');
  const done = await q.query('select 1 from schema_migrations where name = $1', [name]);
  if (done.length > 0) return false;
  // Without parameters the driver uses the simple protocol, which accepts several statements.
  await q.query(sql);
  await q.query('insert into schema_migrations (name) values ($1)', [name]);
  return true;
}
