/**
 * Wording of the desk's answers (positions, profit, history, leaderboard, cost, exit, pause), shared by
 * the console, Slack and Discord so each says the same thing. Each function returns plain lines in
 * fixed-width columns; Slack and Discord show them in a code block.
 */
import type { CostView, DeskExitResult, DeskPosition, HistoryView, LeaderboardView, PositionsView, ProfitView, TradingState, WindowFigures } from '../app/index.ts';
import type { DailySummary } from '../pipeline/notices.ts';
import { EXIT_REASON_TEXT, exitLineText } from './checkpoint-text.ts';
import { money, nyStamp, pct, priceText, signedConviction, signedMoney } from './format.ts';
import { addDays } from '../market/time.ts';

const WINDOW_TEXT: Record<string, string> = { '1w': 'the last week', '4w': 'the last 4 weeks', '8w': 'the last 8 weeks', all: 'the whole record' };

/** Columns padded to the widest cell, left-aligned first column, the rest right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const ageText = (p: DeskPosition): string => (p.ageDays === null ? '?' : p.ageDays === 0 ? 'today' : `${p.ageDays}d`);

/** Every account's positions, one table. */
export function positionsLines(v: PositionsView): string[] {
  const rows = v.accounts.flatMap((a) =>
    a.positions.map((p) => [
      a.account,
      p.symbol,
      String(p.qty),
      priceText(p.avgPrice),
      p.mark === null ? '—' : priceText(p.mark),
      signedMoney(p.unrealizedPl),
      p.stop === null ? '—' : priceText(p.stop),
      p.takeProfit === null ? '—' : priceText(p.takeProfit),
      ageText(p),
      p.exiting ? 'EXITING' : 'HOLD',
    ]),
  );
  const empty = v.accounts.filter((a) => a.positions.length === 0 && !a.error).map((a) => a.account);
  return [
    `Positions at ${nyStamp(v.asOf)}`,
    ...(rows.length ? table(['account', 'symbol', 'qty', 'avg', 'mark', 'unrealised', 'stop', 'take-profit', 'age', 'state'], rows) : ['No open positions.']),
    ...(rows.length && empty.length ? [`Flat: ${empty.join(', ')}`] : []),
    ...v.accounts.filter((a) => a.error).map((a) => `${a.account}: could not be read (${a.error})`),
  ];
}

const figureRow = (f: WindowFigures): string[] => [
  f.account,
  f.role,
  signedMoney(f.realisedPnl),
  signedMoney(f.unrealisedPnl),
  signedMoney(f.pnl),
  pct(f.totalReturn),
  money(f.endEquity),
];

/** P/L per account over the window, SPY beside them. */
export function profitLines(v: ProfitView): string[] {
  if (!v.from || !v.to) return [`Profit over ${WINDOW_TEXT[v.window]}: the council has not traded yet.`];
  const rows = v.accounts.map(figureRow);
  if (v.benchmark) rows.push([v.benchmark.account, 'benchmark', '', '', signedMoney(v.benchmark.pnl), pct(v.benchmark.totalReturn), money(v.benchmark.endEquity)]);
  const c = v.councilVsMembers;
  return [
    `Profit over ${WINDOW_TEXT[v.window]} (closes ${v.from} to ${v.to}, from the postmortem's ledger)`,
    ...table(['account', 'role', 'realised', 'unrealised', 'P/L', 'return', 'equity'], rows),
    ...(c ? [`Council ${pct(c.council)} vs best member ${c.bestMember.account} ${pct(c.bestMember.totalReturn)} and median member ${pct(c.medianMember)}.`] : []),
  ];
}

