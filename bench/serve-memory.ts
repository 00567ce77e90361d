/**
 * `council serve`'s resident memory after warm-up and a council week (issue 21: < 300 MB on PGlite on
 * first start and on reopen alike, < 130 MB on PostgreSQL). The process is started as a user would,
 * through bin/council.js with no chat platform configured; on its console it runs one week (builtin
 * seats, bundled bars) and answers one status request, then its resident set is read from /proc.
 * On PGlite the folder is fresh on the first start and reused on the second (the reopen); on
 * PostgreSQL (TEST_DATABASE_URL) the week goes to a schema of its own.
 * `node bench/serve-memory.ts [databaseUrl|-]`
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const BIN = fileURLToPath(new URL('../bin/council.js', import.meta.url));
/** A week for each start: the reopen runs one too, not just shows the first again. */
const WEEKS = { first: '2024-03-04', reopen: '2024-03-11' } as const;

export interface ServeMemory {
  database: 'pglite' | 'postgres';
  /** The database folder was fresh (PGlite's first start), or made by an earlier serve. */
  start: 'first' | 'reopen';
  rssMb: number;
  peakRssMb: number;
  /** From spawn to the status answered after the week. */
  wallMs: number;
}

function waitFor(child: ChildProcess, text: string, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`serve did not print ${JSON.stringify(text)} within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before printing ${JSON.stringify(text)}`)));
  });
}

const kib = (status: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);

/** One serve process: starts, runs its week, answers status, quits. */
async function serveOnce(dataDir: string, databaseUrl: string | undefined, start: ServeMemory['start']): Promise<ServeMemory> {
  const env: NodeJS.ProcessEnv = { ...process.env, COUNCIL_DATA_DIR: dataDir, COUNCIL_HTTP_PORT: '0', LOG_LEVEL: 'silent' };
  for (const key of ['SLACK_BOT_TOKEN', 'DISCORD_TOKEN', 'DATABASE_URL', 'LLM_API_KEY']) delete env[key];
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  try {
    await waitFor(child, 'trading-council console');
    const answered = waitFor(child, 'Council status');
    // The console takes one line at a time: status is answered once the week is done.
    child.stdin?.write(`/council run --week ${WEEKS[start]}\n/council status\n`);
    await answered;
    const wallMs = Math.round(performance.now() - started);
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return {
      database: databaseUrl ? 'postgres' : 'pglite',
      start,
      rssMb: Math.round(kib(status, 'VmRSS') / 1024),
      peakRssMb: Math.round(kib(status, 'VmHWM') / 1024),
      wallMs,
    };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin?.end('quit\n');
    const killer = setTimeout(() => child.kill('SIGTERM'), 10_000);
    await exited;
    clearTimeout(killer);
  }
}

/** PGlite: a fresh folder, then the same folder again. */
export async function serveMemoryPglite(): Promise<{ first: ServeMemory; reopen: ServeMemory; rssMb: number; peakRssMb: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-serve-'));
  try {
    const first = await serveOnce(dir, undefined, 'first');
    const reopen = await serveOnce(dir, undefined, 'reopen');
    return { first, reopen, rssMb: Math.max(first.rssMb, reopen.rssMb), peakRssMb: Math.max(first.peakRssMb, reopen.peakRssMb) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** PostgreSQL, in a schema of its own that is dropped afterwards. */
export async function serveMemoryPostgres(databaseUrl: string): Promise<ServeMemory> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-serve-'));
  const schema = `bench_serve_${process.pid}_${Date.now()}`;
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    await admin.query(`create schema ${schema}`);
    const scoped = new URL(databaseUrl);
    scoped.searchParams.set('options', `-c search_path=${schema}`);
    return await serveOnce(dir, scoped.toString(), 'first');
  } finally {
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const url = process.argv[2] && process.argv[2] !== '-' ? process.argv[2] : undefined;
  process.stdout.write(`${JSON.stringify(url ? await serveMemoryPostgres(url) : await serveMemoryPglite(), null, 2)}\n`);
}
