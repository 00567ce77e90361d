/**
 * The Overview page: trading state, the pending proposal (decision, targets, orders, Approve / Reject
 * for approvers), the accounts (equity, cash, positions, P/L), the next scheduled runs and LLM spend.
 */
import type { StatusView } from '../../app/index.ts';
import type { ProposalState } from '../../domain/proposal.ts';
import { percent } from '../../bot/checkpoint-text.ts';
import { money, nyStamp, orderStatusText, signedConviction, TARGETS_NOTE, targetText, usageText } from '../../bot/format.ts';
import type { Caller } from '../auth.ts';
import { orderLines } from '../views.ts';
import { type Html, html } from './html.ts';

export interface OverviewData {
  status: StatusView;
  pending: ProposalState[];
  /** running / paused / halted (the desk's when wired, else halted or running). */
  tradingState: string;
  /** LLM spend this week, in dollars, when the desk's cost query is wired. */
  weekSpendUsd: number | undefined;
  startingCash: number;
  /** Which desk actions are wired (desk.ts); Halt / Resume always are. */
  canPause: boolean;
  canExit: boolean;
}

const direction = (d: string | undefined) => (d === 'LONG' ? 'long' : d === 'SHORT' ? 'short' : 'flat');

export function proposalSection(p: ProposalState, caller: Caller, accounts: readonly string[]): Html {
  const d = p.decision;
  const orders = orderLines(p);
  // Without stops or risk on any order (before issue 17), the column gives way on a phone.
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

/** The stop and risk of an order, once orders carry them (issue 17); until then nothing to show. */
function riskText(order: object): string {
  const o = order as { stopPrice?: unknown; riskUsd?: unknown };
  const stop = typeof o.stopPrice === 'number' ? `stop ${o.stopPrice.toFixed(2)}` : '';
  const risk = typeof o.riskUsd === 'number' ? `risk ${money(o.riskUsd)}` : '';
  return [stop, risk].filter(Boolean).join(', ') || '—';
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

/** The approver's switches: the kill switch always; pause when the desk's use case is wired. */
function controls(data: OverviewData, caller: Caller): Html {
  const halted = data.status.halted.halted;
  const paused = data.tradingState === 'paused';
  return html`<div class="controls">
  <form method="post" action="${halted ? '/resume' : '/halt'}"><input type="hidden" name="csrf" value="${caller.csrf}"><button type="submit" class="${halted ? '' : 'danger'}">${halted ? 'Resume trading' : 'Halt trading'}</button></form>
  ${data.canPause ? html`<form method="post" action="/desk/pause"><input type="hidden" name="csrf" value="${caller.csrf}"><input type="hidden" name="paused" value="${paused ? 'false' : 'true'}"><button type="submit">${paused ? 'Unpause' : 'Pause new entries'}</button></form>` : ''}
</div>`;
}

/** An approver's Exit for one account's positions, when the desk's exit is wired. */
function exitForm(account: string, caller: Caller): Html {
  return html`<form method="post" action="/desk/exit" class="inline"><input type="hidden" name="csrf" value="${caller.csrf}"><input type="hidden" name="account" value="${account}"><button type="submit" class="small">Exit ${account}</button></form>`;
}

export function overviewBody(data: OverviewData, caller: Caller, accounts: readonly string[]): Html {
  const { status } = data;
  return html`
<section class="card state state-${data.tradingState}" aria-label="Trading state">
  <p><strong>Trading: ${data.tradingState}</strong>${status.halted.halted && status.halted.by ? html` (halted by ${status.halted.by}${status.halted.at ? html` at ${nyStamp(status.halted.at)}` : ''})` : ''} · time ${status.mode.time} · as of <time datetime="${status.asOf}">${nyStamp(status.asOf)}</time></p>
  ${caller.approver ? controls(data, caller) : ''}
</section>
${data.pending.length ? data.pending.map((p) => proposalSection(p, caller, accounts)) : html`<section class="card"><h2>No pending proposal</h2><p>${status.lastRun ? html`Last run: week <a href="/weeks/${status.lastRun.week}">${status.lastRun.week}</a>, ${status.lastRun.outcome}${status.lastRun.proposalId ? html`, proposal <a href="/proposals/${status.lastRun.proposalId}">${status.lastRun.proposalId}</a>` : ''}.` : 'The council has not run yet.'}</p></section>`}
<section class="card" aria-labelledby="accounts-h">
  <h2 id="accounts-h">Accounts</h2>
  <div class="scroll"><table class="accounts">
    <thead><tr><th scope="col">Account</th><th scope="col" class="num">Equity</th><th scope="col" class="num opt">Cash</th><th scope="col" class="num">P/L</th><th scope="col">Positions</th></tr></thead>
    <tbody>${status.accounts.map((a) => {
      const pl = a.equity - data.startingCash;
      return html`<tr><th scope="row">${a.account}<span class="sub">${a.broker}</span></th><td class="num">${money(a.equity)}</td><td class="num opt">${money(a.cash)}</td><td class="num ${pl >= 0 ? 'up' : 'down'}">${money(pl)} (${percent(data.startingCash > 0 ? pl / data.startingCash : 0)})</td><td>${
        a.error
          ? html`<span class="down">${a.error}</span>`
          : a.positions.length
            ? a.positions.map(
                (p) =>
                  html`<span class="pos">${p.qty} ${p.symbol} @ ${p.avgPrice.toFixed(2)} <span class="${p.unrealizedPl >= 0 ? 'up' : 'down'}">${money(p.unrealizedPl)}</span></span>`,
              )
            : 'flat'
      }${data.canExit && caller.approver && a.positions.length ? exitForm(a.account, caller) : ''}</td></tr>`;
    })}</tbody>
  </table></div>
</section>
<section class="card" aria-labelledby="next-h">
  <h2 id="next-h">Next scheduled runs</h2>
  ${status.nextRuns.length ? html`<ul>${status.nextRuns.map((r) => html`<li>${r.job}: <time datetime="${r.at}">${nyStamp(r.at)}</time></li>`)}</ul>` : html`<p>None scheduled in this process.</p>`}
</section>
<section class="card" aria-labelledby="spend-h">
  <h2 id="spend-h">LLM spend</h2>
  <p>${data.weekSpendUsd !== undefined ? `This week: $${data.weekSpendUsd.toFixed(2)}` : status.usage.lastRun ? `Last run: ${usageText(status.usage.lastRun)}` : 'No run yet.'}</p>
</section>`;
}
