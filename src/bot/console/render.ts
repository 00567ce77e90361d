/** The console channel's renderer: every notice as plain text a trader can read in a terminal. */
import { RUBRIC } from '../../domain/schemas.ts';
import type { Notice } from '../../pipeline/notices.ts';
import { dailySummaryLines, dailySummaryTitle, tradingStateText } from '../desk-text.ts';
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
import { postmortemLines } from '../postmortem-text.ts';
import {
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
  sourceText,
  TARGETS_NOTE,
  targetText,
  usageText,
  view,
  withNyTimes,
  openOrderText,
  scheduleHeading,
  sentence,
} from '../format.ts';

const rule = (title: string) => `\n── ${title} ${'─'.repeat(Math.max(4, 70 - title.length))}`;
const indent = (lines: string[], by = '  ') => lines.map((l) => by + l);

/**
 * Who reads the text: the console (hints name console commands, `/council approve …`) or the `council`
 * command's output (hints name CLI commands, `npx council approve …`).
 */
export type Reader = 'console' | 'cli';

/** A command as the reader types it: "/council approve ID" in the console, "npx council approve ID" after the CLI. */
export const commandHint = (reader: Reader, command: string): string => (reader === 'cli' ? `npx council ${command}` : `/council ${command}`);

/** A notice as text; any instant a lower layer wrote into it (a reason, a note) said in New York time. */
export function renderNotice(n: Notice, reader: Reader = 'console'): string {
  return withNyTimes(noticeText(n, reader));
}

