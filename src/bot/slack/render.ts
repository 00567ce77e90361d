/**
 * The Slack renderer: every notice as Block Kit, worded like the console renderer (the reference).
 * Pure functions of the notice; all model and user text is escaped, every block built through
 * blocks.ts so the limits hold whatever the content.
 */
import type { StatusView } from '../../app/index.ts';
import { RUBRIC } from '../../domain/schemas.ts';
import type { Notice, OrderLine } from '../../pipeline/notices.ts';
import { dailySummaryLines, dailySummaryTitle } from '../desk-text.ts';
import {
  checkpointNewsLines,
  checkpointSummary,
  checkpointTitle,
  exitLineText,
  exitTitle,
  orderUpdateText,
  positionDetail,
  positionHeadline,
  statusMark,
} from '../checkpoint-text.ts';
import {
  citedSourcesFirst,
  citesText,
  clampText,
  conditionText,
  money,
  nyStamp,
  orderStatusText,
  orderText,
  priceText,
  provenanceLines,
  reconciliationLines,
  refusedText,
  RUBRIC_LONG,
  RUBRIC_SHORT,
  signedConviction,
  signedMoney,
  TARGETS_NOTE,
  targetText,
  usageText,
  view,
  withNyTimes,
  openOrderText,
  scheduleHeading,
  sentence,
} from '../format.ts';
import { postmortemLines } from '../postmortem-text.ts';
import { actions, type Block, codeBlock, context, divider, esc, fields, fitMessage, header, LIMITS, packLines, section, type SlackMessage } from './blocks.ts';

/** `slack:U0123` becomes a mention; any other principal is shown as written. */
export const who = (principal: string): string => (/^slack:[A-Z0-9]+$/.test(principal) ? `<@${principal.slice(6)}>` : `\`${esc(principal)}\``);

export const actionIds = {
  approve: (proposalId: string) => `approve:${proposalId}`,
  reject: (proposalId: string) => `reject:${proposalId}`,
};

export const DECISION_ACTIONS_BLOCK = 'proposal_actions';

