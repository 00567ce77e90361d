/** The backtest's report folder: report.md, equity.png, drawdown.png and backtest.json. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { calibrationLines, costLine, deliberationLine, killShotLines, leaderboardLines } from '../bot/postmortem-text.ts';
import { postmortemCharts } from '../charts/postmortem-charts.ts';
import { type BacktestResult, backtestJson } from './engine.ts';

export interface ReportFiles {
  dir: string;
  markdown: string;
  json: string;
  charts: string[];
}

export async function writeBacktestReport(dir: string, result: BacktestResult, wallMs: number): Promise<ReportFiles> {
  const out = resolve(dir);
  await mkdir(out, { recursive: true });
  const pm = result.postmortem;
  const charts = postmortemCharts(pm, `backtest of ${result.weeks} weeks`);
  const chartPaths: string[] = [];
  for (const c of charts) {
    const path = join(out, c.fileName);
    await writeFile(path, c.png);
    chartPaths.push(path);
  }
  const json = join(out, 'backtest.json');
  await writeFile(json, `${JSON.stringify(backtestJson(result), null, 2)}\n`);
  const markdown = join(out, 'report.md');
  const block = (lines: string[]) => ['```', ...lines, '```'];
  await writeFile(
    markdown,
    [
      `# Backtest ${result.from} to ${result.to}`,
      '',
      `${result.weeks} weekly councils (seats: ${result.seats.join(', ')}; builtin systematic seats, approvals automatic) on the simulated broker,`,
      `marked at every session close from ${pm.from} to ${pm.to}. Positions are held from Monday's open to the next Monday's rebalance.`,
      `${result.quietWeeks} weeks placed no orders. ${result.events.toLocaleString('en-US')} events in ${(wallMs / 1000).toFixed(1)} s.`,
      'SPY buy-and-hold and the equal-weight universe buy at the close before the first session and never rebalance.',
      '',
      '## Leaderboard',
      '',
      ...block(leaderboardLines(pm)),
      '',
      '## Did deliberation add value?',
      '',
      deliberationLine(pm),
      '',
      '## Reviewer calibration',
      '',
      ...block(calibrationLines(pm)),
      '',
      ...block(killShotLines(pm, null, 10)),
      '',
      '## Cost',
      '',
      costLine(pm),
      '',
      '## Charts',
      '',
      ...charts.map((c) => `![${c.title}](${c.fileName})`),
      '',
    ].join('\n'),
  );
  return { dir: out, markdown, json, charts: chartPaths };
}
