/**
 * The Leaderboard's parts: the desk's table and the reviewers' calibration, and the equity and drawdown
 * charts (uPlot draws them: hover, drag to zoom, click a legend entry to hide a series), from the
 * accounts' own record (`app.equity`, the ledger the leaderboard reads) or from a backtest report's
 * equity.csv. Without script, each chart is a line of its last values.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EquityView, LeaderboardView } from '../../app/desk.ts';
import { percent } from '../../bot/checkpoint-text.ts';
import { money } from '../../bot/format.ts';
import { html, type Html, raw, signClass } from './html.ts';

/** JSON for a <script type="application/json">: no "</" can end the element early. */
const embedJson = (value: unknown): Html => raw(JSON.stringify(value).replace(/</g, '\\u003c'));

const WINDOW_TEXT = { '4w': 'last 4 weeks', '8w': 'last 8 weeks', all: 'whole record' } as const;
const UPLOT = html`<link rel="stylesheet" href="/assets/uplot.css"><script src="/assets/uplot.js" defer></script>`;

interface Curves {
  /** Unix seconds of each session close. */
  times: number[];
  series: { name: string; values: (number | null)[] }[];
  /** The series drawn thicker: the council's account. */
  highlight?: string;
}

/** A session's close as uPlot's x value (Unix seconds); 21:00 UTC is 16:00 or 17:00 in New York, after every close. */
const sessionTime = (date: string) => Date.parse(`${date}T21:00:00Z`) / 1000;

/** An account with its seat when the seat has another name ("MAIN (claude)"); the account alone otherwise. */
const seatLabel = (account: string, seat: string | null) => (seat && seat.toLowerCase() !== account.toLowerCase() ? `${account} (${seat})` : account);
/** Chart values carry what a reader can see, so a page stays small: cents, and drawdowns to a ten-thousandth of a percent. */
const cents = (x: number) => Math.round(x * 100) / 100;

/** The accounts' own record (the ledger the leaderboard reads), SPY beside them; undefined before the first executed week. */
function ledgerCurves(record: EquityView): Curves | undefined {
  if (record.dates.length < 2) return undefined;
  const council = record.accounts.find((a) => a.role === 'council')?.account;
  return {
    times: record.dates.map(sessionTime),
    series: [
      ...record.accounts.map((a) => ({ name: seatLabel(a.account, a.seat), values: a.equity.map(cents) })),
      ...(record.benchmark ? [{ name: record.benchmark.name, values: record.benchmark.equity.map(cents) }] : []),
    ],
    ...(council ? { highlight: council } : {}),
  };
}