export function renderNotice(n: Notice): SlackMessage {
  switch (n.type) {
    case 'run_started':
      return fitMessage(`Council, week of ${n.week}`, [
        section(`*${n.resumed ? 'Resuming' : 'Convening'} ${n.seats} seats* (run \`${n.runId.slice(0, 8)}\`), deciding as of ${nyStamp(n.asOf)}`),
        ...(n.query ? [section(`*Question:* ${esc(n.query)}`)] : []),
      ]);
    case 'research_ready': {
      const p = n.pack;
      const sources = n.sources.map((s) => `${esc(s.model)}${s.kind === 'systematic' ? ' (systematic)' : ''}${s.ok ? '' : ` FAILED: ${esc(s.error ?? '')}`}`);
      return fitMessage(`Research for the week of ${n.week}`, [
        header('Research'),
        context(`Data through the close of ${n.lastSession}`, `Sources: ${sources.join(', ')}`),
        ...fields([
          `*Risk appetite*\n${p.regime.riskAppetite}`,
          `*Rates*\n${p.regime.rates}`,
          `*USD*\n${p.regime.usd}`,
          `*Inflation*\n${p.regime.inflation}`,
          `*Growth*\n${p.regime.growth}`,
          `*Volatility*\n${p.regime.volatility}`,
        ]),
        section(esc(p.regime.summary)),
        ...packLines(['*Narratives*', ...p.narratives.map((x, i) => `${i + 1}. *${esc(x.title)}*: ${esc(x.detail)}${esc(citesText(x.cites))}`)]),
        ...packLines(['*Consensus map*', ...p.consensus.map((c) => `• ${esc(c.view)} [${c.stance}] (${esc(c.evidence)})${esc(citesText(c.cites))}`)]),
        ...packLines(['*Candidates*', ...p.candidates.map((c) => `• ${c.direction} ${esc(c.symbol)}: ${esc(c.reason)}`)]),
        ...packLines(['*Next 7 days*', ...(p.calendar.length ? p.calendar.map((c) => `• ${esc(c.date)}  ${esc(c.event)}${esc(citesText(c.cites))}`) : ['nothing scheduled'])]),
        ...packLines(['*Confidence notes*', ...p.confidence.map((c) => `• ${esc(c)}`)]),
        ...(p.sources?.length
          ? packLines([
              '*Sources* (published, New York time; cited first)',
              ...citedSourcesFirst(p).map(
                (s) => `• ${s.url ? `<${s.url.replace(/[<>|]/g, '')}|${esc(s.id)}>` : esc(s.id)}  ${nyStamp(s.publishedAt)}  ${esc(s.source)}: ${esc(s.title)}`,
              ),
            ])
          : []),
        ...(provenanceLines(p, n.droppedCitations).length ? [context(...provenanceLines(p, n.droppedCitations).map(esc))] : []),
      ]);
    }
    case 'stage_progress':
      return fitMessage(`${n.stage} ${n.done}/${n.total}`, [context(`${n.stage} ${n.done}/${n.total}`)]);
    case 'pitches_ready':
      return fitMessage(`${n.pitches.length} pitches, anonymised until the decision`, [
        header('Pitches (anonymised until the decision)'),
        ...n.pitches.flatMap((c): Block[] => {
          if (!c.pitch) return [section(`*Pitch ${esc(c.label)}*: ABSTAINED (${esc(c.error ?? 'no reason given')})`)];
          const p = c.pitch;
          return [
            ...packLines([
              `*Pitch ${esc(c.label)}: ${esc(view(p.instrument, p.direction, p.conviction))}*, horizon ${p.horizon}${c.kind === 'systematic' ? '  _systematic_' : ''}`,
              ...p.thesis.map((t) => `• ${esc(t)}`),
              `_Indicators:_ ${esc(p.indicators.map((u) => `${conditionText(u)} (now ${u.value === null ? 'n/a' : +u.value.toFixed(4)})`).join('; '))}`,
              `_Invalidation:_ ${esc(p.invalidation.rule)}`,
            ]),
            divider(),
          ];
        }),
      ]);
    case 'reviews_ready': {
      const head = `Pitch Trade        ${RUBRIC.map((k) => RUBRIC_SHORT[k].padStart(5)).join('')}   Avg n`;
      const rows = n.rows.map(
        (r) =>
          `${r.label.padEnd(5)} ${`${r.direction} ${r.instrument}`.padEnd(12)} ${RUBRIC.map((k) => r.averages[k].toFixed(1).padStart(5)).join('')} ${r.overall.toFixed(1).padStart(5)} ${r.reviewers}`,
      );
      return fitMessage('Blind peer review scores', [
        header('Blind peer review'),
        context('Scores 1-10, averaged over reviewers', esc(RUBRIC.map((k) => `${RUBRIC_SHORT[k]} = ${RUBRIC_LONG[k]}`).join(', '))),
        ...codeBlock([head, ...rows].map(esc)),
        ...packLines(['*Kill shots*', ...n.rows.flatMap((r) => [...new Set(r.killShots)].slice(0, 2).map((k) => `• *${esc(r.label)}*: ${esc(k)}`))]),
        ...(n.abstained.length ? [context(`Reviewers that abstained: ${esc(n.abstained.join('; '))}`)] : []),
      ]);
    }
    case 'decision_ready':
      return renderDecision(n);
    case 'no_quorum':
      return fitMessage(`No quorum, week of ${n.week}`, [
        header(`No quorum, week of ${n.week}`),
        section(`Only ${n.valid} valid pitches; ${n.required} are needed. No proposal is made.`),
        ...packLines(n.abstentions.map((a) => `• *${esc(a.seat)}*: ${esc(a.error)}`)),
      ]);
    case 'proposal_approved':
      return fitMessage(`Proposal ${n.proposalId} approved`, [section(approvedLine(n))]);
    case 'proposal_rejected':
      return fitMessage(`Proposal ${n.proposalId} rejected`, [section(rejectedLine(n))]);
    case 'proposal_expired':
      return fitMessage(`Proposal ${n.proposalId} expired`, [section(expiredLine(n))]);
    case 'execution_report':
      return fitMessage(`Orders for proposal ${n.proposalId}`, orderBlocks(n.proposalId, n.orders, n.complete));
    case 'approval_refused':
      return fitMessage(`${n.by}'s approval of ${n.proposalId} was refused`, [
        context(`:no_entry: ${who(n.by)}'s approval of \`${esc(n.proposalId)}\` was refused: ${esc(sentence(withNyTimes(n.reason)))} The attempt is recorded.`),
      ]);
    case 'run_failed':
      return fitMessage(`The council run for ${n.week} failed (error id ${n.errorId})`, [
        section(`:x: The council run for the week of ${n.week} failed (error id \`${esc(n.errorId)}\`): ${esc(n.message)}`),
      ]);
    case 'checkpoint_report':
      return fitMessage(checkpointTitle(n), [
        header(checkpointTitle(n)),
        section(esc(checkpointSummary(n))),
        ...n.positions.flatMap((p) => packLines([`*${statusMark(p)}*  ${esc(positionHeadline(p))}`, ...positionDetail(p).map((l) => `>${esc(l)}`)])),
        ...packLines(checkpointNewsLines(n).map(esc)),
      ]);
    case 'order_update':
      return fitMessage(orderUpdateText(n), [section(esc(orderUpdateText(n)))]);
    case 'exit_report':
      return fitMessage(exitTitle(n), [section(`*${esc(exitTitle(n))}*`), ...packLines(n.exits.map((e) => `• ${esc(exitLineText(e))}`))]);
    case 'reconciliation_report':
      return fitMessage('Broker reconciliation', [
        header('Broker reconciliation'),
        section(`At ${nyStamp(n.at)} the brokers and the council's records differ:`),
        ...n.accounts.flatMap((a) => packLines([`*${esc(a.account)}*`, ...reconciliationLines(a).map((l) => `• ${esc(l)}`)])),
      ]);
    case 'postmortem_ready':
      return fitMessage(`Postmortem, week of ${n.week}`, [
        header(`Postmortem, week of ${n.week}`),
        ...codeBlock(postmortemLines(n.postmortem).map(esc)),
        ...(n.charts.length ? [context(`${n.charts.length} chart${n.charts.length === 1 ? '' : 's'} follow: ${esc(n.charts.map((c) => c.title).join(', '))}`)] : []),
      ]);
    case 'halt_changed':
      return fitMessage(n.halted ? 'Trading HALTED' : 'Trading resumed', [
        section(
          n.halted
            ? `:octagonal_sign: *Trading HALTED* by ${who(n.by)} at ${nyStamp(n.at)}: ${n.canceledOrders} orders that add risk canceled (stops and exits kept); approvals and scheduled runs are blocked until \`/council resume\`.`
            : `:arrow_forward: *Trading resumed* by ${who(n.by)} at ${nyStamp(n.at)}.`,
        ),
      ]);
    case 'pause_changed':
      return fitMessage(n.paused ? 'Trading PAUSED' : 'Trading unpaused', [
        section(
          n.paused
            ? `:double_vertical_bar: *Trading PAUSED* by ${who(n.by)} at ${nyStamp(n.at)}: no new entries; exits, stops and checkpoints go on until \`/council unpause\`.`
            : `:arrow_forward: *Trading unpaused* by ${who(n.by)} at ${nyStamp(n.at)}: new entries allowed.`,
        ),
      ]);
    case 'daily_summary':
      return fitMessage(dailySummaryTitle(n), [header(dailySummaryTitle(n)), ...codeBlock(dailySummaryLines(n).map(esc))]);
    default: {
      const never: never = n;
      return never;
    }
  }
}

