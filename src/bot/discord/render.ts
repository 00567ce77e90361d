/**
 * The Discord renderer: each notice as thread messages with embeds and buttons, a progress step for
 * the week's parent message, and an edit of the decision message. Pure: the sink does the REST calls.
 * Wording follows the console renderer (src/bot/console/render.ts) through the shared helpers.
 */
import {
  ButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIEmbed,
  type APIEmbedField,
  type RESTPostAPIChannelMessageJSONBody,
} from 'discord-api-types/v10';
import { escapeMarkdown } from 'discord.js';
import type { StatusView } from '../../app/index.ts';
import type { ProposalState } from '../../domain/proposal.ts';
import { RUBRIC, type Direction } from '../../domain/schemas.ts';
import type { Notice, OrderLine } from '../../pipeline/notices.ts';
import {
  citedSourcesFirst,
  citesText,
  clampText,
  conditionText,
  money,
  nyStamp,
  orderStatusText,
  orderText,
  provenanceLines,
  reconciliationLines,
  refusedText,
  RUBRIC_LONG,
  RUBRIC_SHORT,
  signedConviction,
  signedMoney,
  sourceText,
  targetText,
  truncate,
  usageText,
  view,
  scheduleHeading,
} from '../format.ts';
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
import { postmortemLines } from '../postmortem-text.ts';
import { proposalCustomId } from './ids.ts';
import { LIMITS, clampContent, packEmbeds } from './limits.ts';

export type MessageBody = RESTPostAPIChannelMessageJSONBody;

/** An image uploaded with a message (multipart), shown by an embed as `attachment://<name>`. */
export interface Upload {
  name: string;
  data: Uint8Array;
}

export interface ThreadPost {
  body: MessageBody;
  files?: Upload[];
  /** Set on the message that carries a proposal's buttons; later notices edit it. */
  decisionOf?: string;
}

/** The four steps the parent message shows; `step` is the one under way (4 = finished). */
export const STEPS = ['Research', 'Pitches', 'Review', 'Decision'] as const;

export interface Progress {
  step: number;
  count: string | null;
  outcome: string | null;
  failed: string | null;
}

export interface RunHeader {
  week: string;
  runId: string;
  query: string | null;
  seats: number;
  /** Who asked for the run (a principal), when recorded. */
  requestedBy?: string | null;
}

/** A principal as Discord shows it: a Discord user as a mention (messages never ping), anyone else as code. */
export const principalText = (principal: string): string => (/^discord:\d+$/.test(principal) ? `<@${principal.slice(8)}>` : `\`${principal.replace(/`/g, "'")}\``);

export interface DiscordRender {
  thread: ThreadPost[];
  progress: Progress | null;
  decision: { proposalId: string; edit: MessageBody } | null;
  channel: MessageBody[];
}

export interface RenderContext {
  /** The proposal's state after the notice, for the banner on its decision message. */
  proposal?: ProposalState;
}

export const COLOURS = { LONG: 0x2ecc71, SHORT: 0xe74c3c, FLAT: 0x95a5a6, info: 0x5865f2, good: 0x57f287, bad: 0xed4245, warn: 0xfee75c } as const;
const directionColour = (d: Direction): number => COLOURS[d];

/** Mentions render as names but never ping (allowed_mentions is empty on every message). */
const NO_PINGS: Pick<MessageBody, 'allowed_mentions'> = { allowed_mentions: { parse: [] } };

/** `discord:123` reads as a mention; other principals as written. */
export const who = (principal: string): string => (principal.startsWith('discord:') ? `<@${principal.slice('discord:'.length)}>` : principal);

const text = (content: string): ThreadPost => ({ body: { content: clampContent(content), ...NO_PINGS } });
const embedsPosts = (embeds: APIEmbed[], intro?: string): ThreadPost[] =>
  packEmbeds(embeds).map((chunk, i) => ({ body: { ...(i === 0 && intro ? { content: clampContent(intro) } : {}), embeds: chunk, ...NO_PINGS } }));
