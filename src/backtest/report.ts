/**
 * The backtest's report folder: report.md, the charts, backtest.json and the exports (fills.csv,
 * trades.csv, equity.csv). report.md and backtest.json hold nothing that varies between two runs of
 * the same backtest (the wall time goes to stderr and --json only).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { truncate } from '../bot/format.ts';
import {
  calibrationLines,
  costLine,
  deliberationLine,
  exitReasonLines,
  footingLines,
  killShotLines,
  leaderboardLines,
  monthlyLines,
  symbolLines,
  tradeLines,
  yearlyLines,
} from '../bot/postmortem-text.ts';
import { postmortemCharts } from '../charts/postmortem-charts.ts';
import { type BacktestLlmSummary, type BacktestResult, backtestJson } from './engine.ts';
import { writeExports } from '../app/exports.ts';

export interface ReportFiles {
  dir: string;
  markdown: string;
  json: string;
  charts: string[];
  exports: string[];
}

export async function writeBacktestReport(dir: string, result: BacktestResult): Promise<ReportFiles> {
  const out = resolve(dir);
  await mkdir(out, { recursive: true });
  const pm = result.postmortem;
  // The charts render on libuv's thread pool while the exports are written here.
  const rendering = postmortemCharts(pm, `backtest of ${result.weeks} weeks`, { report: true });
  const exports = await writeExports(out, pm);
  const charts = await rendering;
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
      `${result.quietWeeks} weeks placed no orders. ${result.events.toLocaleString('en-US')} events.`,
      'SPY buy-and-hold and the equal-weight universe buy whole shares at the close before the first session, paying the same slippage and fees as the accounts, and never rebalance.',
      `Risk-free rate (Sharpe, Sortino, alpha): ${pm.riskFree.source}. Idle cash ${pm.riskFree.cashInterest ? 'earns that rate in the simulated broker (broker.cashInterest: true)' : 'earns nothing (broker.cashInterest: false, as on Alpaca paper)'}.`,
      ...gapLines(result),
      '',
      '## Who answered',
      '',
      ...answerLines(result.llm, result.weeks),
      '',
      '## Leaderboard',
      '',
      ...block(leaderboardLines(pm, { week: false })),
      '',
      'Sharpe, Sortino and volatility need at least 20 daily returns, correlations at least 10 pairs; below that they read "n/a".',
      '',
      '## One footing',
      '',
      'Exposure is gross position value over equity at each close, averaged; "In mkt" the share of closes holding anything. Beta and alpha (annualised, on excess returns) and the information ratio are against SPY\'s daily returns.',
      "SPY@exp and EW@exp are SPY and the equal-weight universe held at the account's average exposure (rest in cash), after the same entry costs. DD days: the longest stretch below a previous peak, in sessions (+ when still running).",
      '',
      ...block(footingLines(pm)),
      '',
      '## Round trips',
      '',
      "Fills matched first in, first out per account and symbol (an exit and the next entry at one open never blend); P/L net of both sides' fees. PF: profit factor (gross wins over gross losses); Expect.: mean P/L per round trip; Hold d: mean calendar days held.",
      '',
      ...block(tradeLines(pm)),
      '',
      '### By symbol',
      '',
      ...block(symbolLines(pm.ledger.trips)),
      '',
      '### Exits by reason',
      '',
      `Round trips by what closed them (rebalance: the next weekly proposal; trim: cut back to a risk limit; stop, take-profit: the position's protective leg at the broker). Exits ordered by the checkpoints, as recorded: ${exitText(result.exits)}.`,
      `Positions closed at the broker between checkpoints by their protective legs (daily bars: a stop fills at its price, or at the open through it; the stop assumed first when a bar reaches both): ${result.legs.stop} stops, ${result.legs.takeProfit} take-profits.`,
      `Trims back to the risk limits (a position more than 5% past maxPositionPct, or the book past maxGrossPct, at a checkpoint): ${result.trims.maxPositionPct} to maxPositionPct, ${result.trims.maxGrossPct} to maxGrossPct.`,
      `Orders netted (one order per account and symbol per session): ${result.netted.canceledOut} exits or trims cancelled out by the next proposal's order of the same symbol at the same open (nothing traded), ${result.netted.folded} folded into it as one order.`,
      '',
      ...block(exitReasonLines(pm)),
      '',
      '## Returns by year',
      '',
      ...block(yearlyLines(pm)),
      '',
      '## Returns by month',
      '',
      ...block(monthlyLines(pm, pm.accounts.find((a) => a.role === 'council')?.account ?? pm.accounts[0]?.account ?? '')),
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
  return { dir: out, markdown, json, charts: chartPaths, exports };
}

function gapLines(result: BacktestResult): string[] {
  const stale = result.postmortem.marks.flatMap((a) => a.marks.filter((m) => m.stale).map((m) => `${a.account} ${m.date} (${m.stale!.join(', ')})`));
  const lines: string[] = [];
  if (result.skipped.length) lines.push('', `Skipped for gaps in the bars (${result.skipped.length}):`, '', ...result.skipped.map((s) => `- ${s.what} ${s.at}: ${s.reason}`));
  if (stale.length)
    lines.push(
      '',
      `Marked at an earlier close for want of that session's bar (${stale.length} account closes): ${stale.slice(0, 20).join('; ')}${stale.length > 20 ? '; …' : ''}.`,
    );
  return lines;
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
    lines.push(
      `| ${s.seat} | ${s.model} | ${s.source === 'cache' ? 'LLM cache' : 'builtin'} | ${s.pitched} (${pct(s.pitched)}) | ${s.abstained} (${pct(s.abstained)}) | ${s.reviewed} | ${s.reviewAbstained} |`,
    );
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
