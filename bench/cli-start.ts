/**
 * How fast the `council` command starts, as a user starts it (node bin/council.js, a fresh process each
 * time): `--help` and `--version` (goal < 0.5 s), and `status` cold on embedded PGlite (goal < 1.5 s; a
 * folder already migrated, as on every start after the first). Medians of a few runs, wall and CPU
 * (user + system of the whole process, all its threads, read as it exits), with the load average around
 * them: on a shared machine the wall time follows the load, the CPU time much less. `runner` says what
 * ran: the compiled dist/ when it is fresh, else the sources by Node's type stripping.
 * Alone: `node bench/cli-start.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/council.js');

/** Loaded before the command: writes the process's CPU time (µs) on fd 3 as it exits. */
const CPU_AT_EXIT = `data:text/javascript,${encodeURIComponent(
  'import { writeSync } from "node:fs"; process.on("exit", () => { const u = process.cpuUsage(); try { writeSync(3, JSON.stringify(u)); } catch {} });',
)}`;

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function timed(args: string[], env: NodeJS.ProcessEnv): Timing {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--import', CPU_AT_EXIT, BIN, ...args], { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (r.status !== 0) throw new Error(`council ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  const cpu = JSON.parse(String(r.output[3] ?? '{"user":0,"system":0}')) as { user: number; system: number };
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]!);
};

const medians = (ts: Timing[]) => ({ wallMs: median(ts.map((t) => t.wallMs)), cpuMs: median(ts.map((t) => t.cpuMs)) });

export async function benchCliStart(runs = 5): Promise<{
  runner: string;
  helpMs: number;
  versionMs: number;
  statusColdMs: number;
  helpCpuMs: number;
  versionCpuMs: number;
  statusColdCpuMs: number;
  /** The 1-minute load average before and after. */
  load: [number, number];
  helpUnderGoal: boolean;
  statusUnderGoal: boolean;
}> {
  const loadBefore = loadavg()[0]!;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-cli-')) };
  const help = medians(Array.from({ length: runs }, () => timed(['--help'], env)));
  const version = medians(Array.from({ length: runs }, () => timed(['--version'], env)));
  timed(['migrate'], env); // the first start on a folder creates the database: not a cold start
  const status = medians(Array.from({ length: Math.max(3, Math.ceil(runs / 2)) }, () => timed(['status', '--json'], env)));
  const built = join(ROOT, 'dist/.built');
  return {
    runner: existsSync(built) ? 'dist/ when fresh, else src/ stripped' : `src/ by type stripping (Node ${process.versions.node}; dist/ not built)`,
    helpMs: help.wallMs,
    versionMs: version.wallMs,
    statusColdMs: status.wallMs,
    helpCpuMs: help.cpuMs,
    versionCpuMs: version.cpuMs,
    statusColdCpuMs: status.cpuMs,
    load: [Math.round(loadBefore * 10) / 10, Math.round(loadavg()[0]! * 10) / 10],
    helpUnderGoal: help.wallMs < 500 && version.wallMs < 500,
    statusUnderGoal: status.wallMs < 1500,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${JSON.stringify(await benchCliStart(), null, 2)}\n`);
}
