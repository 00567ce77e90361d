/**
 * One council week on a page: the research pack, the pitch cards (coloured by direction, shaded by
 * conviction), the blind review as a heat map (per pitch: reviewer x rubric, with kill shots), the
 * chairman's decision, dissent and monitoring plan, the proposal, the checkpoint timeline (each
 * evaluation's verdict per position, the exits and trims placed), the postmortem (pages/postmortem.ts),
 * and the streams behind it all for the audit.
 */
import { percent } from '../../bot/checkpoint-text.ts';
import { citesText, conditionText, nyStamp, provenanceLines, RUBRIC_LONG, RUBRIC_SHORT, signedConviction, withNyTimes } from '../../bot/format.ts';
import { RUBRIC } from '../../domain/schemas.ts';
import { type CheckpointEvaluation, checkpointEventSchema } from '../../pipeline/checkpoint-record.ts';
import type { StoredEvent } from '../../store/port.ts';
import type { runJson } from '../../views.ts';
import { html, type Html, raw, signClass } from './html.ts';

type RunDoc = ReturnType<typeof runJson>;

const dir = (d: string | undefined) => (d === 'LONG' ? 'long' : d === 'SHORT' ? 'short' : 'flat');

/** A card's background: the direction's hue, stronger with conviction (|c| of 2 is the strongest). */
function shade(direction: string, conviction: number): string {
  const alpha = 0.06 + 0.22 * Math.min(1, Math.abs(conviction) / 2);
  const rgb = direction === 'LONG' ? '10,122,61' : direction === 'SHORT' ? '179,38,30' : '95,99,104';
  return `background: rgba(${rgb},${alpha.toFixed(2)})`;
}

/** A score's cell: red at 1 through yellow to green at 10, dark text on every shade. */
const heat = (score: number) => `background: hsl(${Math.round(((score - 1) / 9) * 120)}, 70%, 78%)`;

function research(doc: RunDoc): Html {
  const r = doc.research;
  if (!r) return html`<section class="card"><h2>Research</h2><p>Not recorded.</p></section>`;
  return html`<section class="card" aria-labelledby="research-h" id="research"><h2 id="research-h">Research</h2>
<p>Data through the close of ${r.lastSession}. Regime: ${r.regime.riskAppetite}, rates ${r.regime.rates}, USD ${r.regime.usd}, inflation ${r.regime.inflation}, growth ${r.regime.growth}, volatility ${r.regime.volatility}.</p>
${r.regime.summary ? html`<p>${r.regime.summary}</p>` : ''}
${r.narratives.length ? html`<h3>Narratives</h3><ul>${r.narratives.map((n) => html`<li><strong>${n.title}</strong>: ${n.detail}${citesText(n.cites)}</li>`)}</ul>` : ''}
${r.consensus.length ? html`<h3>Consensus</h3><ul>${r.consensus.map((c) => html`<li>${c.view} (${c.stance}): ${c.evidence}${citesText(c.cites)}</li>`)}</ul>` : ''}
${r.candidates.length ? html`<h3>Candidates</h3><ul>${r.candidates.map((c) => html`<li class="dir-${dir(c.direction)}">${c.direction} ${c.symbol}: ${c.reason}</li>`)}</ul>` : ''}
${r.calendar.length ? html`<h3>Calendar</h3><ul>${r.calendar.map((c) => html`<li>${c.date}: ${c.event}${citesText(c.cites)}</li>`)}</ul>` : ''}
${r.sources.length ? html`<h3>Sources <span class="sub">published, New York time</span></h3><ul>${r.sources.map((s) => html`<li>${s.id} ${nyStamp(s.publishedAt)} ${s.source}: ${linkable(s.url) ? html`<a href="${s.url}" rel="noreferrer noopener">${s.title}</a>` : s.title}</li>`)}</ul>` : ''}
${provenance(r)}
</section>`;
}

/** A source's link only when it is a web address: a model's url is text, and `javascript:` is not a link. */
const linkable = (url: string | null): url is string => url !== null && /^https?:\/\//i.test(url);

/** Where the news and the calendar came from (and a calendar past its data says so), and every citation dropped and why. */
function provenance(r: NonNullable<RunDoc['research']>): Html {
  const lines = provenanceLines(r, undefined).map(withNyTimes);
  const dropped = r.droppedCitations;
  return html`${lines.length ? html`<p class="note">${lines.map((l, i) => html`${i ? html`<br>` : ''}${l}`)}</p>` : ''}
${dropped.length ? html`<details><summary>${dropped.length} citation${dropped.length === 1 ? '' : 's'} dropped</summary><ul>${dropped.map((d) => html`<li>${d.model}, ${d.at}: ${d.id} (${d.reason})</li>`)}</ul></details>` : ''}`;
}

