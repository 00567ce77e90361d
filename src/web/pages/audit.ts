/**
 * The Audit page's search: from a client order id (a proposal's order, its stop `-sl` or take-profit
 * `-tp` leg, a checkpoint's exit `tc-x-...`), a broker's order id, a proposal id or a week to the
 * proposal that holds it, and from there the trail: the approval, the decision, the week's pitches and
 * reviews, the checkpoints, and the LLM calls (prompts and answers, tokens, cost, latency).
 */
import { z } from 'zod';
import type { CouncilApp } from '../../app/index.ts';
import { nyStamp } from '../../bot/format.ts';
import type { StoredEvent } from '../../store/port.ts';
import { type Html, html } from './html.ts';

const WEEK = /^\d{4}-\d{2}-\d{2}$/;
/** What a search may hold: an id or a week, nothing longer than any of them. */
const QUERY = /^[\w:.@-]{1,200}$/;
const LEG = { '-sl': 'stop', '-tp': 'take-profit', '-legs': 'protective legs' } as const;

/** The order a search named, as its proposal recorded it. */
interface FoundOrder {
  /** The id as the search named it (a leg's, or the broker's). */
  asked: string;
  clientOrderId: string;
  account: string;
  symbol: string;
  side: string;
  qty: number;
  /** Why it was placed, as the proposal recorded it (an exit's reason and who asked). */
  reason: string | null;
  /** The protective leg the search named, when it named one. */
  leg: string | null;
}

export type Found = { kind: 'proposal'; proposalId: string; order: FoundOrder | null } | { kind: 'week'; week: string } | { kind: 'none'; query: string };

/** A parent order id and the leg a search named: `tc-...-spy-sl` is the stop of `tc-...-spy`. */
function parentOf(id: string): { parent: string; leg: string | null } {
  for (const [suffix, leg] of Object.entries(LEG)) if (id.endsWith(suffix)) return { parent: id.slice(0, -suffix.length), leg };
  return { parent: id, leg: null };
}

/** An order as a proposal's events record it: planned or placed (`orders` of ProposalOpened and ProposalApproved), or submitted (with the broker's id). */
const recordedOrder = z.looseObject({ clientOrderId: z.string(), account: z.string(), symbol: z.string(), side: z.string(), qty: z.number(), reason: z.string().optional() });
type RecordedOrder = z.infer<typeof recordedOrder>;
const withOrders = z.looseObject({ orders: z.array(recordedOrder) });
const submitted = recordedOrder.extend({ brokerOrderId: z.string() });

/** The orders an event of a proposal names, with the broker's id when it is a submission. */
function ordersOf(e: StoredEvent): { order: RecordedOrder; brokerOrderId?: string }[] {
  const many = withOrders.safeParse(e.data);
  if (many.success) return many.data.orders.map((order) => ({ order }));
  const one = submitted.safeParse(e.data);
  return one.success ? [{ order: one.data, brokerOrderId: one.data.brokerOrderId }] : [];
}

/** What a search names: a week, a proposal, or an order (client order id with or without its leg suffix, or the broker's id). */
export async function findInAudit(app: CouncilApp, query: string): Promise<Found> {
  const q = query.trim();
  if (!QUERY.test(q)) return { kind: 'none', query: q };
  if (WEEK.test(q) && (await app.weekState(q)).started) return { kind: 'week', week: q };
  if ((await app.ports.store.read(`proposal:${q}`)).length) return { kind: 'proposal', proposalId: q, order: null };
  const { parent, leg } = parentOf(q.toLowerCase());
  const events = await app.ports.store.readAll({ streamPrefix: 'proposal:', types: ['ProposalOpened', 'ProposalApproved', 'OrderSubmitted'] });
  for (const e of events)
    for (const { order, brokerOrderId } of ordersOf(e))
      if (order.clientOrderId.toLowerCase() === parent || brokerOrderId === q)
        return {
          kind: 'proposal',
          proposalId: e.stream.slice('proposal:'.length),
          order: {
            asked: q,
            clientOrderId: order.clientOrderId,
            account: order.account,
            symbol: order.symbol,
            side: order.side,
            qty: order.qty,
            reason: order.reason ?? null,
            leg: brokerOrderId === q ? null : leg,
          },
        };
  return { kind: 'none', query: q };
}

