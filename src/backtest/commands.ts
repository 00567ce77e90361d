/**
 * `council backtest`: a thin wrapper that parses options, shows progress, writes the report and prints.
 * The work is in engine.ts. (`council postmortem` is the application's: src/app/postmortem.ts.)
 */
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import { createLogger } from '../logger.ts';
import { createCsvMarketData } from '../market/csv.ts';
import { type BacktestDeps, type BacktestProgress, backtestJson, runBacktest } from './engine.ts';
import { chooseLlm, type LlmRequest } from './llm-cache.ts';
import { writeBacktestReport } from './report.ts';

/** A one-line progress bar on a terminal; nothing when stderr is a pipe or a file. */
function progressBar(stream: NodeJS.WriteStream): ((p: BacktestProgress) => void) | undefined {
  if (!stream.isTTY) return undefined;
  return ({ done, total, week }) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} weeks (${week})${done === total ? '\n' : ''}`);
  };
}

/** `compose` is the composition root, passed in by the CLI (the backtest sits below it). */
export async function backtestCommand(
  config: Config,
  opts: { from: string; to: string; seats?: string; out?: string; llm?: LlmRequest; json: boolean },
  compose: BacktestDeps['compose'],
): Promise<number> {
  const logger = createLogger(config.logLevel);
  const started = performance.now();
  const llm = await chooseLlm(config, opts.llm);
  // Said on stderr either way, so a run that fell back to builtin seats is never mistaken for an LLM backtest.
  process.stderr.write(`council backtest: ${llm.reason}\n`);
  const result = await runBacktest(
    { compose, config, market: createCsvMarketData(config.marketDataDir), logger, llm, onProgress: progressBar(process.stderr) },
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