/** The last weeks, newest first: decision, what became of the proposal, each account's week P/L. */
export function historyLines(v: HistoryView, threadOf: (week: string) => string | null = () => null): string[] {
  if (v.weeks.length === 0) return ['No week has been run yet.'];
  return v.weeks.flatMap((w) => {
    const d = w.decision;
    const decision = d
      ? d.direction === 'FLAT'
        ? `FLAT (looked at ${d.instrument})`
        : `${d.direction} ${d.instrument}, conviction ${signedConviction(d.conviction)}, ${d.horizon}`
      : w.outcome;
    const p = w.proposal;
    const outcome = !p
      ? 'no proposal'
      : p.approvedBy
        ? `${p.status}: approved by ${p.approvedBy.by} via ${p.approvedBy.via} at ${nyStamp(p.approvedBy.at)}${p.declined.length ? ` (declined: ${p.declined.join(', ')})` : ''}`
        : p.rejected
          ? `REJECTED by ${p.rejected.by} at ${nyStamp(p.rejected.at)}${p.rejected.reason ? `: ${p.rejected.reason}` : ' (no reason given)'}`
          : p.status === 'PENDING'
            ? `PENDING until ${nyStamp(p.expiresAt)}`
            : p.status;
    const pnl = w.pnl.length ? w.pnl.map((x) => `${x.account} ${signedMoney(x.pnl)} (${pct(x.return)})`).join(', ') : 'not marked yet';
    const thread = threadOf(w.week);
    return [
      `Week of ${w.week}: ${decision}`,
      `  proposal: ${outcome}`,
      `  week P/L${w.pnlThrough && w.pnl.length && w.pnlThrough < addDays(w.week, 4) ? ` (so far: through the ${w.pnlThrough} close)` : ''}: ${pnl}`,
      ...(thread ? [`  thread: ${thread}`] : []),
    ];
  });
}

const ratio = (x: number | null): string => (x === null ? '—' : x.toFixed(2));

/** Accounts ranked by return over the window; the reviewers' calibration below. */
export function leaderboardLines(v: LeaderboardView): string[] {
  if (!v.from || !v.to) return [`Leaderboard over ${WINDOW_TEXT[v.window]}: the council has not traded yet.`];
  const rows = v.rows.map((r) => [
    `${r.rank}. ${r.account}`,
    r.role,
    pct(r.totalReturn),
    signedMoney(r.pnl),
    ratio(r.sharpe),
    pct(-r.maxDrawdown),
    r.hitRate === null ? '—' : `${(r.hitRate * 100).toFixed(0)}% of ${r.trades}`,
  ]);
  if (v.benchmark) rows.push([`   ${v.benchmark.name}`, 'benchmark', pct(v.benchmark.totalReturn), '', ratio(v.benchmark.sharpe), pct(-v.benchmark.maxDrawdown), '']);
  const cal = v.calibration.map((c) => [c.reviewer, String(c.pitches), c.meanScore === null ? '—' : c.meanScore.toFixed(2), ratio(c.correlation)]);
  return [
    `Leaderboard over ${WINDOW_TEXT[v.window]} (closes ${v.from} to ${v.to})`,
    ...table(['account', 'role', 'return', 'P/L', 'Sharpe', 'max DD', 'hit rate'], rows),
    ...(v.rows.some((r) => r.sharpe === null) ? ['Sharpe — : fewer than 20 sessions in the window; hit rate — : no round trip closed in it.'] : []),
    ...(cal.length
      ? [
          '',
          "Reviewers' calibration (correlation of their scores with the pitches' outcomes; — below 10 pitches):",
          ...table(['reviewer', 'pitches', 'mean score', 'correlation'], cal),
        ]
      : []),
  ];
}

const usd = (x: number): string => `$${x.toFixed(x > 0 && x < 1 ? 4 : 2)}`;

/** LLM spend by seat and stage, and each account's P/L per dollar of it. */
export function costLines(v: CostView): string[] {
  const head = `LLM cost over ${WINDOW_TEXT[v.window]}${v.weeks.length ? ` (${v.weeks.length} council week${v.weeks.length === 1 ? '' : 's'})` : ''}`;
  if (v.weeks.length === 0) return [`${head}: no council week ran in it.`];
  if (v.total.calls === 0) return [head, `${usd(0)}: no model calls (systematic seats).`];
  return [
    head,
    ...table(
      ['seat', 'stage', 'calls', 'tokens in', 'tokens out', 'cost'],
      v.rows
        .filter((r) => r.calls > 0)
        .map((r) => [r.seat, r.stage, String(r.calls), r.promptTokens.toLocaleString('en-US'), r.completionTokens.toLocaleString('en-US'), usd(r.costUsd)]),
    ),
    '',
    ...table(
      ['account', 'cost', 'P/L', 'P/L per $'],
      v.accounts.map((a) => [a.account, usd(a.usage.costUsd), a.pnl === null ? '—' : signedMoney(a.pnl), a.pnlPerDollar === null ? '—' : signedMoney(a.pnlPerDollar)]),
    ),
    `Total ${usd(v.total.costUsd)} for ${v.total.calls} calls (${v.total.promptTokens.toLocaleString('en-US')} in / ${v.total.completionTokens.toLocaleString('en-US')} out tokens).`,
  ];
}

