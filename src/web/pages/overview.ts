/**
 * The Overview page: trading state, the pending proposal (decision, targets, orders, Approve / Reject
 * for approvers), the accounts (equity, cash, positions with their stops, P/L), the next scheduled runs
 * and LLM spend.
 */
import type { DeskPosition, PositionsView, StatusView } from '../../app/index.ts';
import type { ProposalState } from '../../domain/proposal.ts';
import type { OrderLine } from '../../pipeline/notices.ts';
import { percent } from '../../bot/checkpoint-text.ts';
import { money, nyStamp, orderStatusText, signedConviction, TARGETS_NOTE, targetText, usageText } from '../../bot/format.ts';
import type { Caller } from '../auth.ts';
import { orderLines } from '../views.ts';
import { html, type Html, signClass } from './html.ts';

export interface OverviewData {
  status: StatusView;
  pending: ProposalState[];
  /** running / paused / halted, as the desk says it. */
  tradingState: 'running' | 'paused' | 'halted';
  /** Who paused and when, while paused. */
  pausedBy?: { by: string; at: string } | undefined;
  /** The desk's positions (with their stops and take-profits); undefined when the broker could not be read. */
  positions: PositionsView | undefined;
  /** LLM spend over the last four weeks, in dollars. */
  spend4wUsd: number | undefined;
  startingCash: number;
}

const direction = (d: string | undefined) => (d === 'LONG' ? 'long' : d === 'SHORT' ? 'short' : 'flat');

export function proposalSection(p: ProposalState, caller: Caller, accounts: readonly string[]): Html {
  const d = p.decision;
  const orders = orderLines(p);
  // Without stops or risk on any order (proposals planned before stops), the column gives way on a phone.
  const riskClass = orders.some((o) => riskText(o) !== '—') ? '' : 'opt';
  return html`<section class="card proposal" aria-labelledby="p-${p.proposalId}">
  <h2 id="p-${p.proposalId}">Proposal <a href="/proposals/${p.proposalId}">${p.proposalId}</a> <span class="badge status-${p.status.toLowerCase()}">${p.status}</span></h2>
  ${
    d
      ? html`<p class="decision dir-${direction(d.direction)}"><strong>${d.direction} ${d.instrument}</strong>, conviction ${signedConviction(d.conviction)}, horizon ${d.horizon} · week <a href="/weeks/${p.week}">${p.week}</a></p>`
      : ''
  }
  ${p.status === 'PENDING' ? html`<p>Approvable until <time datetime="${p.expiresAt}">${nyStamp(p.expiresAt)}</time>.</p>` : ''}
  ${p.targets?.length ? html`<h3>Targets</h3><ul class="targets">${p.targets.map((t) => html`<li>${targetText(t)}</li>`)}</ul><p class="note">${TARGETS_NOTE}</p>` : ''}
  ${p.status === 'PENDING' && caller.approver ? decisionForms(p.proposalId, caller, accounts) : ''}
  ${p.status === 'PENDING' && !caller.approver ? html`<p class="note">Only approvers (COUNCIL_APPROVERS) may approve or reject; you see this read only.</p>` : ''}
  <h3>Orders</h3>
  <div class="scroll"><table class="orders">
    <thead><tr><th scope="col">Account</th><th scope="col">Side</th><th scope="col" class="num">Qty</th><th scope="col">Symbol</th><th scope="col">Status</th><th scope="col" class="${riskClass}">Risk</th></tr></thead>
    <tbody>${orders.map(
      (o) =>
        html`<tr data-order="${o.clientOrderId}"><td>${o.account}</td><td class="side-${o.side}">${o.side.toUpperCase()}</td><td class="num">${o.qty}</td><td>${o.symbol}</td><td class="order-status">${orderStatusText(o)}</td><td class="${riskClass}">${riskText(o)}</td></tr>`,
    )}</tbody>
  </table></div>
  ${p.refusals ? html`<p class="note">${p.refusals} refused attempt${p.refusals === 1 ? '' : 's'} by non-approvers.</p>` : ''}
</section>`;
}

/** The stop an order sends (or replaces the legs with) and the loss at it of the position it leaves. */
function riskText(o: OrderLine): string {
  const legs = o.protect ?? o.replaceLegs;
  const stop = legs ? `stop ${legs.stopPrice.toFixed(2)}${legs.takeProfitPrice !== null ? `, take-profit ${legs.takeProfitPrice.toFixed(2)}` : ''}` : '';
  const risk = o.risk ? `risk ${money(o.risk.dollars)} (${percent(o.risk.pctOfEquity)} of equity)` : '';
  return [stop, risk].filter(Boolean).join('; ') || '—';
}