const lines = (xs: readonly string[], empty = '—'): string => (xs.length ? xs.join('\n') : empty);
/** As many whole lines as fit in one embed field, and how many did not. */
function fieldLines(xs: readonly string[]): string {
  const kept: string[] = [];
  for (const [i, x] of xs.entries()) {
    const more = `… and ${xs.length - i} more`;
    if ([...kept, x].join('\n').length + more.length + 1 > LIMITS.fieldValue) return [...kept, more].join('\n');
    kept.push(truncate(x, 300));
  }
  return kept.join('\n');
}
const none: DiscordRender = { thread: [], progress: null, decision: null, channel: [] };
const step = (n: number, count: string | null = null, outcome: string | null = null): Progress => ({ step: n, count, outcome, failed: null });

export function renderNotice(n: Notice, ctx: RenderContext = {}): DiscordRender {
  switch (n.type) {
    case 'run_started':
      return { ...none, progress: step(0) };
    case 'research_ready':
      return { ...none, thread: embedsPosts([researchEmbed(n)]), progress: step(1) };
    case 'stage_progress':
      return { ...none, progress: step(n.stage === 'pitches' ? 1 : 2, `${n.done}/${n.total}`) };
    case 'pitches_ready':
      return { ...none, thread: embedsPosts(n.pitches.map(pitchEmbed), '**Pitches**, anonymised until the decision'), progress: step(2) };
    case 'reviews_ready':
      return { ...none, thread: embedsPosts([reviewEmbed(n)]), progress: step(3) };
    case 'decision_ready':
      return {
        ...none,
        thread: [...embedsPosts([decisionEmbed(n)]), proposalPost(n)],
        progress: step(
          4,
          null,
          `${view(n.decision.instrument, n.decision.direction, n.decision.conviction)}${n.proposal ? `; proposal ${n.proposal.id} awaits approval` : '; no orders'}`,
        ),
      };
    case 'no_quorum':
      return {
        ...none,
        thread: embedsPosts([
          {
            title: `No quorum, week of ${n.week}`,
            color: COLOURS.warn,
            description: `Only ${n.valid} valid pitches; ${n.required} are needed. No proposal is made.`,
            fields: n.abstentions.map((a) => ({ name: a.seat, value: a.error })),
          },
        ]),
        progress: step(4, null, `no quorum (${n.valid} of ${n.required} pitches)`),
      };
    case 'proposal_approved':
      return {
        ...none,
        thread: [
          text(
            `✅ Proposal ${n.proposalId} approved by ${who(n.by)} (${n.via}) at ${nyStamp(n.at)}${n.declined?.length ? ` for ${n.accounts?.join(', ')} only (declined: ${n.declined.join(', ')})` : ''}. Placing orders…`,
          ),
        ],
        decision: { proposalId: n.proposalId, edit: decisionEdit(n.proposalId, ctx.proposal) },
      };
    case 'proposal_rejected':
      return {
        ...none,
        thread: [text(`✖ Proposal ${n.proposalId} rejected by ${who(n.by)} at ${nyStamp(n.at)}${n.reason ? `: ${n.reason}` : ''}. Nothing will be placed.`)],
        decision: { proposalId: n.proposalId, edit: decisionEdit(n.proposalId, ctx.proposal) },
      };
    case 'proposal_expired':
      return {
        ...none,
        thread: [
          text(
            n.reason
              ? truncate(`⌛ Proposal ${n.proposalId} withdrawn at ${nyStamp(n.at)}: ${n.reason}. Nothing was placed.`, LIMITS.content)
              : `⌛ Proposal ${n.proposalId} expired at ${nyStamp(n.at)} without approval. Nothing was placed.`,
          ),
        ],
        decision: { proposalId: n.proposalId, edit: decisionEdit(n.proposalId, ctx.proposal) },
      };
    case 'execution_report':
      return {
        ...none,
        thread: embedsPosts([executionEmbed(n.proposalId, n.orders, n.complete)]),
        decision: { proposalId: n.proposalId, edit: decisionEdit(n.proposalId, ctx.proposal, n.orders) },
      };
    case 'approval_refused':
      // The clicker is told privately by the button handler; the attempt is in the proposal's stream.
      return none;
    case 'run_failed':
      return {
        ...none,
        thread: [text(`✖ The council run for ${n.week} failed (error id ${n.errorId}): ${n.message}`)],
        progress: n.runId ? { step: -1, count: null, outcome: null, failed: `error id ${n.errorId}` } : null,
      };
    case 'checkpoint_report':
      return { ...none, thread: embedsPosts(checkpointEmbeds(n)) };
    case 'exit_report':
      return { ...none, thread: exitPosts(n) };
    case 'order_update':
      return { ...none, thread: [text(orderUpdateText(n))] };
    case 'reconciliation_report':
      return {
        ...none,
        channel: embedsPosts([
          {
            title: 'Broker reconciliation',
            color: COLOURS.warn,
            description: `At ${nyStamp(n.at)} the brokers and the council's records differ:`,
            fields: n.accounts.map((a) => ({ name: a.account, value: lines(reconciliationLines(a).map((l) => `• ${l}`)) })),
          },
        ]).map((p) => p.body),
      };
    case 'postmortem_ready':
      return { ...none, thread: postmortemPosts(n) };
    case 'pause_changed':
      return {
        ...none,
        channel: [
          text(
            n.paused
              ? `⏸ Trading PAUSED by ${who(n.by)} at ${nyStamp(n.at)}: no new entries; exits, stops and checkpoints go on until /council unpause.`
              : `▶ Trading unpaused by ${who(n.by)} at ${nyStamp(n.at)}: new entries allowed.`,
          ).body,
        ],
      };
    case 'daily_summary':
      return { ...none, thread: [text(`**${dailySummaryTitle(n)}**\n${codeReply(dailySummaryLines(n))}`)] };
    case 'halt_changed':
      return {
        ...none,
        channel: [
          text(
            n.halted
              ? `⛔ Trading HALTED by ${who(n.by)} at ${nyStamp(n.at)}: ${n.canceledOrders} orders that add risk canceled (stops and exits kept); approvals and scheduled runs are blocked until /council resume.`
              : `▶ Trading resumed by ${who(n.by)} at ${nyStamp(n.at)}.`,
          ).body,
        ],
      };
    default: {
      const never: never = n;
      return never;
    }
  }
}