/** Who decided and when, as the decision recorded it (on a replay, the council's time, not the wall clock's). */
const decidedBy = z.looseObject({ by: z.string(), at: z.string() });
function decision(e: StoredEvent): Html {
  const d = decidedBy.safeParse(e.data);
  return d.success ? html` by ${d.data.by} at ${nyStamp(d.data.at)}` : html``;
}

const auditLink = (stream: string, anchor = '') => `/audit/${encodeURIComponent(stream)}${anchor}`;

/** Where to go from a proposal: its approval, decision, pitches, reviews, checkpoints and LLM calls. */
export async function proposalTrail(app: CouncilApp, proposalId: string): Promise<Html> {
  const state = await app.proposal(proposalId);
  const events = await app.ports.store.read(`proposal:${proposalId}`);
  const decided = events.find((e) => e.type === 'ProposalApproved' || e.type === 'ProposalRejected');
  const week = state.week;
  const exit = proposalId.startsWith('x-');
  return html`<ul class="trail">
<li><a href="/proposals/${proposalId}">The proposal</a>: ${state.status.toLowerCase()}, its orders and what became of them</li>
<li>${
    decided
      ? html`<a href="${auditLink(`proposal:${proposalId}`, `#e-${decided.version}`)}">The ${decided.type === 'ProposalApproved' ? 'approval' : 'rejection'}</a>${decision(decided)}`
      : 'Not approved or rejected yet'
  }; <a href="${auditLink(`refusals:${proposalId}`)}">refused attempts</a></li>
${
  exit
    ? html`<li>An exit or trim: <a href="/weeks/${week}#checkpoints">the week's checkpoint timeline</a> lists it (<a href="${auditLink(`checkpoint:${app.councilId}:${week}`)}">its events</a>)</li>`
    : html`<li><a href="/weeks/${week}#research">The research and its dated sources</a>, <a href="/weeks/${week}#decision">the chairman's decision</a>, <a href="/weeks/${week}#pitches">the pitches</a> and <a href="/weeks/${week}#reviews">the blind review</a> of the week of ${week}</li>`
}
<li><a href="/audit?prefix=${encodeURIComponent(`llm:${app.councilId}:${week}:`)}">The LLM calls of the week</a>: each prompt and answer, tokens, cost and latency</li>
<li><a href="${auditLink(`proposal:${proposalId}`)}">Every event of the proposal</a> (${events.length})</li>
</ul>`;
}

/** The search's answer on the Audit page. */
export async function foundSection(app: CouncilApp, found: Found): Promise<Html> {
  switch (found.kind) {
    case 'none':
      return html`<section class="card" aria-live="polite"><p>Nothing matches <code>${found.query}</code>: try a client order id (<code>tc-...</code>, with or without <code>-sl</code> / <code>-tp</code>), a proposal id or a week's Monday.</p></section>`;
    case 'week':
      return html`<section class="card"><h2>The week of ${found.week}</h2><ul class="trail">
<li><a href="/weeks/${found.week}">Its page</a>: research, pitches, review, decision, checkpoints, postmortem</li>
<li><a href="${auditLink(`week:${app.councilId}:${found.week}`)}">Its events</a>; <a href="${auditLink(`checkpoint:${app.councilId}:${found.week}`)}">its checkpoints</a>; <a href="/audit?prefix=${encodeURIComponent(`llm:${app.councilId}:${found.week}:`)}">its LLM calls</a></li></ul></section>`;
    case 'proposal': {
      const o = found.order;
      return html`<section class="card"><h2>${o ? html`Order <code>${o.asked}</code>` : html`Proposal ${found.proposalId}`}</h2>
${o ? html`<p>${o.leg ? `The ${o.leg} protecting ` : ''}${o.side.toUpperCase()} ${o.qty} ${o.symbol} for ${o.account} (<code>${o.clientOrderId}</code>), in proposal <a href="/proposals/${found.proposalId}">${found.proposalId}</a>.${o.reason ? html` Why: ${o.reason}` : ''}</p>` : ''}
${await proposalTrail(app, found.proposalId)}</section>`;
    }
    default: {
      const _: never = found;
      return _;
    }
  }
}
