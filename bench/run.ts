/**
 * `npm run bench`: every benchmark in one table, written to bench/results.json, each figure with its
 * goal and whether it met it. Benchmarks other engineers own are imported when present and reported as
 * "not available" otherwise. `npm run bench -- serve append` runs only the rows whose name contains one
 * of the words given (case-insensitive), written to bench/results.local.json instead.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchAppend } from './append.ts';
import { benchBacktestCli, benchBacktestScaling, longestSpan } from './backtest.ts';
import { benchCliStart } from './cli-start.ts';
import { benchFirstRun } from './first-run.ts';
import { benchMachine } from './machine.ts';
import { benchDashboardChange, benchStopNotice } from './push.ts';
import { serveMemoryPglite, serveMemoryPostgres } from './serve-memory.ts';
import { benchSlackFlood, benchSlackFloodPostgres } from './slack-flood.ts';
import { benchSlashAck } from './slash-ack.ts';
import { benchSnapshots } from './snapshot.ts';
import { benchStatus } from './status.ts';

/** `pass` is null when the bench did not run or failed, or has no goal (the machine's own speed). */
type Row = { bench: string; figure: string; goal: string; pass: boolean | null; detail: unknown };
// biome-ignore lint/suspicious/noExplicitAny: each bench's detail has its own shape; the judge reads its own bench's fields.
type Detail = any;
/** How to read one bench's detail: the headline figure and whether it meets the goal. */
type Judge = (d: Detail) => { figure: string; pass: boolean | null };

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
  const only = process.argv.slice(2).map((word) => word.toLowerCase());
  const selected = (bench: string) => only.length === 0 || only.some((word) => bench.toLowerCase().includes(word));
  const record = async (bench: string, goal: string, fn: (() => Promise<unknown>) | undefined, judge: Judge) => {
    if (!selected(bench)) return;
    if (!fn) {
      rows.push({ bench, figure: 'not available', goal, pass: null, detail: null });
      return;
    }
    try {
      const detail = await fn();
      rows.push({ bench, ...judge(detail), goal, detail: { ...(detail as object), summary: summary(detail) } });
    } catch (error) {
      rows.push({ bench, figure: `failed: ${(error as Error).message}`, goal, pass: null, detail: null });
    }
  };

  // First, before anything else has run: how fast this machine is, to read every timed row against.
  await record(
    "machine reference: fixed plain JavaScript, none of the project's code",
    'none: tells the machine',
    async () => benchMachine(),
    (d) => ({ figure: `${d.fastestMs} ms fastest (median ${d.medianMs} ms, ${d.rounds} rounds), ${d.cpuModel}`, pass: null }),
  );

  // Issue 21: the ten-year and the longest backtest through the CLI, and the cost per week. One in-process
  // run of both spans feeds the first row and the last.
  let scalingRun: ReturnType<typeof benchBacktestScaling> | undefined;
  const scaling = () => {
    scalingRun ??= benchBacktestScaling();
    return scalingRun;
  };
  await record(
    'backtest 2015-01-05..2024-12-27',
    '521 weeks < 10 s (> 52 weeks/s)',
    async () => (await scaling()).ten,
    (d) => ({
      figure: `${d.weeksPerSecond} weeks/s (${d.weeks} weeks in ${d.wallMs} ms, ${d.eventsPerSecond} events/s)`,
      pass: d.underGoal,
    }),
  );
  await record(
    'backtest 2015-01-05..2024-12-27, CLI wall',
    '< 3 s',
    () => benchBacktestCli('2015-01-05', '2024-12-27', 3_000),
    (d) => ({
      figure: `${d.wallMs} ms`,
      pass: d.underGoal,
    }),
  );
  const longestCli = async () => {
    const span = await longestSpan();
    return benchBacktestCli(span.from, span.to, 6_000);
  };
  await record('longest backtest the bundled data allows, CLI wall', '< 6 s', longestCli, (d) => ({
    figure: `${d.wallMs} ms (${d.from}..${d.to})`,
    pass: d.underGoal,
  }));
  await record('backtest cost per week: longest / ten-year time, in process', '<= 2.1 (flat: the weeks ratio)', scaling, (d) => ({
    figure: `${d.timeRatio} for ${d.weeksRatio}x the weeks (${d.longest.weeks} weeks in ${d.longest.wallMs} ms, ${d.ten.weeks} in ${d.ten.wallMs} ms)`,
    pass: d.underGoal,
  }));
  await record('weekly snapshots 2015-2024', 'all < 5 s', benchSnapshots, (d) => ({
    figure: `${d.perSnapshotMs} ms each (${d.snapshots} in ${d.wallMs} ms)`,
    pass: d.underBudget,
  }));
  await record('council critical path', 'wall / critical path < 1.1', await optional('./council-critical-path.ts', 'benchCriticalPath'), (d) => ({
    figure: `ratio ${d.ratio} (${d.wallMs} ms over ${d.criticalPathMs} ms, fake LLM ${d.latencyMs} ms)`,
    pass: d.ratio < 1.1,
  }));
  await record(
    'slash ack during a run',
    'p99 < 100 ms',
    () => benchSlashAck(),
    (d) => ({
      figure: `p50 ${d.p50Ms} ms, p99 ${d.p99Ms} ms (${d.samples} acks at ${d.perSecond}/s)`,
      pass: d.underGoal,
    }),
  );
  const floodRow: Judge = (d) => ({
    figure: `${d.answeredInTime}/${d.sent} answered < 3 s (p50 ${d.ackP50Ms} ms, p99 ${d.ackP99Ms} ms; ${d.slowedDown} slowed, ${d.busy} busy, ${d.statusesDelivered}/${d.statusesServed} statuses delivered); Approve ${d.approveAckMs} ms, repeats ≤ ${d.repeatClickMaxMs} ms; ${d.cpuMsPerRequest} ms CPU/request, load ${d.loadAverage}`,
    pass: d.underGoal,
  });
  const floodGoal = 'all answered < 3 s; Approve acked < 3 s after it is recorded';
  await record('slack flood: 200 signed /council status/s for 10 s, Approve clicked meanwhile', floodGoal, () => benchSlackFlood(), floodRow);
  // The fault scenario (test/faults/slack-flood.test.ts) runs the same flood on PostgreSQL in CI.
  const floodDatabase = process.env['TEST_DATABASE_URL'];
  await record('slack flood on PostgreSQL: the same, the bot on PostgreSQL 15', floodGoal, floodDatabase ? () => benchSlackFloodPostgres(floodDatabase) : undefined, floodRow);
  // The click reads every account's book, then sends (issue 13): one round trip each, plus the append.
  await record('approve to 6 orders accepted', 'p95 < 2.5 broker round trips (one to read the books, one to send)', await optional('./broker-approve.ts', 'benchApprove'), (d) => ({
    figure: `p50 ${d.p50Ms} ms, p95 ${d.p95Ms} ms = ${d.p95Ratio} round trips of ${d.roundTripMs} ms (${d.rounds} samples)`,
    pass: d.underGoal,
  }));
  // Issues 17 and 19: pushed updates, timed here; the tests show only that they are pushed.
  const pushRow: Judge = (d) => ({
    figure: `median ${d.medianMs} ms, max ${d.maxMs} ms (${d.samples} samples${d.pollMs ? `, feed polling every ${d.pollMs} ms` : `, ${d.accounts} accounts a round`})`,
    pass: d.underGoal,
  });
  await record('push: stop hit on the fake Alpaca -> order_update notice, through the SDK trade stream', '< 2 s', () => benchStopNotice(), pushRow);
  await record("push: event appended -> change on a second dashboard replica's /events", '< 2 s', () => benchDashboardChange(), pushRow);
  const statusRow: Judge = (d) => ({
    figure: `${d.cpuMsPerCall} ms CPU per call warm, ${d.rebuildCpuMs} ms after an append (${d.calls} calls, ${d.weeks} weeks held${d.haltSeen ? '' : ', STALE after a halt'})`,
    pass: d.underGoal,
  });
  await record('status CPU on PGlite', '< 5 ms CPU per call, never stale', () => benchStatus(), statusRow);
  await record(
    'status CPU on PostgreSQL',
    '< 5 ms CPU per call, never stale',
    process.env['TEST_DATABASE_URL'] ? () => benchStatus(500, process.env['TEST_DATABASE_URL']) : undefined,
    statusRow,
  );
  // One run of the CLI bench feeds two rows.
  let cliRun: ReturnType<typeof benchCliStart> | undefined;
  const cli = () => {
    cliRun ??= benchCliStart();
    return cliRun;
  };
  await record('council --help / --version', '< 500 ms each', cli, (d) => ({
    figure: `--help ${d.helpMs} ms, --version ${d.versionMs} ms median wall; ${d.helpCpuMs} / ${d.versionCpuMs} ms CPU (${d.runner}; load ${d.load.join('-')})`,
    pass: d.helpUnderGoal,
  }));
  await record('council status cold start (PGlite)', '< 1500 ms', cli, (d) => ({
    figure: `${d.statusColdMs} ms median wall, ${d.statusColdCpuMs} ms CPU (${d.runner}; load ${d.load.join('-')})`,
    pass: d.statusUnderGoal,
  }));
  // Issue 21: resident after warm-up and a council week; on PGlite on first start and on reopen alike.
  await record('serve RSS on PGlite, after a council week', '< 300 MB, first start and reopen', serveMemoryPglite, (d) => ({
    figure: `first start ${d.first.rssMb} MB (peak ${d.first.peakRssMb}), reopen ${d.reopen.rssMb} MB (peak ${d.reopen.peakRssMb})`,
    pass: d.first.rssMb < 300 && d.reopen.rssMb < 300,
  }));
  const pg = process.env['TEST_DATABASE_URL'];
  await record('serve RSS on PostgreSQL, after a council week', '< 130 MB', pg ? () => serveMemoryPostgres(pg) : undefined, (d) => ({
    figure: `${d.rssMb} MB (peak ${d.peakRssMb} MB)`,
    pass: d.rssMb < 130,
  }));
  await record('first council run on a fresh data folder (PGlite)', '< 3 s', benchFirstRun, (d) => ({
    figure: `${d.medianMs} ms median wall (${d.fastestMs}-${d.slowestMs} ms, ${d.runs} runs)${d.templateMadeMs ? `; template made first in ${d.templateMadeMs} ms` : ''}`,
    pass: d.underGoal,
  }));
  const appendRow: Judge = (d) => ({
    figure: `${Math.round(d.judged * 100)} % ${d.database === 'pglite' ? 'in CPU time' : 'wall'} (wall ${Math.round(d.ratio * 100)} %: ${d.appendsPerSecond} appends/s, plain insert ${d.insertsPerSecond}/s)`,
    pass: d.underGoal,
  });
  await record('single-event append on PGlite, vs a plain prepared insert', '>= 80 %', () => benchAppend(), appendRow);
  await record('single-event append on PostgreSQL, vs a plain prepared insert', '>= 80 %', pg ? () => benchAppend(pg) : undefined, appendRow);

  const verdict = (pass: boolean | null) => (pass === null ? '-' : pass ? 'pass' : 'FAIL');
  const columns = ['benchmark', 'figure', 'goal', 'pass'] as const;
  const cells = rows.map((r) => [r.bench, r.figure, r.goal, verdict(r.pass)]);
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) =>
    `${row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()}\n`;
  process.stdout.write(line(columns) + line(widths.map((w) => '-'.repeat(w))));
  for (const row of cells) process.stdout.write(line(row));
  // A partial run must not overwrite the full table: it goes to an ignored file.
  const out = fileURLToPath(new URL(only.length === 0 ? './results.json' : './results.local.json', import.meta.url));
  writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, machine: machine(), rows }, null, 2)}\n`);
  process.stdout.write(`\nwritten to ${out}\n`);
}

function machine(): { cores: number; cpu: string; memoryGb: number; loadAverage: number[] } {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    loadAverage: loadavg().map((x) => Math.round(x * 10) / 10),
  };
}

await main();