/** The week's parent message: what is done, what is under way, and the outcome. */
export function progressMessage(header: RunHeader, p: Progress): MessageBody {
  const steps = STEPS.map((name, i) => {
    if (p.failed && i >= Math.max(0, p.step)) return i === Math.max(0, p.step) ? `❌ ${name}` : `▫️ ${name}`;
    if (i < p.step) return `✅ ${name}`;
    if (i === p.step) return `⏳ ${name}${p.count ? ` ${p.count}` : ''}`;
    return `▫️ ${name}`;
  });
  return {
    content: clampContent(
      [
        `🏛️ **Council, week of ${header.week}** (${header.seats} seats, run ${header.runId.slice(0, 8)})`,
        ...(header.query ? [`**Question from the desk:** ${escapeMarkdown(header.query)}`] : []),
        ...(header.requestedBy ? [`-# run by ${principalText(header.requestedBy)}`] : []),
        steps.join(' · '),
        ...(p.outcome ? [`**Outcome:** ${p.outcome}`] : []),
        ...(p.failed ? [`**Failed** (${p.failed}); details in the thread.`] : []),
      ].join('\n'),
    ),
    ...NO_PINGS,
  };
}

export const threadName = (week: string): string => `Council, week of ${week}`.slice(0, LIMITS.threadName);