export const approvedLine = (n: Extract<Notice, { type: 'proposal_approved' }>) =>
  `:white_check_mark: *Approved* by ${who(n.by)} (${esc(n.via)}) at ${nyStamp(n.at)}${n.declined?.length ? ` for ${esc(n.accounts?.join(', ') ?? '')} only (declined: ${esc(n.declined.join(', '))})` : ''}. Placing orders…`;
export const rejectedLine = (n: Extract<Notice, { type: 'proposal_rejected' }>) =>
  `:x: *Rejected* by ${who(n.by)} at ${nyStamp(n.at)}${n.reason ? `: ${esc(n.reason)}` : ''}. Nothing will be placed.`;
export const expiredLine = (n: Extract<Notice, { type: 'proposal_expired' }>) =>
  n.reason
    ? `:hourglass: *Withdrawn* at ${nyStamp(n.at)}: ${esc(n.reason)}. Nothing was placed.`
    : `:hourglass: *Expired* at ${nyStamp(n.at)} without approval. Nothing was placed.`;

export function orderBlocks(proposalId: string, orders: readonly OrderLine[], complete: boolean): Block[] {
  return [
    section(`*Orders for proposal \`${esc(proposalId)}\`*${complete ? '' : ' (not all placed yet)'}`),
    ...codeBlock(orders.map((o) => esc(`${orderText(o).padEnd(28)} ${orderStatusText(o)}${clampText(o.clamps)}`))),
  ];
}

