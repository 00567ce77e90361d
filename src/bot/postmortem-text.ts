/**
 * The postmortem as fixed-width text lines: the console prints them, Slack and Discord can put them in
 * a code block, the backtest report embeds them. One wording for every channel.
 */
import type { RoundTrip } from '../domain/ledger.ts';
import { MIN_WEEKS, type Performance, periodicReturns } from '../domain/metrics.ts';
import type { Postmortem } from '../pipeline/postmortem.ts';
import { money, pct as signedPct, signedMoney } from './format.ts';

/** A signed percentage as every channel writes one (format.ts), or n/a. */
export const pct = (x: number | null): string => (x === null || !Number.isFinite(x) ? 'n/a' : signedPct(x));
const num = (x: number | null, digits = 2): string => (x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));
/** A share of something (exposure, time in market): no sign. */
const share = (x: number | null, digits = 1): string => (x === null || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(digits)}%`);
/** A ratio that needs 20 daily returns: "n/a (N sessions)" below that, never a number from five points. */
export const ratio = (x: number | null, p: Pick<Performance, 'sessions'>): string => (x === null && p.sessions < 20 ? `n/a (${p.sessions} sessions)` : num(x));

/**
 * The leaderboard: every account, then the two benchmarks, best total return first. `week: false` leaves
 * out the week's columns (a backtest's last week is no summary of it).
 */
export function leaderboardLines(pm: Postmortem, o: { week?: boolean } = {}): string[] {
  const week = o.week ?? true;
  const w = (a: string, b: string) => (week ? `${a.padStart(12)}${b.padStart(8)}` : '');
  const r = (x: number | null, p: Performance) => ratio(x, p).padStart(p.sessions < 20 && x === null ? 20 : 8);
  const head = `${'Account'.padEnd(22)}${w('Week P/L', 'Week')}${'Total'.padStart(9)}${'Sharpe'.padStart(pm.dates.length <= 20 ? 20 : 8)}${'Sortino'.padStart(pm.dates.length <= 20 ? 20 : 9)}${'MaxDD'.padStart(8)}${'Hit'.padStart(6)}${'Avg win/loss'.padStart(20)}${'Turn'.padStart(7)}${'Fees'.padStart(10)}${'LLM $'.padStart(9)}${'P/L per $'.padStart(11)}`;
  const rows = [...pm.accounts]
    .sort((a, b) => b.performance.totalReturn - a.performance.totalReturn)
    .map((a) => {
      const p = a.performance;
      const winLoss = `${a.trades.averageWin === null ? 'n/a' : money(a.trades.averageWin)}/${a.trades.averageLoss === null ? 'n/a' : money(a.trades.averageLoss)}`;
      return `${`${a.account}${a.role === 'council' ? ' (council)' : ''}`.padEnd(22)}${w(signedMoney(a.weekPnl), pct(a.weekReturn))}${pct(p.totalReturn).padStart(9)}${r(p.sharpe, p)}${r(p.sortino, p).padStart(9)}${pct(-p.maxDrawdown).padStart(8)}${(a.trades.hitRate === null ? 'n/a' : `${Math.round(a.trades.hitRate * 100)}%`).padStart(6)}${winLoss.padStart(20)}${num(a.turnover, 1).padStart(7)}${money(a.fees).padStart(10)}${`$${a.usage.costUsd.toFixed(2)}`.padStart(9)}${(a.pnlPerTokenDollar === null ? 'n/a' : money(a.pnlPerTokenDollar)).padStart(11)}`;
    });
  const bench = [pm.benchmark, pm.equalWeight].map(
    (b) =>
      `${b.name.padEnd(22)}${w('', pct(b.weekReturn))}${pct(b.performance.totalReturn).padStart(9)}${r(b.performance.sharpe, b.performance)}${r(b.performance.sortino, b.performance).padStart(9)}${pct(-b.performance.maxDrawdown).padStart(8)}`,
  );
  return [head, ...rows, ...bench];
}

/** One footing: exposure, time in market, beta and alpha to SPY, information ratio, and the benchmarks scaled to the account's exposure. */
export function footingLines(pm: Postmortem): string[] {
  const head = `${'Account'.padEnd(22)}${'Exposure'.padStart(9)}${'In mkt'.padStart(8)}${'Beta'.padStart(7)}${'Alpha'.padStart(8)}${'IR'.padStart(7)}${'Total'.padStart(9)}${'SPY@exp'.padStart(9)}${'EW@exp'.padStart(9)}${'Calmar'.padStart(8)}${'DD days'.padStart(9)}`;
  const rows = pm.accounts.map(
    (a) =>
      `${`${a.account}${a.role === 'council' ? ' (council)' : ''}`.padEnd(22)}${share(a.exposure).padStart(9)}${share(a.timeInMarket, 0).padStart(8)}${num(a.beta).padStart(7)}${pct(a.alpha).padStart(8)}${num(a.informationRatio).padStart(7)}${pct(a.performance.totalReturn).padStart(9)}${pct(a.scaled.spy.totalReturn).padStart(9)}${pct(a.scaled.equalWeight.totalReturn).padStart(9)}${num(a.calmar).padStart(8)}${`${a.drawdownSessions.sessions}${a.drawdownSessions.ongoing ? '+' : ''}`.padStart(9)}`,
  );
  return [head, ...rows];
}

/** Round-trip statistics per account from the FIFO ledger, net of fees. */
export function tradeLines(pm: Postmortem): string[] {
  const head = `${'Account'.padEnd(22)}${'Trades'.padStart(7)}${'Hit'.padStart(6)}${'Avg win'.padStart(11)}${'Avg loss'.padStart(11)}${'PF'.padStart(6)}${'Expect.'.padStart(10)}${'Hold d'.padStart(8)}${'Net P/L'.padStart(12)}${'Fees'.padStart(11)}`;
  return [
    head,
    ...pm.accounts.map((a) => {
      const t = a.trades;
      const m = (x: number | null) => (x === null ? 'n/a' : money(x));
      return `${a.account.padEnd(22)}${String(t.trades).padStart(7)}${(t.hitRate === null ? 'n/a' : `${Math.round(t.hitRate * 100)}%`).padStart(6)}${m(t.averageWin).padStart(11)}${m(t.averageLoss).padStart(11)}${num(t.profitFactor).padStart(6)}${m(t.expectancy).padStart(10)}${num(t.holdingDays, 1).padStart(8)}${money(t.pnl).padStart(12)}${money(a.fees).padStart(11)}`;
    }),
  ];
}

/** Round trips by symbol, every account together. */
export function symbolLines(trips: readonly RoundTrip[]): string[] {
  const by = new Map<string, RoundTrip[]>();
  for (const t of trips) by.set(t.symbol, [...(by.get(t.symbol) ?? []), t]);
  return [
    `${'Symbol'.padEnd(8)}${'Trades'.padStart(7)}${'Long'.padStart(6)}${'Short'.padStart(6)}${'Hit'.padStart(6)}${'Net P/L'.padStart(12)}${'Fees'.padStart(11)}`,
    ...[...by.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([symbol, ts]) => {
        const wins = ts.filter((t) => t.pnlCents > 0).length;
        const sum = (f: (t: RoundTrip) => number) => ts.reduce((s, t) => s + f(t), 0) / 100;
        return `${symbol.padEnd(8)}${String(ts.length).padStart(7)}${String(ts.filter((t) => t.direction === 'LONG').length).padStart(6)}${String(ts.filter((t) => t.direction === 'SHORT').length).padStart(6)}${`${Math.round((wins / ts.length) * 100)}%`.padStart(6)}${money(sum((t) => t.pnlCents)).padStart(12)}${money(sum((t) => t.feesCents)).padStart(11)}`;
      }),
  ];
}

/** Round trips by how they closed, per account. */
export function exitReasonLines(pm: Postmortem): string[] {
  const reasons = [...new Set(pm.ledger.trips.map((t) => t.exitReason))].sort();
  return [
    `${'Account'.padEnd(22)}${reasons.map((r) => r.padStart(14)).join('')}`,
    ...pm.accounts.map(
      (a) => `${a.account.padEnd(22)}${reasons.map((r) => String(pm.ledger.trips.filter((t) => t.account === a.account && t.exitReason === r).length).padStart(14)).join('')}`,
    ),
  ];
}

/** Calendar-year returns per account and benchmark. */
export function yearlyLines(pm: Postmortem): string[] {
  const series = [
    ...pm.curves.map((c) => ({ name: c.account, equity: c.equity })),
    { name: 'SPY', equity: pm.benchmark.equity },
    { name: 'EqualWt', equity: pm.equalWeight.equity },
  ];
  const tables = series.map((s) => new Map(periodicReturns(pm.dates, s.equity, (d) => d.slice(0, 4)).map((p) => [p.period, p.ret])));
  const years = [...(tables[0]?.keys() ?? [])];
  return [
    `${'Year'.padEnd(6)}${series.map((s) => s.name.slice(0, 9).padStart(10)).join('')}`,
    ...years.map((y) => `${y.padEnd(6)}${tables.map((t) => pct(t.get(y) ?? null).padStart(10)).join('')}`),
  ];
}

/** Month-by-month returns of one account, a row per year. */
export function monthlyLines(pm: Postmortem, account: string): string[] {
  const equity = pm.curves.find((c) => c.account === account)?.equity ?? [];
  const months = new Map(periodicReturns(pm.dates, equity, (d) => d.slice(0, 7)).map((p) => [p.period, p.ret]));
  const years = [...new Set([...months.keys()].map((m) => m.slice(0, 4)))];
  const names = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return [
    `${account} monthly returns`,
    `${'Year'.padEnd(6)}${names.map((n) => n.padStart(7)).join('')}`,
    ...years.map(
      (y) =>
        `${y.padEnd(6)}${names
          .map((_, i) => {
            const r = months.get(`${y}-${String(i + 1).padStart(2, '0')}`);
            return (r === undefined ? '' : pct(r)).padStart(7);
          })
          .join('')}`,
    ),
  ];
}

export function deliberationLine(pm: Postmortem): string {
  const d = pm.deliberation;
  if (!d) return 'Did deliberation add value? No member accounts to compare with.';
  const totals = `Council ${pct(d.council)} vs best member ${d.best.account} ${pct(d.best.totalReturn)} (${pct(d.vsBest)}) and median member ${pct(d.median)} (${pct(d.vsMedian)}).`;
  const wk = d.weekly;
  const weeks = wk?.weeks ?? pm.weeks;
  if (!wk || wk.weeks < MIN_WEEKS)
    return `Did deliberation add value? inconclusive: ${weeks} week${weeks === 1 ? '' : 's'} ${weeks === 1 ? 'is' : 'are'} too few to tell. ${totals}`;
  const verdict = wk.verdict === 'added' ? 'yes' : wk.verdict === 'subtracted' ? 'no, it cost value' : 'inconclusive';
  return `Did deliberation add value? ${verdict}: council minus median member averaged ${pct(wk.mean)} a week over ${wk.weeks} weeks, 95% block-bootstrap interval ${pct(wk.low)} to ${pct(wk.high)}${wk.verdict === 'inconclusive' ? ' (spans zero)' : ''}. ${totals}`;
}

export function calibrationLines(pm: Postmortem): string[] {
  if (pm.calibration.length === 0) return ['Reviewer calibration: no reviews with realised outcomes yet.'];
  return [
    'Reviewer calibration (does a higher rubric score mean a better realised return?):',
    `  ${'Reviewer'.padEnd(12)}${'Pitches'.padStart(8)}${'Mean score'.padStart(12)}${'Correlation'.padStart(17)}`,
    ...pm.calibration.map(
      (c) =>
        `  ${c.reviewer.padEnd(12)}${String(c.pitches).padStart(8)}${num(c.meanScore, 1).padStart(12)}${(c.correlation === null && c.pitches < 10 ? `n/a (${c.pitches} pairs)` : num(c.correlation)).padStart(17)}`,
    ),
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