function noticeText(n: Notice, reader: Reader): string {
  const hint = (command: string) => commandHint(reader, command);
  switch (n.type) {
    case 'run_started':
      return `${rule(`Council, week of ${n.week}`)}\n${n.resumed ? 'Resuming' : 'Convening'} ${n.seats} seats (run ${n.runId.slice(0, 8)}), deciding as of ${nyStamp(n.asOf)}${n.requestedBy ? `, run by ${n.requestedBy}` : ''}${n.query ? `\nQuestion from the desk: ${n.query}` : ''}`;
    case 'research_ready': {
      const p = n.pack;
      return [
        rule('Research'),
        `Data through the close of ${n.lastSession}. Sources: ${n.sources.map((s) => `${s.model}${s.kind === 'systematic' ? ' (systematic)' : ''}${s.ok ? '' : ` FAILED: ${s.error}`}`).join(', ')}`,
        `Regime: ${p.regime.riskAppetite} | rates ${p.regime.rates} | USD ${p.regime.usd} | inflation ${p.regime.inflation} | growth ${p.regime.growth} | vol ${p.regime.volatility}`,
        ...indent([p.regime.summary]),
        'Narratives:',
        ...indent(p.narratives.map((x, i) => `${i + 1}. ${x.title}: ${x.detail}${citesText(x.cites)}`)),
        'Consensus map:',
        ...indent(p.consensus.map((c) => `${c.view} [${c.stance}] (${c.evidence})${citesText(c.cites)}`)),
        'Candidates:',
        ...indent(p.candidates.map((c) => `${c.direction} ${c.symbol}: ${c.reason}`)),
        'Next 7 days:',
        ...indent(p.calendar.length ? p.calendar.map((c) => `${c.date}  ${c.event}${citesText(c.cites)}`) : ['nothing scheduled']),
        'Confidence notes:',
        ...indent(p.confidence.map((c) => `- ${c}`)),
        ...(p.sources?.length ? ['Sources (published, New York time):', ...indent(p.sources.map((s) => `${sourceText(s)}${s.url ? `  ${s.url}` : ''}`))] : []),
        ...provenanceLines(p, n.droppedCitations),
      ].join('\n');
    }
    case 'stage_progress':
      return `  … ${n.stage} ${n.done}/${n.total}`;
    case 'pitches_ready':
      return [
        rule('Pitches (anonymised until the decision)'),
        ...n.pitches.flatMap((c) => {
          if (!c.pitch) return [`Pitch ${c.label}: ABSTAINED (${c.error})`];
          const p = c.pitch;
          return [
            `Pitch ${c.label}: ${view(p.instrument, p.direction, p.conviction)}, horizon ${p.horizon}${c.kind === 'systematic' ? '  [systematic]' : ''}`,
            ...indent(p.thesis.map((t) => `• ${t}`)),
            ...indent([`Indicators: ${p.indicators.map((u) => `${conditionText(u)} (now ${u.value === null ? 'n/a' : +u.value.toFixed(4)})`).join('; ')}`]),
            ...indent([`Invalidation: ${p.invalidation.rule}`]),
            '',
          ];
        }),
      ].join('\n');
    case 'reviews_ready': {
      const head = `Pitch  Trade        ${RUBRIC.map((k) => RUBRIC_SHORT[k].padStart(5)).join('')}  Avg  n`;
      const rows = n.rows.map(
        (r) =>
          `  ${r.label.padEnd(4)} ${`${r.direction} ${r.instrument}`.padEnd(12)} ${RUBRIC.map((k) => r.averages[k].toFixed(1).padStart(5)).join('')}  ${r.overall.toFixed(1).padStart(4)} ${r.reviewers}`,
      );
      return [
        rule('Blind peer review (scores 1-10, averaged over reviewers)'),
        `  ${head}`,
        ...rows,
        `  (${RUBRIC.map((k) => `${RUBRIC_SHORT[k]} = ${RUBRIC_LONG[k]}`).join(', ')})`,
        'Kill shots:',
        ...n.rows.flatMap((r) => [...new Set(r.killShots)].slice(0, 2).map((k) => `  ${r.label}: ${k}`)),
        ...(n.abstained.length ? [`Reviewers that abstained: ${n.abstained.join('; ')}`] : []),
      ].join('\n');
    }
    case 'decision_ready': {
      const d = n.decision;
      const lines = [
        rule(`Council decision, week of ${n.week}`),
        `${view(d.instrument, d.direction, d.conviction)}, horizon ${d.horizon}`,
        `Chairman: ${n.chair.model}${n.chair.kind === 'systematic' ? ' (systematic review-weighted vote)' : ''}`,
        ...n.chair.failures.map((f) => `  ! fallback: ${f.model} failed: ${f.error}`),
        `Rationale: ${d.rationale}`,
        `Dissent: ${d.dissent}`,
        `Invalidation: ${d.invalidation.rule}`,
        `Monitoring at ${d.monitoring.checkpoints.join(', ')} ET: ${d.monitoring.indicators.map(conditionText).join('; ') || 'price only'}`,
        ...d.monitoring.watch.map((w) => `  watch: ${w}`),
        'Who pitched what (revealed now):',
        ...indent(
          n.identities.map(
            (i) =>
              `${i.label ? `Pitch ${i.label}` : 'abstained'} = ${i.seat} (${i.model}${i.kind === 'systematic' ? ', systematic' : ''}) -> account ${i.account}${i.error ? `: ${i.error}` : ''}`,
          ),
        ),
        usageText(n.usage),
      ];
      if (!n.proposal) lines.push('No orders: every account already holds its view.');
      else {
        lines.push(`Proposal ${n.proposal.id}: PENDING until ${nyStamp(n.proposal.expiresAt)}. Targets, what each account holds afterwards:`);
        for (const t of n.proposal.targets) lines.push(`  ${targetText(t)}`);
        lines.push(TARGETS_NOTE, 'Orders it will place:');
        for (const o of n.proposal.orders) lines.push(`  ${orderText(o).padEnd(28)} ${o.reason}${o.clamps.length ? `  [clamped: ${o.clamps.join('; ')}]` : ''}`);
        lines.push(`Approve: ${hint(`approve ${n.proposal.id}`)}    Reject: ${hint(`reject ${n.proposal.id}`)} ${reader === 'cli' ? '[--reason TEXT]' : '[reason]'}`);
      }
      return lines.join('\n');
    }
    case 'no_quorum':
      return [
        rule(`No quorum, week of ${n.week}`),
        `Only ${n.valid} valid pitches; ${n.required} are needed. No proposal is made.`,
        ...n.abstentions.map((a) => `  ${a.seat}: ${a.error}`),
      ].join('\n');
    case 'proposal_approved':
      return `✔ Proposal ${n.proposalId} approved by ${n.by} (${n.via}) at ${nyStamp(n.at)}${n.declined?.length ? ` for ${n.accounts?.join(', ')} only (declined: ${n.declined.join(', ')})` : ''}. Placing orders…`;
    case 'proposal_rejected':
      return `✖ Proposal ${n.proposalId} rejected by ${n.by} at ${nyStamp(n.at)}${n.reason ? `: ${n.reason}` : ''}. Nothing will be placed.`;
    case 'proposal_expired':
      return n.reason
        ? `⌛ Proposal ${n.proposalId} withdrawn at ${nyStamp(n.at)}: ${n.reason}. Nothing was placed.`
        : `⌛ Proposal ${n.proposalId} expired at ${nyStamp(n.at)} without approval. Nothing was placed.`;
    case 'execution_report':
      return [
        `Orders for proposal ${n.proposalId}${n.complete ? '' : ' (not all placed yet)'}:`,
        ...n.orders.map((o) => `  ${orderText(o).padEnd(28)} ${orderStatusText(o)}${clampText(o.clamps)}`),
      ].join('\n');
    case 'approval_refused':
      return `✖ ${n.by}'s approval of ${n.proposalId} was refused: ${sentence(n.reason)} The attempt is recorded.`;
    case 'run_failed':
      return `✖ The council run for ${n.week} failed (error id ${n.errorId}): ${n.message}`;
    case 'checkpoint_report':
      return [
        rule(checkpointTitle(n)),
        checkpointSummary(n),
        ...n.positions.flatMap((p) => [`${statusMark(p).padEnd(14)} ${positionHeadline(p)}`, ...indent(positionDetail(p), '                 ')]),
        ...checkpointNewsLines(n),
      ].join('\n');
    case 'order_update':
      return `  ${orderUpdateText(n)}`;
    case 'exit_report':
      return [exitTitle(n), ...indent(n.exits.map((e) => exitLineText(e, (id) => hint(`approve ${id}`))))].join('\n');
    case 'halt_changed':
      return n.halted
        ? `⛔ Trading HALTED by ${n.by} at ${nyStamp(n.at)}: ${n.canceledOrders} orders that add risk canceled (stops and exits kept); approvals and scheduled runs are blocked until ${hint('resume')}.`
        : `▶ Trading resumed by ${n.by} at ${nyStamp(n.at)}.`;
    case 'reconciliation_report':
      return [
        rule('Broker reconciliation'),
        `At ${nyStamp(n.at)} the brokers and the council's records differ:`,
        ...n.accounts.flatMap((a) => [`${a.account}:`, ...indent(reconciliationLines(a))]),
      ].join('\n');
    case 'postmortem_ready':
      return [
        rule(`Postmortem, week of ${n.week}`),
        ...postmortemLines(n.postmortem),
        ...(n.charts.length ? [`Charts: ${n.charts.map((c) => c.path ?? c.fileName).join(', ')}`] : []),
      ].join('\n');
    case 'pause_changed':
      return n.paused
        ? `⏸ Trading PAUSED by ${n.by} at ${nyStamp(n.at)}: no new entries; exits, stops and checkpoints go on until ${hint('unpause')}.`
        : `▶ Trading unpaused by ${n.by} at ${nyStamp(n.at)}: new entries allowed.`;
    case 'daily_summary':
      return [rule(`${dailySummaryTitle(n)} (week of ${n.week})`), ...dailySummaryLines(n)].join('\n');
    default: {
      const never: never = n;
      return never;
    }
  }
}