/** Equity per account per session close from a report folder's equity.csv (fixed columns: date,account,equity,...). */
async function reportCurves(dir: string): Promise<Curves | undefined> {
  const text = await readFile(join(dir, 'equity.csv'), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const rows = text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  const dates = [...new Set(rows.map((r) => r[0]!))].sort();
  const accounts = [...new Set(rows.map((r) => r[1]!))];
  const at = new Map(rows.map((r) => [`${r[0]}|${r[1]}`, Number(r[2])]));
  return {
    times: dates.map(sessionTime),
    series: accounts.map((a) => ({ name: a, values: dates.map((d) => at.get(`${d}|${a}`) ?? null) })),
    highlight: 'COUNCIL',
  };
}

function drawdowns(c: Curves): Curves {
  return {
    ...c,
    series: c.series.map((s) => {
      let peak = Number.NEGATIVE_INFINITY;
      const values = s.values.map((v) => {
        if (v === null) return null;
        peak = Math.max(peak, v);
        return peak > 0 ? Math.round((v / peak - 1) * 1e6) / 1e6 : 0;
      });
      return { name: s.name, values };
    }),
  };
}

/** A chart: uPlot draws it (hover, drag to zoom, click a legend entry to hide a series); without script, a table of the last values. */
function chart(title: string, c: Curves, format: 'usd' | 'pct'): Html {
  const spec = { title, format, highlight: c.highlight ?? '', series: c.series.map((s) => s.name), data: [c.times, ...c.series.map((s) => s.values)] };
  return html`<section class="card"><div class="chart" data-chart><script type="application/json">${embedJson(spec)}</script>
<div class="fallback"><h2>${title}</h2><p class="note">Last session: ${c.series.map((s) => html`${s.name} ${format === 'pct' ? percent(s.values.at(-1) ?? 0) : money(s.values.at(-1) ?? 0)}; `)}</p></div></div></section>`;
}

/** The desk's leaderboard: accounts ranked by return over the window, with the benchmark below them. */
export function leaderboardTable(board: LeaderboardView): Html {
  const ratio = (x: number | null) => (x === null ? '—' : x.toFixed(2));
  const share = (x: number | null) => (x === null ? '—' : percent(x));
  if (!board.rows.length) return html`<section class="card"><p>No record yet over ${board.window}: the leaderboard starts with the first executed week.</p></section>`;
  return html`<section class="card" aria-labelledby="board-h"><h2 id="board-h">Accounts, ${board.from && board.to ? html`${board.from} to ${board.to}` : board.window}</h2><div class="scroll"><table>
<thead><tr><th scope="col" class="opt">#</th><th scope="col">Account</th><th scope="col" class="num">Return</th><th scope="col" class="num opt">P/L</th><th scope="col" class="num">Sharpe</th><th scope="col" class="num">Max DD</th><th scope="col" class="num opt">Hit rate</th><th scope="col" class="num opt">Trades</th></tr></thead>
<tbody>${board.rows.map(
    (r) =>
      html`<tr${r.role === 'council' ? html` class="council"` : ''}><td class="opt">${r.rank}</td><th scope="row">${r.account}${r.seat && r.seat.toLowerCase() !== r.account.toLowerCase() ? html`<span class="sub">${r.seat}</span>` : ''}</th><td class="num ${signClass(r.totalReturn)}">${percent(r.totalReturn)}</td><td class="num opt ${signClass(r.pnl)}">${money(r.pnl)}</td><td class="num">${ratio(r.sharpe)}</td><td class="num ${signClass(-Math.abs(r.maxDrawdown))}">${percent(-Math.abs(r.maxDrawdown))}</td><td class="num opt">${share(r.hitRate)}</td><td class="num opt">${r.trades}</td></tr>`,
  )}${
    board.benchmark
      ? html`<tr class="benchmark"><td class="opt"></td><th scope="row">${board.benchmark.name}<span class="sub">benchmark</span></th><td class="num ${signClass(board.benchmark.totalReturn)}">${percent(board.benchmark.totalReturn)}</td><td class="num opt">—</td><td class="num">${ratio(board.benchmark.sharpe)}</td><td class="num ${signClass(-Math.abs(board.benchmark.maxDrawdown))}">${percent(-Math.abs(board.benchmark.maxDrawdown))}</td><td class="num opt">—</td><td class="num opt">—</td></tr>`
      : ''
  }</tbody></table></div></section>`;
}

/** How well each reviewer's scores foretold the pitches' returns over the window (the postmortem's calibration). */
export function calibrationTable(board: LeaderboardView): Html {
  if (!board.calibration.length) return html``;
  return html`<section class="card" aria-labelledby="calib-h"><h2 id="calib-h">Reviewer calibration</h2><div class="scroll"><table>
<thead><tr><th scope="col">Reviewer</th><th scope="col" class="num">Pitches</th><th scope="col" class="num">Mean score</th><th scope="col" class="num">r</th></tr></thead>
<tbody>${board.calibration.map(
    (c) =>
      html`<tr><th scope="row">${c.reviewer}</th><td class="num">${c.pitches}</td><td class="num">${c.meanScore === null ? '—' : c.meanScore.toFixed(1)}</td><td class="num">${c.correlation === null ? '—' : c.correlation.toFixed(2)}</td></tr>`,
  )}</tbody></table></div><p class="note">Pitches: scored pitches with a realised return. r: the correlation between a reviewer's average rubric score for a pitch and its realised return (— with too few); near 1, the scores foretold the outcome.</p></section>`;
}

/** The Leaderboard's charts over the record's window, or why there are none yet. */
export function ledgerCharts(record: EquityView): Html {
  const curves = ledgerCurves(record);
  if (!curves)
    return html`<section class="card"><p>No record yet: the equity and drawdown charts start with the first executed week. A backtest's charts are on its page under <a href="/backtests">Backtests</a>.</p></section>`;
  const over = WINDOW_TEXT[record.window];
  return html`${chart(`Equity at each session close, ${over}`, curves, 'usd')}${chart(`Drawdown from the peak, ${over}`, drawdowns(curves), 'pct')}${UPLOT}`;
}

/** A backtest report's charts, from its folder's equity.csv; nothing without one. */
export async function reportCharts(dir: string): Promise<Html> {
  const curves = await reportCurves(dir);
  return curves ? html`${chart('Equity at each session close', curves, 'usd')}${chart('Drawdown from the peak', drawdowns(curves), 'pct')}${UPLOT}` : html``;
}
