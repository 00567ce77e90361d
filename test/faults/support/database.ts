/**
 * A database of its own for one fault scenario. With TEST_DATABASE_URL (CI: PostgreSQL 15) it is a fresh
 * schema on that server, reached through `options=-c search_path=...` so spawned `council` processes and
 * the test see the same tables; without it, an embedded PGlite folder that the processes open in turn.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../../src/store/database.ts';
import type { Database } from '../../../src/store/port.ts';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL;

export interface ScenarioDatabase {
  kind: 'postgres' | 'pglite';
  /** The environment that points a `council` process at this database (DATABASE_URL or COUNCIL_DATA_DIR). */
  env: Record<string, string>;
  /** The URL for in-process use on PostgreSQL; undefined on PGlite. */
  url: string | undefined;
  /** The PostgreSQL schema holding this scenario's tables; undefined on PGlite. */
  schema: string | undefined;
  /** Opens the database in this process (on PGlite only while no `council` process holds it). */
  open(): Promise<Database>;
  dispose(): Promise<void>;
}

export async function scenarioDatabase(label: string): Promise<ScenarioDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), `council-fault-${label}-`));
  if (!POSTGRES_URL) {
    return {
      kind: 'pglite',
      env: { COUNCIL_DATA_DIR: dataDir },
      url: undefined,
      schema: undefined,
      open: () => openDatabase({ dataDir }),
      dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const schema = `fault_${label.replace(/\W/g, '_')}_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  await admin.query(`create schema ${schema}`);
  const scoped = new URL(POSTGRES_URL);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  const url = scoped.toString();
  return {
    kind: 'postgres',
    env: { DATABASE_URL: url, COUNCIL_DATA_DIR: dataDir },
    url,
    schema,
    open: () => openDatabase({ databaseUrl: url, dataDir }),
    dispose: async () => {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