/** A confirm dialog's text: the orders a button will place, cut to the dialog's 300 characters. */
export function confirmText(orders: readonly { account: string; side: string; qty: number; symbol: string }[]): string {
  // The short form (no stop or risk): six orders must fit the dialog; the decision message shows the rest.
  const lines = orders.map((o) => esc(orderText({ account: o.account, side: o.side as 'buy' | 'sell', qty: o.qty, symbol: o.symbol })));
  const out: string[] = [];
  for (const [i, line] of lines.entries()) {
    const rest = lines.length - i - 1;
    const tail = rest > 0 ? `\n… and ${rest} more` : '';
    if ([...out, line].join('\n').length + tail.length > LIMITS.confirmText - 20) {
      out.push(`… and ${lines.length - i} more`);
      break;
    }
    out.push(line);
  }
  return `This places ${orders.length} orders:\n${out.join('\n')}`;
}

function renderDecision(n: Extract<Notice, { type: 'decision_ready' }>): SlackMessage {
  const d = n.decision;
  const body: Block[] = [
    header(`Council decision, week of ${n.week}`),
    ...fields([`*Instrument*\n${esc(d.instrument)}`, `*Direction*\n${d.direction}`, `*Conviction*\n${signedConviction(d.conviction)}`, `*Horizon*\n${d.horizon}`]),
    context(
      `Chairman: ${esc(n.chair.model)}${n.chair.kind === 'systematic' ? ' (systematic review-weighted vote)' : ''}`,
      ...n.chair.failures.map((f) => `fallback: ${esc(f.model)} failed: ${esc(f.error)}`),
    ),
    section(`*Rationale*\n${esc(d.rationale)}`),
    section(`*Dissent*\n${esc(d.dissent)}`),
    section(`*Invalidation*\n${esc(d.invalidation.rule)}`),
    ...packLines([
      `*Monitoring* at ${d.monitoring.checkpoints.join(', ')} ET: ${esc(d.monitoring.indicators.map(conditionText).join('; ') || 'price only')}`,
      ...d.monitoring.watch.map((w) => `• watch: ${esc(w)}`),
    ]),
    ...packLines([
      '*Who pitched what* (revealed now)',
      ...n.identities.map(
        (i) =>
          `• ${i.label ? `Pitch ${esc(i.label)}` : 'abstained'} = *${esc(i.seat)}* (${esc(i.model)}${i.kind === 'systematic' ? ', systematic' : ''}) → account ${esc(i.account)}${i.error ? `: ${esc(i.error)}` : ''}`,
      ),
    ]),
    context(esc(usageText(n.usage))),
  ];
  if (!n.proposal) return fitMessage(`Council decision: ${view(d.instrument, d.direction, d.conviction)}`, [...body, section('No orders: every account already holds its view.')]);
  const p = n.proposal;
  body.push(
    section(`*Proposal \`${esc(p.id)}\`*: PENDING until ${nyStamp(p.expiresAt)}. Targets, what each account holds afterwards:`),
    ...codeBlock(p.targets.map((t) => esc(targetText(t)))),
    context(esc(TARGETS_NOTE)),
    section('Orders it will place:'),
    ...codeBlock(p.orders.map((o) => esc(`${orderText(o).padEnd(28)} ${o.reason}${o.clamps.length ? `  [clamped: ${o.clamps.join('; ')}]` : ''}`))),
  );
  const buttons = actions(DECISION_ACTIONS_BLOCK, [
    {
      text: 'Approve',
      actionId: actionIds.approve(p.id),
      value: p.id,
      style: 'primary',
      // No confirm dialog: the modal it opens (modals.ts) lists each account's orders and is the confirmation.
    },
    { text: 'Reject', actionId: actionIds.reject(p.id), value: p.id, style: 'danger' },
  ]);
  return fitMessage(`Council decision: ${view(d.instrument, d.direction, d.conviction)}. Proposal ${p.id} awaits approval.`, [...body, buttons], 1);
}

/** The decision message once it is settled: the same content, the buttons replaced by what happened. */
export function settledDecision(decision: SlackMessage, outcome: readonly Block[]): SlackMessage {
  const base = decision.blocks.filter((b) => !(b.type === 'actions' && b.block_id === DECISION_ACTIONS_BLOCK));
  return fitMessage(decision.text, [...base, divider(), ...outcome], outcome.length + 1);
}