function researchEmbed(n: Extract<Notice, { type: 'research_ready' }>): APIEmbed {
  const p = n.pack;
  const r = p.regime;
  return {
    title: `Research, week of ${n.week}`,
    color: COLOURS.info,
    description: `**Regime:** ${r.riskAppetite} · rates ${r.rates} · USD ${r.usd} · inflation ${r.inflation} · growth ${r.growth} · vol ${r.volatility}\n${r.summary}`,
    fields: [
      ...p.narratives.map((x, i) => ({ name: `${i + 1}. ${x.title}`, value: `${x.detail}${citesText(x.cites)}` })),
      { name: 'Consensus map', value: lines(p.consensus.map((c) => `${c.view} [${c.stance}] (${c.evidence})${citesText(c.cites)}`)) },
      { name: 'Candidates', value: lines(p.candidates.map((c) => `${c.direction} ${c.symbol}: ${c.reason}`)) },
      {
        name: 'Next 7 days',
        value: lines(
          p.calendar.map((c) => `${c.date}  ${c.event}${citesText(c.cites)}`),
          'nothing scheduled',
        ),
      },
      { name: 'Confidence notes', value: lines(p.confidence.map((c) => `- ${c}`)) },
      ...(p.sources?.length
        ? [
            {
              name: 'Sources (published, New York time; cited first)',
              value: fieldLines(citedSourcesFirst(p).map((s) => (s.url ? `[${s.id}](${s.url}) ${sourceText(s).slice(s.id.length + 2)}` : sourceText(s)))),
            },
          ]
        : []),
    ],
    footer: {
      text: [
        `Data through the close of ${n.lastSession}. Sources: ${n.sources.map((s) => `${s.model}${s.kind === 'systematic' ? ' (systematic)' : ''}${s.ok ? '' : ` FAILED: ${s.error}`}`).join(', ')}`,
        ...provenanceLines(p, n.droppedCitations),
      ].join('\n'),
    },
  };
}

function pitchEmbed(c: Extract<Notice, { type: 'pitches_ready' }>['pitches'][number]): APIEmbed {
  if (!c.pitch) return { title: `Pitch ${c.label}: abstained`, color: COLOURS.FLAT, description: c.error ?? 'no pitch' };
  const p = c.pitch;
  return {
    title: `Pitch ${c.label}: ${p.direction} ${p.instrument}`,
    color: directionColour(p.direction),
    description: p.thesis.map((t) => `• ${t}`).join('\n'),
    fields: [
      { name: 'Conviction', value: signedConviction(p.conviction), inline: true },
      { name: 'Horizon', value: p.horizon, inline: true },
      { name: 'Indicators', value: lines(p.indicators.map((u) => `${conditionText(u)} (now ${u.value === null ? 'n/a' : +u.value.toFixed(4)})`)) },
      { name: 'Invalidation', value: p.invalidation.rule },
    ],
    ...(c.kind === 'systematic' ? { footer: { text: 'systematic seat' } } : {}),
  };
}

function reviewEmbed(n: Extract<Notice, { type: 'reviews_ready' }>): APIEmbed {
  const head = `Pitch Trade       ${RUBRIC.map((k) => RUBRIC_SHORT[k].padStart(5)).join('')}  Avg n`;
  const rows = n.rows.map(
    (r) =>
      `${r.label.padEnd(5)} ${`${r.direction} ${r.instrument}`.padEnd(11)} ${RUBRIC.map((k) => r.averages[k].toFixed(1).padStart(5)).join('')} ${r.overall.toFixed(1).padStart(4)} ${r.reviewers}`,
  );
  const fields: APIEmbedField[] = n.rows.map((r) => ({
    name: `Kill shots on Pitch ${r.label}`,
    value: lines([...new Set(r.killShots)].slice(0, 2).map((k) => `• ${k}`)),
  }));
  if (n.abstained.length) fields.push({ name: 'Reviewers that abstained', value: n.abstained.join('\n') });
  return {
    title: 'Blind peer review (scores 1-10, averaged over reviewers)',
    color: COLOURS.info,
    description: `\`\`\`\n${[head, ...rows].join('\n')}\n\`\`\``,
    fields,
    footer: { text: RUBRIC.map((k) => `${RUBRIC_SHORT[k]} = ${RUBRIC_LONG[k]}`).join(', ') },
  };
}

function decisionEmbed(n: Extract<Notice, { type: 'decision_ready' }>): APIEmbed {
  const d = n.decision;
  const m = d.monitoring;
  return {
    title: `Council decision, week of ${n.week}: ${d.direction === 'FLAT' ? 'FLAT' : `${d.direction} ${d.instrument}`}`,
    color: directionColour(d.direction),
    description: `**Rationale:** ${d.rationale}`,
    fields: [
      { name: 'Conviction', value: signedConviction(d.conviction), inline: true },
      { name: 'Horizon', value: d.horizon, inline: true },
      { name: 'Chairman', value: `${n.chair.model}${n.chair.kind === 'systematic' ? ' (systematic review-weighted vote)' : ''}`, inline: true },
      { name: 'Invalidation', value: d.invalidation.rule },
      { name: 'Dissent', value: d.dissent },
      {
        name: `Monitoring at ${m.checkpoints.join(', ')} ET`,
        value: lines([m.indicators.map(conditionText).join('; ') || 'price only', ...m.watch.map((w) => `watch: ${w}`)]),
      },
      ...(n.chair.failures.length ? [{ name: 'Chairman fallbacks', value: lines(n.chair.failures.map((f) => `${f.model} failed: ${f.error}`)) }] : []),
    ],
  };
}