/** What an `exit` would close, asked before it does. */
export function exitConfirmText(positions: readonly DeskPosition[], reason: string | undefined): string {
  const list = positions.map((p) => `${p.account} ${p.qty > 0 ? 'SELL' : 'BUY'} ${Math.abs(p.qty)} ${p.symbol} (unrealised ${signedMoney(p.unrealizedPl)})`).join('; ');
  return `Close ${positions.length} position${positions.length === 1 ? '' : 's'} now: ${list}${reason ? `. Reason: ${reason}` : ''}?`;
}

export function exitResultLines(r: DeskExitResult): string[] {
  return [`Exits ordered at ${nyStamp(r.at)}:`, ...r.exits.map((e) => `  ${exitLineText(e)}`)];
}

/** Whether trading runs, is paused (no new entries) or halted, in one line. */
export function tradingStateText(t: TradingState): string {
  const since = `${t.by ? ` by ${t.by}` : ''}${t.at ? ` at ${nyStamp(t.at)}` : ''}`;
  switch (t.state) {
    case 'running':
      return 'Trading: running; new entries allowed.';
    case 'paused':
      return `Trading PAUSED${since}: no new entries; exits, stops and checkpoints go on.`;
    case 'halted':
      return `Trading HALTED${since}: orders that add risk canceled (stops and exits kept), approvals and scheduled runs blocked.`;
    default: {
      const never: never = t.state;
      return never;
    }
  }
}

/** The title of a daily summary: "Close of Tue 2026-08-18". */
export const dailySummaryTitle = (s: Pick<DailySummary, 'date'>): string => `Close of ${nyStamp(`${s.date}T12:00:00Z`).slice(0, 14)}`;

/** The desk's day in lines: P/L per account, positions with their stops, the day's checkpoints, the next session's. */
export function dailySummaryLines(s: DailySummary): string[] {
  const marked = s.accounts.some((a) => a.dayPnl !== null);
  const time = (iso: string) => nyStamp(iso).slice(15);
  return [
    ...(marked
      ? table(
          ['account', 'day P/L', 'day', 'equity'],
          s.accounts.map((a) => [
            a.account,
            a.dayPnl === null ? '—' : signedMoney(a.dayPnl),
            a.dayReturn === null ? '—' : pct(a.dayReturn),
            a.equity === null ? '—' : money(a.equity),
          ]),
        )
      : [`The ${s.date} close is not in the market data yet: no day P/L.`]),
    '',
    ...(s.positions.length
      ? table(
          ['position', 'qty', 'avg', 'mark', 'unrealised', 'stop', 'take-profit'],
          s.positions.map((p) => [
            `${p.account} ${p.symbol}`,
            String(p.qty),
            priceText(p.avgPrice),
            p.mark === null ? '—' : priceText(p.mark),
            signedMoney(p.unrealizedPl),
            p.stop === null ? '—' : priceText(p.stop),
            p.takeProfit === null ? '—' : priceText(p.takeProfit),
          ]),
        )
      : ['No open positions.']),
    '',
    ...(s.checkpoints.length
      ? [
          'Checkpoints today:',
          ...s.checkpoints.map((c) => {
            const exits = c.exits.length ? c.exits.map((e) => `exit ${e.account} ${e.symbol} (${EXIT_REASON_TEXT[e.reason]})`).join(', ') : 'no exits';
            return `  ${time(c.at)}: ${c.positions} position${c.positions === 1 ? '' : 's'} judged, ${exits}${c.trims ? `, ${c.trims} trim${c.trims === 1 ? '' : 's'}` : ''}`;
          }),
        ]
      : ['No checkpoint ran today.']),
    ...(s.next ? [`Next session ${s.next.session}: checkpoints at ${s.next.checkpoints.map(time).join(', ') || 'none'}.`] : []),
  ];
}
