/**
 * The postmortem as fixed-width text lines: the console prints them, Slack and Discord can put them in
 * a code block, the backtest report embeds them. One wording for every channel.
 */
import type { Postmortem } from '../pipeline/postmortem.ts';
import { money } from './format.ts';

export const pct = (x: number | null, digits = 1): string => (x === null || !Number.isFinite(x) ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(digits)}%`);
const num = (x: number | null, digits = 2): string => (x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));
const pts = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pts`;

/** The leaderboard: every account, then the two benchmarks, best total return first. */
export function leaderboardLines(pm: Postmortem): string[] {
  const head = `${'Account'.padEnd(22)}${'Week P/L'.padStart(12)}${'Week'.padStart(8)}${'Total'.padStart(9)}${'Sharpe'.padStart(8)}${'Sortino'.padStart(9)}${'MaxDD'.padStart(8)}${'Hit'.padStart(6)}${'Avg win/loss'.padStart(20)}${'Turn'.padStart(7)}${'Fees'.padStart(10)}${'LLM $'.padStart(9)}${'P/L per $'.padStart(11)}`;
  const rows = [...pm.accounts]
    .sort((a, b) => b.performance.totalReturn - a.performance.totalReturn)
    .map((a) => {
      const p = a.performance;
      const winLoss = `${a.trades.averageWin === null ? 'n/a' : money(a.trades.averageWin)}/${a.trades.averageLoss === null ? 'n/a' : money(a.trades.averageLoss)}`;
      return `${`${a.account}${a.role === 'council' ? ' (council)' : ''}`.padEnd(22)}${money(a.weekPnl).padStart(12)}${pct(a.weekReturn).padStart(8)}${pct(p.totalReturn).padStart(9)}${num(p.sharpe).padStart(8)}${num(p.sortino).padStart(9)}${pct(-p.maxDrawdown).padStart(8)}${(a.trades.hitRate === null ? 'n/a' : `${Math.round(a.trades.hitRate * 100)}%`).padStart(6)}${winLoss.padStart(20)}${num(a.turnover, 1).padStart(7)}${money(a.fees).padStart(10)}${`$${a.usage.costUsd.toFixed(2)}`.padStart(9)}${(a.pnlPerTokenDollar === null ? 'n/a' : money(a.pnlPerTokenDollar)).padStart(11)}`;
    });
  const bench = [pm.benchmark, pm.equalWeight].map(
    (b) =>
      `${b.name.padEnd(22)}${''.padStart(12)}${pct(b.weekReturn).padStart(8)}${pct(b.performance.totalReturn).padStart(9)}${num(b.performance.sharpe).padStart(8)}${num(b.performance.sortino).padStart(9)}${pct(-b.performance.maxDrawdown).padStart(8)}`,
  );
  return [head, ...rows, ...bench];
}

export function deliberationLine(pm: Postmortem): string {
  const d = pm.deliberation;
  if (!d) return 'Did deliberation add value? No member accounts to compare with.';
  const verdict = d.vsBest >= 0 ? 'yes: it beat every member' : d.vsMedian >= 0 ? 'partly: it beat the median member, not the best' : 'no: it trailed the median member';
  return `Did deliberation add value? ${verdict}. Council ${pct(d.council)} vs best member ${d.best.account} ${pct(d.best.totalReturn)} (${pts(d.vsBest)}) and median member ${pct(d.median)} (${pts(d.vsMedian)}).`;
}

export function calibrationLines(pm: Postmortem): string[] {
  if (pm.calibration.length === 0) return ['Reviewer calibration: no reviews with realised outcomes yet.'];
  return [
    'Reviewer calibration (does a higher rubric score mean a better realised return?):',
    `  ${'Reviewer'.padEnd(12)}${'Pitches'.padStart(8)}${'Mean score'.padStart(12)}${'Correlation'.padStart(13)}`,
    ...pm.calibration.map((c) => `  ${c.reviewer.padEnd(12)}${String(c.pitches).padStart(8)}${num(c.meanScore, 1).padStart(12)}${num(c.correlation).padStart(13)}`),
  ];
}

export function killShotLines(pm: Postmortem, week: string | null = pm.week, max = 5): string[] {
  const shots = pm.killShots.filter((k) => week === null || k.week === week).slice(0, max);
  if (shots.length === 0) return [`Kill shots that came true${week ? ' this week' : ''}: none.`];
  return [
    `Kill shots that came true${week ? ' this week' : ' (worst outcomes)'} (the pitch attacked lost money):`,
    ...shots.map((k) => `  ${k.reviewer} on ${k.target}'s ${k.trade} (${pct(k.realised)}${week ? '' : `, week of ${k.week}`}): ${k.killShot} Flip: ${k.flipCondition}`),
  ];
}

export function costLine(pm: Postmortem): string {
  const u = pm.usage;
  if (u.calls === 0) return 'Cost: $0.00 of LLM spend (systematic seats, no model calls), so P/L per token dollar is n/a.';
  return `Cost: $${u.costUsd.toFixed(4)} of LLM spend over ${u.calls} calls (${u.promptTokens.toLocaleString('en-US')} in / ${u.completionTokens.toLocaleString('en-US')} out tokens).`;
}

export function postmortemLines(pm: Postmortem): string[] {
  return [
    `Marked at session closes from ${pm.from} to ${pm.to} (${pm.weeks} council week${pm.weeks === 1 ? '' : 's'}); week P/L since the close of ${pm.weekFrom}.`,
    ...leaderboardLines(pm),
    deliberationLine(pm),
    ...calibrationLines(pm),
    ...killShotLines(pm),
    costLine(pm),
  ];
}
