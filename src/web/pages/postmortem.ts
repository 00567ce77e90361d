/**
 * A week's postmortem on the Week page: per account the week's P/L and return and the record's return,
 * Sharpe, drawdown and hit rate, council vs members vs SPY, the reviewers' calibration, the kill shots
 * of the week that came true, and the charts the postmortem wrote (PNGs served from its own folder).
 * Every figure is the postmortem's (`app.weekPostmortem`, the report `council postmortem` publishes).
 */
import { pct, ratio } from '../../bot/postmortem-text.ts';
import { signedMoney } from '../../bot/format.ts';
import type { Postmortem } from '../../pipeline/postmortem.ts';
import { html, type Html, signClass } from './html.ts';

const hitRate = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 100)}%`);

function accountsTable(pm: Postmortem): Html {
  const rows = [...pm.accounts].sort((a, b) => b.performance.totalReturn - a.performance.totalReturn);
  return html`<div class="scroll"><table>
<thead><tr><th scope="col">Account</th><th scope="col" class="num opt">Week P/L</th><th scope="col" class="num">Week</th><th scope="col" class="num">Total<span class="sub">since ${pm.from}</span></th><th scope="col" class="num opt">Sharpe</th><th scope="col" class="num">Max DD</th><th scope="col" class="num opt">Hit rate</th><th scope="col" class="num opt">Trades</th></tr></thead>
<tbody>${rows.map(
    (a) =>
      html`<tr${a.role === 'council' ? html` class="council"` : ''}><th scope="row">${a.account}${a.role === 'council' ? html`<span class="sub">council</span>` : a.seat && a.seat.toLowerCase() !== a.account.toLowerCase() ? html`<span class="sub">${a.seat}</span>` : ''}</th><td class="num opt ${signClass(a.weekPnl)}">${signedMoney(a.weekPnl)}</td><td class="num ${signClass(a.weekReturn)}">${pct(a.weekReturn)}</td><td class="num ${signClass(a.performance.totalReturn)}">${pct(a.performance.totalReturn)}</td><td class="num opt">${ratio(a.performance.sharpe, a.performance)}</td><td class="num ${signClass(-Math.abs(a.performance.maxDrawdown))}">${pct(-Math.abs(a.performance.maxDrawdown))}</td><td class="num opt">${hitRate(a.trades.hitRate)}</td><td class="num opt">${a.trades.trades}</td></tr>`,
  )}${[pm.benchmark, pm.equalWeight].map(
    (b) =>
      html`<tr class="benchmark"><th scope="row">${b.name}<span class="sub">benchmark</span></th><td class="num opt">—</td><td class="num ${signClass(b.weekReturn)}">${pct(b.weekReturn)}</td><td class="num ${signClass(b.performance.totalReturn)}">${pct(b.performance.totalReturn)}</td><td class="num opt">${ratio(b.performance.sharpe, b.performance)}</td><td class="num ${signClass(-Math.abs(b.performance.maxDrawdown))}">${pct(-Math.abs(b.performance.maxDrawdown))}</td><td class="num opt">—</td><td class="num opt">—</td></tr>`,
  )}</tbody></table></div>`;
}

function deliberation(pm: Postmortem): Html {
  const d = pm.deliberation;
  if (!d) return html``;
  return html`<p>Council ${pct(d.council)} since ${pm.from}: ${pct(d.vsBest)} against the best member (${d.best.account}, ${pct(d.best.totalReturn)}), ${pct(d.vsMedian)} against the median member (${pct(d.median)}).${
    d.weekly
      ? html` Mean weekly difference to the median member over ${d.weekly.weeks} weeks: ${pct(d.weekly.mean)} (95% interval ${pct(d.weekly.low)} to ${pct(d.weekly.high)}): deliberation <strong>${d.weekly.verdict}</strong>.`
      : ''
  }</p>`;
}

function calibration(pm: Postmortem): Html {
  if (!pm.calibration.length) return html``;
  return html`<h3>Reviewer calibration</h3><div class="scroll"><table>
<thead><tr><th scope="col">Reviewer</th><th scope="col" class="num">Pitches</th><th scope="col" class="num">Mean score</th><th scope="col" class="num">r</th></tr></thead>
<tbody>${pm.calibration.map(
    (c) =>
      html`<tr><th scope="row">${c.reviewer}</th><td class="num">${c.pitches}</td><td class="num">${c.meanScore === null ? 'n/a' : c.meanScore.toFixed(1)}</td><td class="num">${c.correlation === null ? 'n/a' : c.correlation.toFixed(2)}</td></tr>`,
  )}</tbody></table></div><p class="note">Pitches: scored pitches with a realised return. r: the correlation between a reviewer's average rubric score for a pitch and its realised return (n/a with too few); near 1, the scores foretold the outcome.</p>`;
}

function killShots(pm: Postmortem, week: string): Html {
  const shots = pm.killShots.filter((k) => k.week === week);
  if (!shots.length) return html`<h3>Kill shots that came true</h3><p>None this week: no pitch a reviewer attacked lost money.</p>`;
  // Worst realised first (the report's order); a long list folds away behind its count.
  return html`<h3>Kill shots that came true</h3><details${shots.length <= 4 ? ' open' : ''}><summary>${shots.length} kill shot${shots.length === 1 ? '' : 's'} against pitches that lost money over the week</summary><ul>${shots.map(
    (k) => html`<li><strong>${k.reviewer}</strong> on ${k.target}'s ${k.trade} (${pct(k.realised)} over the week): ${k.killShot}</li>`,
  )}</ul></details>`;
}

/** The postmortem's section of the Week page; `charts` are the PNG file names in its folder. */
export function postmortemSection(pm: Postmortem, week: string, charts: readonly string[]): Html {
  return html`<section class="card" aria-labelledby="postmortem-h" id="postmortem"><h2 id="postmortem-h">Postmortem</h2>
<p class="note">Marked at the close of ${pm.to}; the record runs from ${pm.from} (${pm.weeks} week${pm.weeks === 1 ? '' : 's'}). Returns are net of fees; SPY is bought and held with the same starting cash.</p>
${accountsTable(pm)}
${deliberation(pm)}
${calibration(pm)}
${killShots(pm, week)}
${charts.length ? html`<h3>Charts</h3><div class="charts">${charts.map((f) => html`<figure><img src="/weeks/${week}/postmortem/${f}" alt="${f.replace(/\.png$/, '').replace(/-/g, ' ')} chart of the postmortem"><figcaption><a href="/weeks/${week}/postmortem/${f}">${f}</a></figcaption></figure>`)}</div>` : ''}
</section>`;
}

/** A week without a postmortem yet: what writes one. */
export const noPostmortem = (week: string): Html =>
  html`<section class="card" aria-labelledby="postmortem-h" id="postmortem"><h2 id="postmortem-h">Postmortem</h2><p>None yet for this week: the Friday slot of <code>council serve</code> writes it, or <code>council postmortem --week ${week}</code>.</p></section>`;