function pitches(doc: RunDoc): Html {
  return html`<section aria-labelledby="pitches-h" id="pitches"><h2 id="pitches-h">Pitches</h2><div class="pitches">${doc.pitches.map((p) => {
    const pitch = p.pitch;
    if (!pitch)
      return html`<article class="pitch card dir-flat"><h3>${p.seat} <span class="sub">${p.model}</span></h3><p>Abstained${p.error ? html`: ${p.error}` : ''}</p></article>`;
    return html`<article class="pitch card dir-${dir(pitch.direction)}" style="${shade(pitch.direction, pitch.conviction)}">
<h3>${p.label ? `Pitch ${p.label}: ` : ''}${p.seat} <span class="sub">${p.model}${p.kind === 'systematic' ? ' · systematic' : ''} → ${p.account}</span></h3>
<p class="dir-${dir(pitch.direction)}"><strong>${pitch.direction} ${pitch.instrument}</strong>, conviction ${signedConviction(pitch.conviction)}, horizon ${pitch.horizon}</p>
<ul>${pitch.thesis.map((t) => html`<li>${t}</li>`)}</ul>
<p><strong>Indicators:</strong> ${pitch.indicators.map((i) => html`${conditionText(i)}${i.value !== null ? ` (now ${Number(i.value.toPrecision(4))})` : ''}; `)}</p>
<p><strong>Invalidation:</strong> ${pitch.invalidation.rule} (${pitch.invalidation.conditions.map(conditionText).join(' or ')})</p>
</article>`;
  })}</div></section>`;
}

function reviews(doc: RunDoc): Html {
  const labels = [...new Set(doc.reviews.flatMap((r) => r.scores.map((s) => s.label)))].sort();
  if (!labels.length) return html`<section class="card"><h2>Blind review</h2><p>No reviews recorded.</p></section>`;
  const seatOf = (label: string) => doc.pitches.find((p) => p.label === label);
  return html`<section class="card" aria-labelledby="reviews-h" id="reviews"><h2 id="reviews-h">Blind review</h2>
<p class="note">Scores 1 to 10 per rubric (${RUBRIC.map((k) => `${RUBRIC_SHORT[k]} ${RUBRIC_LONG[k]}`).join(', ')}). Reviewers saw the pitches by label only and never their own.</p>
${labels.map((label) => {
  const seat = seatOf(label);
  const rows = doc.reviews.flatMap((r) => r.scores.filter((s) => s.label === label).map((s) => ({ reviewer: r.reviewer, score: s })));
  return html`<h3>Pitch ${label}${seat ? html` <span class="sub">${seat.seat}${seat.pitch ? `: ${seat.pitch.direction} ${seat.pitch.instrument}` : ''}</span>` : ''}</h3>
<div class="scroll"><table class="heat"><thead><tr><th scope="col">Reviewer</th>${RUBRIC.map((k) => html`<th scope="col" title="${RUBRIC_LONG[k]}">${RUBRIC_SHORT[k]}</th>`)}<th scope="col" class="wide">Kill shot</th></tr></thead>
<tbody>${rows.map(({ reviewer, score }) => {
    const kill = html`${score.killShot}<span class="sub">Flips if: ${score.flipCondition}</span>`;
    // A phone has no room for a column of prose beside the scores: the kill shot gets its own row there.
    return html`<tr><th scope="row">${reviewer}</th>${RUBRIC.map((k) => html`<td class="score" style="${heat(score.rubric[k])}">${score.rubric[k]}</td>`)}<td class="kill wide">${kill}</td></tr><tr class="narrow"><td colspan="${RUBRIC.length + 1}" class="kill"><strong>Kill shot:</strong> ${kill}</td></tr>`;
  })}</tbody></table></div>`;
})}
${
  doc.reviews.some((r) => r.status !== 'ok')
    ? html`<p class="note">Abstained: ${doc.reviews
        .filter((r) => r.status !== 'ok')
        .map((r) => `${r.reviewer}${r.error ? ` (${r.error})` : ''}`)
        .join('; ')}</p>`
    : ''
}
</section>`;
}