/** The message with the orders and the buttons; the one later notices edit. */
function proposalPost(n: Extract<Notice, { type: 'decision_ready' }>): ThreadPost {
  const identities = n.identities.map(
    (i) => `${i.label ? `Pitch ${i.label}` : 'abstained'} = ${i.seat} (${i.model}${i.kind === 'systematic' ? ', systematic' : ''}) → ${i.account}${i.error ? `: ${i.error}` : ''}`,
  );
  const fields: APIEmbedField[] = [{ name: 'Who pitched what (revealed now)', value: lines(identities) }];
  if (n.proposal?.targets.length)
    fields.push({ name: `Targets: what each account holds afterwards (${n.proposal.targets.length})`, value: orderLines(n.proposal.targets.map(targetText)) });
  if (n.proposal)
    fields.push({
      name: `Orders (${n.proposal.orders.length})`,
      value: orderLines(n.proposal.orders.map((o) => `${orderText(o)}: ${o.reason}${o.clamps.length ? ` [clamped: ${o.clamps.join('; ')}]` : ''}`)),
    });
  fields.push({ name: 'Cost', value: usageText(n.usage) });
  const embed: APIEmbed = n.proposal
    ? {
        title: `Proposal ${n.proposal.id}`,
        color: directionColour(n.decision.direction),
        description: `Approve places these orders once, computed again at the click toward the targets below and inside the limits; if the book moved so that the targets no longer hold, nothing is placed. Open for approval until ${nyStamp(n.proposal.expiresAt)}; after that it expires and nothing is placed.`,
        fields,
      }
    : { title: 'No orders', color: COLOURS.FLAT, description: 'Every account already holds its view.', fields };
  const [embeds] = packEmbeds([embed]);
  return {
    body: { embeds: embeds ?? [], components: n.proposal ? [proposalButtons(n.proposal.id)] : [], ...NO_PINGS },
    ...(n.proposal ? { decisionOf: n.proposal.id } : {}),
  };
}

const POSITIONS_PER_EMBED = 12;

function checkpointEmbeds(n: Extract<Notice, { type: 'checkpoint_report' }>): APIEmbed[] {
  const colour = n.positions.some((p) => p.status === 'invalidated') ? COLOURS.bad : n.positions.some((p) => p.status === 'watch') ? COLOURS.warn : COLOURS.good;
  const embeds: APIEmbed[] = [{ title: checkpointTitle(n), color: colour, description: checkpointSummary(n) }];
  for (let i = 0; i < n.positions.length; i += POSITIONS_PER_EMBED)
    embeds.push({
      color: colour,
      fields: n.positions.slice(i, i + POSITIONS_PER_EMBED).map((p) => ({ name: `${statusMark(p)}  ${positionHeadline(p)}`, value: lines(positionDetail(p)) })),
    });
  const [head, ...news] = checkpointNewsLines(n);
  if (head) embeds.push({ color: COLOURS.info, title: truncate(head, LIMITS.title), description: truncate(lines(news, '—'), LIMITS.description) });
  return embeds;
}

/** The exits, then one message with Approve / Reject per exit that waits for an approver. */
function exitPosts(n: Extract<Notice, { type: 'exit_report' }>): ThreadPost[] {
  const summary = embedsPosts([
    { title: exitTitle(n), color: COLOURS.warn, description: lines(n.exits.map((e) => `• ${exitLineText(e).replace(/\/council approve (\S+)/, 'the buttons below')}`)) },
  ]);
  const waiting = n.exits
    .filter((e) => e.status === 'awaiting_approval')
    .map(
      (e): ThreadPost => ({
        body: {
          content: clampContent(`Exit ${e.account}: ${e.side.toUpperCase()} ${e.qty} ${e.symbol} (${e.detail}), proposal ${e.proposalId}`),
          components: [proposalButtons(e.proposalId)],
          ...NO_PINGS,
        },
        decisionOf: e.proposalId,
      }),
    );
  return [...summary, ...waiting];
}

