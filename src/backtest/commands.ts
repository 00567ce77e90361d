/**
 * `council backtest` and `council postmortem`: thin wrappers that parse options, show progress, write
 * files and print. The work is in engine.ts and pipeline/postmortem.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { App } from '../app.ts';
import { postmortemCharts } from '../charts/postmortem-charts.ts';
import type { Config } from '../config/config.ts';
import { createLogger } from '../logger.ts';
import { createCsvMarketData } from '../market/csv.ts';
import { bundledRiskFree } from '../market/rates.ts';
import { addDays, mondayOf, nyDateTime } from '../market/time.ts';
import type { PostmortemChart } from '../pipeline/notices.ts';
import { type Postmortem, type PostmortemDeps, publishPostmortem } from '../pipeline/postmortem.ts';
import { type BacktestProgress, backtestJson, runBacktest } from './engine.ts';
import { chooseLlm, type LlmRequest } from './llm-cache.ts';
import { writeExports } from './exports.ts';
import { writeBacktestReport } from './report.ts';

/** What the postmortem needs, taken from a wired App (the scheduler's weekly job can use this too). */
export function postmortemDepsOf(app: App): PostmortemDeps {
  const { config, store, market, calendar } = app.deps;
  return {
    store,
    market,
    calendar,
    council: app.councilId,
    startingCash: config.file.risk.startingCash,
    universe: config.file.universe,
    accounts: app.accounts,
    seatAccounts: Object.fromEntries(config.file.seats.map((s) => [s.id, s.account])),
    chairAccount: config.file.chairman.account,
    riskFree: bundledRiskFree(),
    costs: config.file.broker,
    cashInterest: config.file.broker.cashInterest,
  };
}

/** Renders the charts and writes them under `dir`, for the notice's uploaders and the user's disk. */
export function chartWriter(dir: string): (pm: Postmortem) => Promise<PostmortemChart[]> {
  return async (pm) => {
    await mkdir(dir, { recursive: true });
    return Promise.all(
      postmortemCharts(pm).map(async (c) => {
        const path = join(dir, c.fileName);
        await writeFile(path, c.png);
        return { ...c, path };
      }),
    );
  };
}

/** The weekly postmortem for `week` (default: the week `run` would pick), marked no later than that Friday's close. */
export async function postmortemCommand(app: App, opts: { week?: string; out?: string }): Promise<{ postmortem: Postmortem; charts: PostmortemChart[] }> {
  const week = opts.week ? mondayOf(opts.week) : await app.defaultWeek();
  // A week outside the data would be built from other weeks' bars: refused with the range that exists.
  await app.assertWeekInData(week);
  const mark = await app.markTime();
  const weekEnd = nyDateTime(addDays(week, 4), '20:00');
  const asOf = new Date(Math.min(mark.getTime(), weekEnd.getTime()));
  const dir = resolve(opts.out ?? join(app.deps.config.dataDir, 'postmortems', week));
  const result = await publishPostmortem({ ...postmortemDepsOf(app), sink: app.sink, charts: chartWriter(dir) }, { week, asOf });
  await mkdir(dir, { recursive: true });
  await writeExports(dir, result.postmortem);
  return result;
}

/** A one-line progress bar on a terminal; nothing when stderr is a pipe or a file. */
function progressBar(stream: NodeJS.WriteStream): ((p: BacktestProgress) => void) | undefined {
  if (!stream.isTTY) return undefined;
  return ({ done, total, week }) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} weeks (${week})${done === total ? '\n' : ''}`);
  };
}

export async function backtestCommand(config: Config, opts: { from: string; to: string; seats?: string; out?: string; llm?: LlmRequest; json: boolean }): Promise<number> {
  const logger = createLogger(config.logLevel);
  const started = performance.now();
  const llm = await chooseLlm(config, opts.llm);
  // Said on stderr either way, so a run that fell back to builtin seats is never mistaken for an LLM backtest.
  process.stderr.write(`council backtest: ${llm.reason}\n`);
  const result = await runBacktest(
    { config, market: createCsvMarketData(config.marketDataDir), logger, llm, onProgress: progressBar(process.stderr) },
    {
      from: opts.from,
      to: opts.to,
      seats: opts.seats
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    },
  );
  const wallMs = performance.now() - started;
  const report = await writeBacktestReport(opts.out ?? join(config.dataDir, 'backtests', `${opts.from}_${opts.to}`), result);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ...backtestJson(result), wallMs: Math.round(wallMs), report: report.dir }, null, 2)}\n`);
  } else {
    const c = result.postmortem.accounts.find((a) => a.role === 'council');
    const b = result.postmortem.benchmark.performance;
    process.stdout.write(
      [
        `Backtest ${result.from} to ${result.to}: ${result.weeks} weeks, ${result.events.toLocaleString('en-US')} events in ${(wallMs / 1000).toFixed(1)} s.`,
        c ? `Council total return ${(c.performance.totalReturn * 100).toFixed(1)}% vs SPY buy-and-hold ${(b.totalReturn * 100).toFixed(1)}%.` : '',
        ...(result.llm.mode === 'cache'
          ? [
              `Seats answered from the LLM cache (a seat abstains any week the cache lacks its prompt): ${result.llm.seats
                .map((s) => (s.source === 'cache' ? `${s.seat} ${s.pitched}/${result.weeks}` : `${s.seat} builtin`))
                .join(', ')}; ${result.llm.noQuorumWeeks} weeks without a quorum (--llm off: the builtin seats).`,
            ]
          : []),
        `Report: ${report.markdown}`,
        `Charts: ${report.charts.join(', ')}`,
        '',
      ].join('\n'),
    );
  }
  return 0;
}