/** The parent message of a week's thread, edited as the run moves. */
export interface WeekProgress {
  week: string;
  runId: string;
  query: string | null;
  /** Who asked for the run (a principal), when recorded. */
  requestedBy?: string | null;
  research: 'running' | 'done';
  pitches: { done: number; total: number };
  reviews: { done: number; total: number };
  outcome: string | null;
}

export function renderParent(p: WeekProgress): SlackMessage {
  const mark = (done: boolean) => (done ? ':white_check_mark:' : ':hourglass_flowing_sand:');
  const stages = [
    `${mark(p.research === 'done')} research ${p.research === 'done' ? 'done' : 'running'}`,
    `${mark(p.pitches.total > 0 && p.pitches.done >= p.pitches.total)} pitches ${p.pitches.done}/${p.pitches.total}`,
    `${mark(p.reviews.total > 0 && p.reviews.done >= p.reviews.total)} reviews ${p.reviews.done}/${p.reviews.total}`,
  ];
  return fitMessage(`Council, week of ${p.week}`, [
    header(`Council, week of ${p.week}`),
    ...(p.query ? [section(`*Question from the desk:* ${esc(p.query)}`)] : []),
    ...(p.requestedBy ? [context(`run by ${who(p.requestedBy)}`)] : []),
    section(stages.join('   ')),
    ...(p.outcome ? [section(p.outcome)] : []),
    context(`run \`${p.runId.slice(0, 8)}\` · pitches, reviews and the decision are in the thread`),
  ]);
}

export function renderStatus(s: StatusView): SlackMessage {
  const accounts = s.accounts.flatMap((a) => [
    `${a.account.padEnd(9)} [${a.broker}] equity ${money(a.equity)}, cash ${money(a.cash)}${a.error ? `  ! ${a.error}` : ''}`,
    ...a.positions.map(
      (p) => `    ${String(p.qty).padStart(6)} ${p.symbol.padEnd(4)} avg ${priceText(p.avgPrice)}  value ${money(p.marketValue)}  P/L ${signedMoney(p.unrealizedPl)}`,
    ),
    ...a.openOrders.map((o) => `    ${openOrderText(o)}`),
  ]);
  return fitMessage('Council status', [
    header('Council status'),
    section(
      s.trading.state === 'halted'
        ? `:octagonal_sign: *HALTED* by ${who(s.trading.by ?? '?')} at ${nyStamp(s.trading.at ?? '')}`
        : s.trading.state === 'paused'
          ? `:double_vertical_bar: *PAUSED* by ${who(s.trading.by ?? '?')} at ${nyStamp(s.trading.at ?? '')}: no new entries; exits, stops and checkpoints go on`
          : ':large_green_circle: Trading: active',
    ),
    context(esc(`Database: ${s.mode.database}`), esc(`Market data: ${s.mode.market}`), `Time: ${s.mode.time} (marked at ${nyStamp(s.asOf)})`, esc(`Models: ${s.mode.llm}`)),
    ...packLines([
      '*Seats*',
      ...s.seats.map((x) => `• *${esc(x.id)}* ${esc(x.model)}${x.kind === 'systematic' ? ' (systematic)' : ''} → ${esc(x.account)}`),
      `• *chairman* ${esc(s.chairman.models.join(' then '))} → ${esc(s.chairman.account)}`,
    ]),
    section('*Accounts*'),
    ...codeBlock(accounts.map(esc)),
    ...packLines([
      s.pending.length ? '*Pending proposals*' : '*Pending proposals*: none',
      ...s.pending.map((p) => `• \`${esc(p.proposalId)}\` (week ${p.week}, expires ${nyStamp(p.expiresAt)}): ${p.orders.length} orders${refusedText(p.refusals)}`),
    ]),
    ...(s.lastRun ? [context(esc(`Last run: week ${s.lastRun.week}, ${s.lastRun.outcome}${s.lastRun.proposalId ? `, proposal ${s.lastRun.proposalId}` : ''}`))] : []),
    ...(s.usage.lastRun ? [context(esc(usageText(s.usage.lastRun)))] : []),
    ...(s.nextRuns.length ? packLines([`*${scheduleHeading(s.mode.time)}*`, ...s.nextRuns.map((r) => `• ${esc(r.job)} at ${nyStamp(r.at)}`)]) : []),
  ]);
}