function decisionForms(proposalId: string, caller: Caller, accounts: readonly string[]): Html {
  return html`<div class="actions">
  <form method="post" action="/proposals/${proposalId}/approve" class="approve">
    <input type="hidden" name="csrf" value="${caller.csrf}">
    <fieldset><legend>Accounts to approve</legend>
      ${accounts.map((a) => html`<label class="check"><input type="checkbox" name="accounts" value="${a}" checked> ${a}</label>`)}
    </fieldset>
    <button type="submit" class="primary">Approve</button>
  </form>
  <form method="post" action="/proposals/${proposalId}/reject" class="reject">
    <input type="hidden" name="csrf" value="${caller.csrf}">
    <label for="reason-${proposalId}">Reason (optional)</label>
    <input id="reason-${proposalId}" name="reason" maxlength="500" autocomplete="off">
    <button type="submit" class="danger">Reject</button>
  </form>
</div>`;
}

/** The approver's switches: the kill switch and the pause of new entries. */
function controls(data: OverviewData, caller: Caller): Html {
  const halted = data.status.halted.halted;
  const paused = data.tradingState === 'paused';
  return html`<div class="controls">
  <form method="post" action="${halted ? '/resume' : '/halt'}"><input type="hidden" name="csrf" value="${caller.csrf}"><button type="submit" class="${halted ? '' : 'danger'}">${halted ? 'Resume trading' : 'Halt trading'}</button></form>
  <form method="post" action="/desk/pause"><input type="hidden" name="csrf" value="${caller.csrf}"><input type="hidden" name="paused" value="${paused ? 'false' : 'true'}"><button type="submit">${paused ? 'Unpause' : 'Pause new entries'}</button></form>
</div>`;
}

/** An approver's Exit for one account's positions: a link to the page that shows what it closes and asks to confirm. */
function exitLink(account: string): Html {
  return html`<a class="button small" href="/desk/exit?account=${encodeURIComponent(account)}">Exit ${account}…</a>`;
}

const deskPosition = (view: PositionsView | undefined, account: string, symbol: string): DeskPosition | undefined =>
  view?.accounts.find((a) => a.account === account)?.positions.find((p) => p.symbol === symbol);

/** A position's line: qty, average price, unrealised P/L, and its stop and take-profit at the broker. */
function positionText(p: { qty: number; symbol: string; avgPrice: number; unrealizedPl: number }, desk: DeskPosition | undefined): Html {
  const legs = desk
    ? [desk.stop !== null ? `stop ${desk.stop.toFixed(2)}` : 'no stop', desk.takeProfit !== null ? `take-profit ${desk.takeProfit.toFixed(2)}` : ''].filter(Boolean).join(', ')
    : '';
  return html`<span class="pos">${p.qty} ${p.symbol} @ ${p.avgPrice.toFixed(2)} <span class="${signClass(p.unrealizedPl)}">${money(p.unrealizedPl)}</span>${legs ? html` <span class="sub">${legs}</span>` : ''}</span>`;
}