export function renderStatus(s: import('../../app/index.ts').StatusView): string {
  const lines = [
    rule('Council status'),
    `Database: ${s.mode.database} | market data: ${s.mode.market} | time: ${s.mode.time} (marked at ${nyStamp(s.asOf)})`,
    `Models: ${s.mode.llm}${s.mode.chat.length ? ` | chat: ${s.mode.chat.join(', ')}` : ''}`,
    `Brokers: ${s.mode.brokerSetup.summary}`,
    ...(s.mode.brokerSetup.warning ? [`  ! ${s.mode.brokerSetup.warning}`] : []),
    `${s.trading.state === 'halted' ? '⛔ ' : s.trading.state === 'paused' ? '⏸ ' : ''}${tradingStateText(s.trading)}`,
    'Seats:',
    ...s.seats.map((x) => `  ${x.id.padEnd(9)} ${x.model}${x.kind === 'systematic' ? ' (systematic)' : ''} -> ${x.account}`),
    `  chairman: ${s.chairman.models.join(' then ')} -> ${s.chairman.account}`,
    'Accounts:',
  ];
  for (const a of s.accounts) {
    lines.push(`  ${a.account.padEnd(9)} [${a.broker}] equity ${money(a.equity)}, cash ${money(a.cash)}, buying power ${money(a.buyingPower)}${a.error ? `  ! ${a.error}` : ''}`);
    for (const p of a.positions)
      lines.push(`      ${String(p.qty).padStart(6)} ${p.symbol.padEnd(4)} avg ${priceText(p.avgPrice)}  value ${money(p.marketValue)}  P/L ${signedMoney(p.unrealizedPl)}`);
    for (const o of a.openOrders) lines.push(`      ${openOrderText(o)}`);
  }
  lines.push(s.pending.length ? 'Pending proposals:' : 'Pending proposals: none');
  for (const p of s.pending) lines.push(`  ${p.proposalId} (week ${p.week}, expires ${nyStamp(p.expiresAt)}): ${p.orders.length} orders${refusedText(p.refusals)}`);
  if (s.lastRun) {
    const outcome: Record<string, string> = { proposal: `proposal ${s.lastRun.proposalId}`, no_quorum: 'no quorum, no proposal', no_orders: 'no orders needed' };
    lines.push(`Last run: week ${s.lastRun.week} -> ${outcome[s.lastRun.outcome] ?? s.lastRun.outcome}`);
  }
  if (s.usage.lastRun) lines.push(usageText(s.usage.lastRun));
  if (s.nextRuns.length)
    lines.push(
      `${scheduleHeading(s.mode.time)}:`,
      ...s.nextRuns.map((r) => {
        const last = r.lastRun
          ? `  (last ${r.job}: ${nyStamp(r.lastRun.slot)} ${r.lastRun.outcome ?? 'running'}${r.lastRun.attempts > 1 ? ` after ${r.lastRun.attempts} attempts` : ''})`
          : '';
        return `  ${r.job.padEnd(10)} ${nyStamp(r.at)}${last}`;
      }),
    );
  return lines.join('\n');
}

export { signedConviction };