/** The postmortem as fixed-width code blocks, then each chart as an image attachment (10 per message). */
function postmortemPosts(n: Extract<Notice, { type: 'postmortem_ready' }>): ThreadPost[] {
  const blocks: string[] = [];
  let block: string[] = [];
  const flush = () => {
    if (block.length) blocks.push(`\`\`\`\n${block.join('\n')}\n\`\`\``);
    block = [];
  };
  for (const raw of postmortemLines(n.postmortem)) {
    const line = truncate(raw, 1000);
    if ([...block, line].join('\n').length + 8 > LIMITS.description) flush();
    block.push(line);
  }
  flush();
  const text = embedsPosts(blocks.map((description, i) => ({ ...(i === 0 ? { title: `Postmortem, week of ${n.week}` } : {}), color: COLOURS.info, description })));
  const charts: ThreadPost[] = [];
  for (let i = 0; i < n.charts.length; i += LIMITS.embedsPerMessage) {
    const chunk = n.charts.slice(i, i + LIMITS.embedsPerMessage).map((c, j) => ({ ...c, name: `chart-${i + j}.png` }));
    charts.push({
      body: {
        embeds: chunk.map((c) => ({ title: truncate(c.title, LIMITS.title), color: COLOURS.info, image: { url: `attachment://${c.name}` } })),
        attachments: chunk.map((c, id) => ({ id, filename: c.name })),
        ...NO_PINGS,
      },
      files: chunk.map((c) => ({ name: c.name, data: c.png })),
    });
  }
  return [...text, ...charts];
}

export function proposalButtons(proposalId: string): APIActionRowComponent<APIButtonComponent> {
  return {
    type: ComponentType.ActionRow,
    components: [
      { type: ComponentType.Button, style: ButtonStyle.Success, label: 'Approve', custom_id: proposalCustomId('approve', proposalId) },
      { type: ComponentType.Button, style: ButtonStyle.Danger, label: 'Reject', custom_id: proposalCustomId('reject', proposalId) },
    ],
  };
}

/** Order lines within one field value; what does not fit is counted, not silently dropped. */
function orderLines(all: string[]): string {
  const shown: string[] = [];
  let size = 0;
  for (const [i, raw] of all.entries()) {
    const line = truncate(raw, 200);
    const reserve = i < all.length - 1 ? 24 : 0; // room for "… and N more"
    if (size + line.length + 1 + reserve > LIMITS.fieldValue) {
      shown.push(`… and ${all.length - i} more`);
      break;
    }
    shown.push(line);
    size += line.length + 1;
  }
  return lines(shown);
}

function executionEmbed(proposalId: string, orders: OrderLine[], complete: boolean): APIEmbed {
  const anyRejected = orders.some((o) => o.status === 'rejected');
  return {
    title: `Orders for proposal ${proposalId}${complete ? '' : ' (not all placed yet)'}`,
    color: anyRejected ? COLOURS.warn : COLOURS.good,
    description: lines(
      orders.map((o) => `${orderText(o)}: ${orderStatusText(o)}${clampText(o.clamps)}`),
      'no orders',
    ),
  };
}

/** The decision message after approval, rejection, expiry or execution: a banner, and no buttons. */
function decisionEdit(proposalId: string, state: ProposalState | undefined, orders?: OrderLine[]): MessageBody {
  return { content: clampContent(proposalBanner(proposalId, state, orders)), components: state?.status === 'PENDING' ? [proposalButtons(proposalId)] : [], ...NO_PINGS };
}

