/**
 * How fast the `council` command starts, as a user starts it (node bin/council.js, a fresh process each
 * time): `--help` and `--version` (goal < 0.5 s), and `status` cold on embedded PGlite (goal < 1.5 s; a
 * folder already migrated, as on every start after the first). Medians of a few runs. The figures are
 * for the compiled dist/ (`npm run build`); `runner` says when the sources ran through tsx instead.
 * Alone: `npx tsx bench/cli-start.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/council.js');

function timed(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`council ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return ms;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]!);
};

export async function benchCliStart(runs = 5): Promise<{
  runner: string;
  helpMs: number;
  versionMs: number;
  statusColdMs: number;
  helpUnderGoal: boolean;
  statusUnderGoal: boolean;
}> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-cli-')) };
  const help = Array.from({ length: runs }, () => timed(['--help'], env));
  const version = Array.from({ length: runs }, () => timed(['--version'], env));
  timed(['migrate'], env); // the first start on a folder creates the database: not a cold start
  const status = Array.from({ length: Math.max(3, Math.ceil(runs / 2)) }, () => timed(['status', '--json'], env));
  const helpMs = median(help);
  const statusColdMs = median(status);
  return {
    runner: existsSync(join(ROOT, 'dist/.built')) ? 'dist (when fresh; else tsx)' : 'tsx (not built)',
    helpMs,
    versionMs: median(version),
    statusColdMs,
    helpUnderGoal: helpMs < 500 && median(version) < 500,
    statusUnderGoal: statusColdMs < 1500,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${JSON.stringify(await benchCliStart(), null, 2)}\n`);
}
