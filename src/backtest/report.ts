/** The backtest's report folder: report.md, equity.png, drawdown.png and backtest.json. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { truncate } from '../bot/format.ts';
import { calibrationLines, costLine, deliberationLine, killShotLines, leaderboardLines } from '../bot/postmortem-text.ts';
import { postmortemCharts } from '../charts/postmortem-charts.ts';
import { type BacktestLlmSummary, type BacktestResult, backtestJson } from './engine.ts';

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
      `${result.weeks} weekly councils (seats: ${result.seats.join(', ')}; ${result.llm.mode === 'cache' ? 'LLM seats answering only from the LLM cache' : 'builtin systematic seats'}, approvals automatic) on the simulated broker,`,
      `marked at every session close from ${pm.from} to ${pm.to}. Positions are held from Monday's open to the next Monday's rebalance`,
      `unless a checkpoint exits them: ${result.checkpoints.toLocaleString('en-US')} checkpoints (before each open and at each session's last slot) closed ${exitText(result.exits)}.`,
      `${result.quietWeeks} weeks placed no orders. ${result.events.toLocaleString('en-US')} events in ${(wallMs / 1000).toFixed(1)} s.`,
      'SPY buy-and-hold and the equal-weight universe buy at the close before the first session and never rebalance.',
      '',
      '## Who answered',
      '',
      ...answerLines(result.llm, result.weeks),
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
      result.llm.mode === 'cache'
        ? 'Cost: $0.00 in this backtest: every LLM answer came from the cache (what each cost when first asked is recorded with the live run that asked it).'
        : costLine(pm),
      '',
      '## Charts',
      '',
      ...charts.map((c) => `![${c.title}](${c.fileName})`),
      '',
    ].join('\n'),
  );
  return { dir: out, markdown, json, charts: chartPaths };
}

function exitText(exits: BacktestResult['exits']): string {
  const names: Record<string, string> = { invalidation: 'on an invalidation rule', horizon: 'at the end of their horizon', kill_switch: 'by the kill switch' };
  const parts = Object.entries(exits).map(([reason, n]) => `${n} ${names[reason] ?? reason}`);
  return parts.length ? `positions ${parts.join(', ')}` : 'no position';
}

/** Per seat, how many weeks it answered (from the cache, for an LLM seat) and how many it abstained, with why. */
export function answerLines(llm: BacktestLlmSummary, weeks: number): string[] {
  const pct = (n: number) => `${Math.round((n / weeks) * 100)}%`;
  const lines = [`Seats: ${llm.reason}.`];
  if (llm.mode === 'cache') {
    lines.push(
      '',
      'An LLM seat answers only when the cache holds the exact prompt of that week; otherwise it abstains that week (no guess, no call).',
      'A seat that abstained most weeks has no track record here, whatever its account shows.',
    );
  }
  lines.push('', '| seat | model | answers from | pitched | abstained | reviewed | review abstained |', '|---|---|---|---:|---:|---:|---:|');
  for (const s of llm.seats)
    lines.push(`| ${s.seat} | ${s.model} | ${s.source === 'cache' ? 'LLM cache' : 'builtin'} | ${s.pitched} (${pct(s.pitched)}) | ${s.abstained} (${pct(s.abstained)}) | ${s.reviewed} | ${s.reviewAbstained} |`);
  const decided = Object.entries(llm.chairman.decidedBy)
    .map(([model, n]) => `${model} ${n}`)
    .join(', ');
  lines.push('', `Chairman (${llm.chairman.models.join(' → ')}): decided by ${decided || 'nobody'}; ${weeksText(llm.chairman.noDecision)} without a decision.`);
  if (llm.research.length) lines.push(`Research: ${llm.research.map((r) => `${r.model} answered ${r.answered}, failed ${r.failed}`).join('; ')}.`);
  if (llm.noQuorumWeeks) lines.push(`${weeksText(llm.noQuorumWeeks)} had too few valid pitches for a quorum: no review, no decision, no orders.`);
  const reasons = llm.seats.flatMap((s) => s.abstentions.map((a) => `${s.seat} ${a.stage}: ${truncate(a.reason, 300)} (${weeksText(a.weeks.length)}, first ${a.weeks[0]})`));
  if (reasons.length) lines.push('', 'Abstentions:', '', ...reasons.map((r) => `- ${r}`));
  return lines;
}

const weeksText = (n: number) => `${n} week${n === 1 ? '' : 's'}`;