export function overviewBody(data: OverviewData, caller: Caller, accounts: readonly string[]): Html {
  const { status } = data;
  return html`
<section class="card state state-${data.tradingState}" aria-label="Trading state">
  <p><strong>Trading: ${data.tradingState}</strong>${status.halted.halted && status.halted.by ? html` (halted by ${status.halted.by}${status.halted.at ? html` at ${nyStamp(status.halted.at)}` : ''})` : ''}${data.tradingState === 'paused' && data.pausedBy ? html` (new entries paused by ${data.pausedBy.by} at ${nyStamp(data.pausedBy.at)}; exits, stops and checkpoints go on)` : ''} · time ${status.mode.time} · as of <time datetime="${status.asOf}">${nyStamp(status.asOf)}</time></p>
  ${caller.approver ? controls(data, caller) : ''}
</section>
${data.pending.length ? data.pending.map((p) => proposalSection(p, caller, accounts)) : html`<section class="card"><h2>No pending proposal</h2><p>${status.lastRun ? html`Last run: week <a href="/weeks/${status.lastRun.week}">${status.lastRun.week}</a>, ${status.lastRun.outcome}${status.lastRun.proposalId ? html`, proposal <a href="/proposals/${status.lastRun.proposalId}">${status.lastRun.proposalId}</a>` : ''}.` : 'The council has not run yet.'}</p></section>`}
<section class="card" aria-labelledby="accounts-h">
  <h2 id="accounts-h">Accounts</h2>
  <div class="scroll"><table class="accounts">
    <thead><tr><th scope="col">Account</th><th scope="col" class="num">Equity</th><th scope="col" class="num opt">Cash</th><th scope="col" class="num">P/L</th><th scope="col">Positions</th></tr></thead>
    <tbody>${status.accounts.map((a) => {
      const pl = a.equity - data.startingCash;
      return html`<tr><th scope="row">${a.account}<span class="sub">${a.broker}</span></th><td class="num">${money(a.equity)}</td><td class="num opt">${money(a.cash)}</td><td class="num ${signClass(pl)}">${money(pl)} (${percent(data.startingCash > 0 ? pl / data.startingCash : 0)})</td><td>${
        a.error
          ? html`<span class="down">${a.error}</span>`
          : a.positions.length
            ? a.positions.map((p) => positionText(p, deskPosition(data.positions, a.account, p.symbol)))
            : 'flat'
      }${caller.approver && a.positions.length ? exitLink(a.account) : ''}</td></tr>`;
    })}</tbody>
  </table></div>
</section>
<section class="card" aria-labelledby="next-h">
  <h2 id="next-h">Next scheduled runs</h2>${status.mode.time === 'simulated' ? html`<p class="note">Replay data: these slots are listed on the wall clock but not run; checkpoint and postmortem move the replay.</p>` : ''}
  ${status.nextRuns.length ? html`<ul>${status.nextRuns.map((r) => html`<li>${r.job}: <time datetime="${r.at}">${nyStamp(r.at)}</time></li>`)}</ul>` : html`<p>None scheduled in this process.</p>`}
</section>
<section class="card" aria-labelledby="spend-h">
  <h2 id="spend-h">LLM spend</h2>
  <p>${status.usage.lastRun ? `Last run: ${usageText(status.usage.lastRun)}` : 'No run yet.'}${data.spend4wUsd !== undefined ? ` · last four weeks: $${data.spend4wUsd.toFixed(2)}` : ''}</p>
</section>`;
}

/**
 * The exit's confirmation: what it would close (qty, mark, unrealised P/L, stop), an optional reason,
 * and the button; the positions are read again when it is clicked, as chat's Close does.
 */
export function exitConfirmBody(data: { account: string; symbol: string | undefined; held: DeskPosition[] }, caller: Caller): Html {
  const what = `${data.account === 'all' ? 'every account' : data.account}${data.symbol ? `, ${data.symbol}` : ''}`;
  if (!data.held.length)
    return html`<section class="card"><h2>Exit ${what}</h2><p>Nothing is held there: nothing to close.</p><p><a href="/">Back to the overview</a></p></section>`;
  return html`<section class="card" aria-labelledby="exit-h"><h2 id="exit-h">Exit ${what}: close ${data.held.length} position${data.held.length === 1 ? '' : 's'} now?</h2>
<div class="scroll"><table><thead><tr><th scope="col">Account</th><th scope="col" class="num">Qty</th><th scope="col">Symbol</th><th scope="col" class="num">Mark</th><th scope="col" class="num">Unrealised</th><th scope="col" class="opt">Stop</th></tr></thead>
<tbody>${data.held.map(
    (p) =>
      html`<tr><td>${p.account}</td><td class="num">${p.qty}</td><td>${p.symbol}</td><td class="num">${p.mark === null ? '—' : p.mark.toFixed(2)}</td><td class="num ${signClass(p.unrealizedPl)}">${money(p.unrealizedPl)}</td><td class="opt">${p.stop === null ? 'none' : p.stop.toFixed(2)}</td></tr>`,
  )}</tbody></table></div>
${
  caller.approver
    ? html`<form method="post" action="/desk/exit" class="reject"><input type="hidden" name="csrf" value="${caller.csrf}"><input type="hidden" name="account" value="${data.account}">${data.symbol ? html`<input type="hidden" name="symbol" value="${data.symbol}">` : ''}
<label for="exit-reason">Why (recorded with the exit)</label><input id="exit-reason" name="reason" maxlength="200" autocomplete="off">
<button type="submit" class="danger">Close at market</button> <a href="/">Cancel</a></form><p class="note">Each position is closed by a market order (its resting stop and take-profit are canceled first), recorded with you as the one who asked.</p>`
    : html`<p class="note">Only approvers (COUNCIL_APPROVERS) may exit positions; you see this read only.</p>`
}</section>`;
}
