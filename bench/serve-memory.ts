/**
 * `council serve`'s resident memory once it has answered one status request: on embedded PGlite, and on
 * PostgreSQL when TEST_DATABASE_URL is set. The process is started as a user would, through bin/council.js.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/council.js', import.meta.url));

function waitFor(child: ChildProcess, text: string, timeoutMs = 60_000): Promise<void> {
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

export async function serveMemory(databaseUrl?: string): Promise<{ database: string; rssMb: number; peakRssMb: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-serve-')), LOG_LEVEL: 'silent' };
  for (const key of ['SLACK_BOT_TOKEN', 'DISCORD_TOKEN', 'DATABASE_URL']) delete env[key];
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  const child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  try {
    await waitFor(child, 'trading-council console');
    const answered = waitFor(child, 'Council status');
    child.stdin?.write('/council status\n');
    await answered;
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return { database: databaseUrl ? 'postgres' : 'pglite', rssMb: Math.round(kib(status, 'VmRSS') / 1024), peakRssMb: Math.round(kib(status, 'VmHWM') / 1024) };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin?.end('quit\n');
    const killer = setTimeout(() => child.kill('SIGTERM'), 10_000);
    await exited;
    clearTimeout(killer);
  }
}