function decision(doc: RunDoc): Html {
  const d = doc.decision;
  if (!d) return html`<section class="card"><h2>Decision</h2><p>${doc.outcome === 'no_quorum' ? 'No quorum: no decision.' : 'Not yet decided.'}</p></section>`;
  return html`<section class="card" aria-labelledby="decision-h" id="decision"><h2 id="decision-h">Decision</h2>
<p class="dir-${dir(d.direction)}"><strong>${d.direction} ${d.instrument}</strong>, conviction ${signedConviction(d.conviction)}, horizon ${d.horizon} · chairman ${d.chairman.model}</p>
<p>${d.rationale}</p>
<h3>Dissent</h3><p>${d.dissent}</p>
<h3>Monitoring plan</h3><p>Checkpoints ${d.monitoring.checkpoints.join(', ')} ET. Indicators: ${d.monitoring.indicators.map(conditionText).join('; ') || 'none'}.</p>
${d.monitoring.watch.length ? html`<ul>${d.monitoring.watch.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
<p><strong>Invalidation:</strong> ${d.invalidation.rule}</p>
${doc.proposal ? html`<p>Proposal <a href="/proposals/${doc.proposal.id}">${doc.proposal.id}</a>: ${doc.proposal.status}.</p>` : ''}
</section>`;
}

const VERDICT: Record<string, string> = { hold: 'hold', watch: 'watch', invalidated: 'invalidated' };
const EXIT_WHY: Record<string, string> = { horizon: 'horizon reached', invalidation: 'invalidated', kill_switch: 'kill switch', manual: 'by hand' };

/** One checkpoint evaluation: its time, and per position the verdict, P/L and any exit it called for. */
function evaluation(e: CheckpointEvaluation): Html {
  return html`<li><time datetime="${e.at}">${nyStamp(e.at)}</time>${e.halted ? ' · trading halted' : ''}${
    e.positions.length
      ? html`<div class="scroll"><table><thead><tr><th scope="col">Account</th><th scope="col">Position</th><th scope="col">Verdict</th><th scope="col" class="num">P/L</th></tr></thead><tbody>${e.positions.map(
          (p) =>
            html`<tr><td>${p.account}</td><td class="dir-${p.direction === 'LONG' ? 'long' : 'short'}">${p.direction} ${Math.abs(p.qty)} ${p.symbol}</td><td class="verdict-${p.status}">${VERDICT[p.status] ?? p.status}${p.exit ? html`: exit (${EXIT_WHY[p.exit] ?? p.exit})` : ''}</td><td class="num ${signClass(p.plPct)}">${percent(p.plPct)}</td></tr>`,
        )}</tbody></table></div>`
      : html` · no open position`
  }${e.expired.length ? html`<p class="note">Expired: ${e.expired.join(', ')}</p>` : ''}</li>`;
}

/** The week's checkpoints in order: each evaluation, and each exit or trim it placed (its own proposal). */
function timeline(events: readonly StoredEvent[]): Html {
  const parsed = events.flatMap((e) => {
    const r = checkpointEventSchema.safeParse({ type: e.type, data: e.data });
    return r.success ? [r.data] : [];
  });
  return html`<section class="card" aria-labelledby="checkpoints-h" id="checkpoints"><h2 id="checkpoints-h">Checkpoints</h2>${
    parsed.length
      ? html`<ol class="timeline">${parsed.map((e) => {
          switch (e.type) {
            case 'CheckpointEvaluated':
              return evaluation(e.data);
            case 'ExitOrdered':
              return html`<li><time datetime="${e.data.at}">${nyStamp(e.data.at)}</time> <strong>Exit placed</strong> for ${e.data.account}: ${e.data.side.toUpperCase()} ${e.data.qty} ${e.data.symbol} (${EXIT_WHY[e.data.reason] ?? e.data.reason}; ${e.data.detail}) · <a href="/proposals/${e.data.proposalId}">its orders</a></li>`;
            case 'TrimOrdered':
              return html`<li><time datetime="${e.data.at}">${nyStamp(e.data.at)}</time> <strong>Trim placed</strong> for ${e.data.account}: ${e.data.side.toUpperCase()} ${e.data.qty} ${e.data.symbol} (${e.data.detail}) · <a href="/proposals/${e.data.proposalId}">its orders</a></li>`;
            default: {
              const _: never = e;
              return _;
            }
          }
        })}</ol>`
      : html`<p>No checkpoint yet this week.</p>`
  }</section>`;
}

export function weekBody(doc: RunDoc, checkpoints: readonly StoredEvent[], streams: readonly string[], postmortem: Html): Html {
  return html`${doc.query ? html`<p class="card">Question from the desk: ${doc.query}</p>` : ''}
${research(doc)}
${pitches(doc)}
${reviews(doc)}
${decision(doc)}
${timeline(checkpoints)}
${postmortem}
<section class="card" aria-labelledby="streams-h"><h2 id="streams-h">Audit trail</h2><ul>${streams.map((s) => html`<li><a href="/audit/${raw(encodeURIComponent(s))}">${s}</a></li>`)}</ul></section>`;
}
