/**
 * CPU per `/council status` once warm (issue 13, item 8: goal under 5 ms). A server-like app (embedded
 * PGlite in a folder, or PostgreSQL when a URL is given, the simulated broker, the bundled bars) holds
 * `weeks` weeks of councils, all approved and executed but the last, pending; then status is asked `calls` times
 * in a row and the process's CPU time (user + system) is divided by the calls. The cold first call is
 * reported apart. A halt between two calls checks that the cached view follows the state it changed.
 * `npx tsx bench/status.ts [calls] [databaseUrl|-] [weeks]`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../src/config/config.ts';
import { buildApp, partsOf } from '../src/compose.ts';

export interface StatusBench {
  database: 'pglite' | 'postgres' | 'memory';
  weeks: number;
  calls: number;
  coldCpuMs: number;
  /** CPU per call answered from the read model (nothing appended in between): the flood case. */
  cpuMsPerCall: number;
  /** CPU of a call right after an append (a refused click), which rebuilds the view. */
  rebuildCpuMs: number;
  wallMsPerCall: number;
  /** After a halt, the very next status says halted (the cache followed the change). */
  haltSeen: boolean;
  underGoal: boolean;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

export async function benchStatus(calls = 500, databaseUrl?: string, weeks = 8): Promise<StatusBench> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-status-'));
  // On PostgreSQL, a schema of its own, dropped afterwards.
  const schema = `bench_status_${process.pid}_${Date.now()}`;
  const admin = databaseUrl ? new pg.Pool({ connectionString: databaseUrl, max: 1 }) : undefined;
  let scoped: string | undefined;
  if (databaseUrl && admin) {
    await admin.query(`create schema ${schema}`);
    const url = new URL(databaseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    scoped = url.toString();
  }
  const config = loadConfig({ COUNCIL_DATA_DIR: dir, ...(scoped ? { DATABASE_URL: scoped } : {}) });
  const app = await buildApp(config, { logger: pino({ level: 'silent' }), clock: () => new Date('2024-03-20T15:00:00Z') });
  try {
    // Weeks of history, each approved and executed, then one pending: what a server holds after a while.
    const mondays = Array.from({ length: weeks }, (_, i) => new Date(Date.parse('2024-01-08T12:00:00Z') + i * 7 * 86_400_000).toISOString().slice(0, 10));
    for (const [i, week] of mondays.entries()) {
      const state = await app.run({ week });
      if (state.proposal && i < mondays.length - 1) await app.approve({ proposalId: state.proposal.proposalId, by: 'cli:bench', via: 'cli' });
    }

    let before = process.cpuUsage();
    await app.status();
    const coldCpuMs = cpuMs(process.cpuUsage(before));

    before = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < calls; i++) await app.status();
    const wallMs = performance.now() - started;
    const cpuMsPerCall = cpuMs(process.cpuUsage(before)) / calls;

    // A rebuild after each append: a refused click recorded, then status.
    const proposalId = (await app.weekState(mondays.at(-1) ?? '')).proposal?.proposalId ?? 'none';
    let rebuildCpu = 0;
    const rebuilds = 20;
    for (let i = 0; i < rebuilds; i++) {
      await app.approve({ proposalId, by: `slack:U${i}`, via: 'slack' }).catch(() => undefined);
      const at = process.cpuUsage();
      await app.status();
      rebuildCpu += cpuMs(process.cpuUsage(at));
    }

    await app.halt('cli:bench', true);
    const haltSeen = (await app.status()).halted.halted;
    await app.halt('cli:bench', false);
    const resumedSeen = !(await app.status()).halted.halted;
    return {
      database: partsOf(app).db.kind,
      weeks,
      calls,
      coldCpuMs: round3(coldCpuMs),
      cpuMsPerCall: round3(cpuMsPerCall),
      wallMsPerCall: round3(wallMs / calls),
      rebuildCpuMs: round3(rebuildCpu / rebuilds),
      haltSeen: haltSeen && resumedSeen,
      underGoal: cpuMsPerCall < 5 && haltSeen && resumedSeen,
    };
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
    if (admin) {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const calls = Number(process.argv[2] ?? 500);
  const url = process.argv[3] && process.argv[3] !== '-' ? process.argv[3] : undefined;
  process.stdout.write(`${JSON.stringify(await benchStatus(calls, url, Number(process.argv[4] ?? 8)), null, 2)}\n`);
}
