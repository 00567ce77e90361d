/**
 * The first `council run` on a fresh data folder (issue 21: < 3 s), as a user runs it: a fresh process
 * (node bin/council.js run --week ... --json), embedded PGlite in a folder that does not exist yet,
 * builtin seats, bundled bars. Median wall of a few runs, each on its own fresh folder. The install's
 * PGlite template is made first when missing (once per install; `templateMadeMs` says what that cost).
 * `node bench/first-run.ts [runs]`
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDatabaseFolder, templateFolder, templatePath } from '../src/store/pglite.ts';

const BIN = fileURLToPath(new URL('../bin/council.js', import.meta.url));

export interface FirstRunBench {
  runs: number;
  medianMs: number;
  fastestMs: number;
  slowestMs: number;
  /** Time to make the template before the runs; 0 when the install already had one. */
  templateMadeMs: number;
  underGoal: boolean;
}

function firstRun(): number {
  const dir = mkdtempSync(join(tmpdir(), 'bench-first-run-'));
  try {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', COUNCIL_DATA_DIR: join(dir, 'data') };
    const started = performance.now();
    const r = spawnSync(process.execPath, [BIN, 'run', '--week', '2024-03-04', '--json'], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const ms = performance.now() - started;
    if (r.status !== 0) throw new Error(`council run exited ${r.status}: ${r.stderr.trim()}`);
    return ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchFirstRun(runs = 3): Promise<FirstRunBench> {
  const template = templatePath();
  const started = performance.now();
  const cached = template !== undefined && isDatabaseFolder(template);
  if (!cached) await templateFolder();
  const templateMadeMs = cached ? 0 : Math.round(performance.now() - started);
  const times = Array.from({ length: runs }, firstRun).sort((a, b) => a - b);
  const medianMs = Math.round(times[Math.floor(times.length / 2)] ?? Number.NaN);
  return { runs, medianMs, fastestMs: Math.round(times[0] ?? Number.NaN), slowestMs: Math.round(times.at(-1) ?? Number.NaN), templateMadeMs, underGoal: medianMs < 3000 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${JSON.stringify(await benchFirstRun(Number(process.argv[2] ?? 3)), null, 2)}\n`);
}
