/**
 * `npm run bench`: every benchmark in one table, written to bench/results.json. Benchmarks other
 * engineers own are imported when present and reported as "not available" otherwise.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchBacktest } from './backtest.ts';
import { serveMemory } from './serve-memory.ts';
import { benchSnapshots } from './snapshot.ts';

type Row = { bench: string; result: string; detail: unknown };

async function optional(module: string, exportName: string): Promise<(() => Promise<unknown>) | undefined> {
  try {
    const mod = (await import(module)) as Record<string, unknown>;
    const fn = mod[exportName];
    return typeof fn === 'function' ? (fn as () => Promise<unknown>) : undefined;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

const summary = (value: unknown): string =>
  typeof value === 'object' && value !== null
    ? Object.entries(value)
        .filter(([, v]) => typeof v !== 'object')
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')
    : String(value);

async function main(): Promise<void> {
  const rows: Row[] = [];
  const record = async (bench: string, fn: (() => Promise<unknown>) | undefined) => {
    if (!fn) {
      rows.push({ bench, result: 'not available', detail: null });
      return;
    }
    try {
      const detail = await fn();
      rows.push({ bench, result: summary(detail), detail });
    } catch (error) {
      rows.push({ bench, result: `failed: ${(error as Error).message}`, detail: null });
    }
  };

  await record('backtest 2015-01-05..2024-12-27', () => benchBacktest());
  await record('weekly snapshots 2015-2024', benchSnapshots);
  await record('council critical path', await optional('./council-critical-path.ts', 'benchCriticalPath'));
  await record('broker approve', await optional('./broker-approve.ts', 'benchApprove'));
  await record('serve RSS on PGlite', () => serveMemory());
  const pg = process.env['TEST_DATABASE_URL'];
  await record('serve RSS on PostgreSQL', pg ? () => serveMemory(pg) : undefined);

  const width = Math.max(...rows.map((r) => r.bench.length));
  process.stdout.write(`${'benchmark'.padEnd(width)}  result\n${'-'.repeat(width)}  ${'-'.repeat(60)}\n`);
  for (const r of rows) process.stdout.write(`${r.bench.padEnd(width)}  ${r.result}\n`);
  const out = fileURLToPath(new URL('./results.json', import.meta.url));
  writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
  process.stdout.write(`\nwritten to ${out}\n`);
}

await main();