export function proposalBanner(proposalId: string, state: ProposalState | undefined, orders?: OrderLine[]): string {
  const filled = orders?.filter((o) => o.status === 'filled').length;
  const tally = orders
    ? ` ${filled}/${orders.length} orders filled${orders.some((o) => o.status === 'rejected') ? `, ${orders.filter((o) => o.status === 'rejected').length} rejected` : ''}.`
    : '';
  switch (state?.status) {
    case 'APPROVED':
    case 'EXECUTED': {
      const a = state.approvedBy;
      return `✅ **${state.status === 'EXECUTED' ? 'Executed' : 'Approved'}**${a ? ` (approved by ${who(a.by)} via ${a.via} at ${nyStamp(a.at)})` : ''}.${tally || ' Placing orders…'}`;
    }
    case 'REJECTED':
      return `✖ **Rejected** by ${who(state.rejected?.by ?? 'someone')}${state.rejected?.reason ? `: ${state.rejected.reason}` : ''}. Nothing will be placed.`;
    case 'EXPIRED':
      return state.expiredReason
        ? `⌛ **Withdrawn**: ${state.expiredReason}. Nothing was placed.`
        : `⌛ **Expired** at ${nyStamp(state.expiresAt)} without approval. Nothing was placed.`;
    case 'PENDING':
      return `Proposal ${proposalId} is pending.`;
    case undefined:
      return `Proposal ${proposalId}`;
    default: {
      const never: never = state!.status;
      return never;
    }
  }
}

/** `/council status` as one embed. */
export function statusEmbed(s: StatusView): APIEmbed {
  const accounts = s.accounts.map((a) => {
    const positions = a.positions.map((p) => `${p.qty} ${p.symbol} (P/L ${signedMoney(p.unrealizedPl)})`).join(', ');
    return `**${a.account}** [${a.broker}] ${money(a.equity)}${positions ? `: ${positions}` : ''}${a.error ? ` ⚠ ${a.error}` : ''}`;
  });
  const [embed] = packEmbeds([
    {
      title: 'Council status',
      color: s.halted.halted ? COLOURS.bad : COLOURS.info,
      description: [
        s.trading.state === 'halted'
          ? `⛔ **HALTED** by ${who(s.trading.by ?? '?')} at ${nyStamp(s.trading.at ?? '')}`
          : s.trading.state === 'paused'
            ? `⏸ **PAUSED** by ${who(s.trading.by ?? '?')} at ${nyStamp(s.trading.at ?? '')}: no new entries; exits, stops and checkpoints go on`
            : 'Trading: active',
        `Database: ${s.mode.database} · market data: ${s.mode.market} · time: ${s.mode.time} (marked at ${nyStamp(s.asOf)})`,
        `Models: ${s.mode.llm}`,
      ].join('\n'),
      fields: [
        {
          name: 'Seats',
          value: lines([
            ...s.seats.map((x) => `${x.id}: ${x.model}${x.kind === 'systematic' ? ' (systematic)' : ''} → ${x.account}`),
            `chairman: ${s.chairman.models.join(' then ')} → ${s.chairman.account}`,
          ]),
        },
        { name: 'Accounts', value: lines(accounts) },
        {
          name: 'Pending proposals',
          value: lines(
            s.pending.map((p) => `${p.proposalId} (week ${p.week}, expires ${nyStamp(p.expiresAt)}): ${p.orders.length} orders${refusedText(p.refusals)}`),
            'none',
          ),
        },
        ...(s.lastRun ? [{ name: 'Last run', value: `week ${s.lastRun.week}, ${s.lastRun.outcome}${s.lastRun.proposalId ? `, proposal ${s.lastRun.proposalId}` : ''}` }] : []),
        ...(s.usage.lastRun ? [{ name: 'Cost of the last run', value: usageText(s.usage.lastRun) }] : []),
        ...(s.nextRuns.length ? [{ name: scheduleHeading(s.mode.time), value: lines(s.nextRuns.map((r) => `${r.job} at ${nyStamp(r.at)}`)) }] : []),
      ],
    },
  ]);
  return embed![0]!;
}

/** Lines in a code block no longer than a message allows (the tail is cut with a note). */
export function codeReply(lines: readonly string[]): string {
  const max = 1900;
  let body = lines.join('\n').replace(/```/g, "'''");
  if (body.length > max) body = `${body.slice(0, max)}\n… (cut; the CLI's --json has all of it)`;
  return `\`\`\`\n${body}\n\`\`\``;
}
