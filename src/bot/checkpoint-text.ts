/**
 * Wording of checkpoint and exit notices, shared by the renderers so every channel says the same thing.
 * Each function returns plain lines; a renderer adds its own emphasis.
 */
import type { ConditionCheck, ExitLine, ExitReason, Notice, OrderUpdateNotice, PositionCheck } from '../pipeline/notices.ts';
import { conditionText, nyStamp, orderStatusText, pct, priceText, signedConviction, signedMoney, truncate } from './format.ts';

type CheckpointNotice = Extract<Notice, { type: 'checkpoint_report' }>;
type ExitNotice = Extract<Notice, { type: 'exit_report' }>;

export const STATUS_MARK: Record<PositionCheck['status'], string> = { hold: '✔ HOLD', watch: '⚠ WATCH', invalidated: '✖ INVALIDATED' };

/** A position's mark at a checkpoint: EXITING when this checkpoint closes it (whatever its rule said), else its status. */
export const statusMark = (p: Pick<PositionCheck, 'status' | 'exit'>): string => (p.exit ? '➜ EXITING' : STATUS_MARK[p.status]);

export const EXIT_REASON_TEXT: Record<ExitReason, string> = {
  horizon: 'horizon reached',
  invalidation: 'invalidation hit',
  kill_switch: 'kill switch',
  manual: 'closed by an approver',
};

/** The one signed percentage (format.ts `pct`), under the name the renderers know. */
export const percent = pct;

const num = (x: number): string => String(+x.toFixed(4));

/**
 * One condition and its value now. Before the session's close is in, a "close" condition is judged on
 * the day's open (daily bars): the value is labelled as the open, never passed off as a close.
 */
export function conditionCheckText(c: ConditionCheck, mark?: PositionCheck['markSource']): string {
  const openForClose = mark?.kind === 'open' && c.condition.indicator === 'close';
  const now = c.value === null ? 'no value' : openForClose ? `open ${priceText(c.value)}, the ${mark.session} close is not in yet` : `now ${num(c.value)}`;
  return `${c.holds ? '✖' : c.near ? '⚠' : '·'} ${conditionText(c.condition)}  (${now}${c.holds ? ', HIT' : c.near ? ', near' : ''})`;
}

/** "CLAUDE  LONG 120 SPY  @ 250.10 → 241.00  P/L -$1,092.00 (-3.64%)" */
export function positionHeadline(p: PositionCheck): string {
  return `${p.account}  ${p.direction} ${Math.abs(p.qty)} ${p.symbol}  @ ${priceText(p.avgPrice)} → ${priceText(p.mark)}  P/L ${signedMoney(p.pl)} (${percent(p.plPct)})`;
}

export function positionDetail(p: PositionCheck): string[] {
  const lines: string[] = [];
  const origin = p.entry ? `${p.owner === 'council' ? 'council decision' : `${p.owner}'s pitch`}, proposal ${p.entry.proposalId}, filled ${p.entry.session}` : 'no council rule';
  const horizon = p.horizon ? `; horizon ${p.horizon.horizon}, ends with the session of ${p.horizon.lastSession}` : '';
  lines.push(`from ${origin}${horizon}`);
  if (p.rule) lines.push(`rule: ${p.rule}`);
  lines.push(...p.conditions.map((c) => conditionCheckText(c, p.markSource)));
  lines.push(...p.notes.map((n) => `note: ${n}`));
  const update = updateText(p);
  if (update) lines.push(update);
  if (p.exit) lines.push(`→ EXIT (${EXIT_REASON_TEXT[p.exit]}): ${p.exitDetail ?? ''}`.trimEnd());
  return lines;
}

/** The longest a model's note or error is shown (Slack and Discord fields are short). */
export const UPDATE_MAX = 200;

/** "conviction update (CLAUDE, anthropic/…): +1 ..." or why it is unavailable; null when the seat gives none. */
export function updateText(p: PositionCheck): string | null {
  const u = p.update;
  if (!u) return null;
  const who = `${p.owner === 'council' ? 'chairman' : p.owner}, ${u.model}`;
  return 'error' in u
    ? `conviction update unavailable (${who}): ${truncate(u.error, UPDATE_MAX)}`
    : `conviction update (${who}): ${signedConviction(u.conviction)}: ${truncate(u.note, UPDATE_MAX)}`;
}

export function checkpointTitle(n: Pick<CheckpointNotice, 'at' | 'week'>): string {
  return `Checkpoint ${nyStamp(n.at)} (week of ${n.week})`;
}

export function checkpointSummary(n: CheckpointNotice): string {
  if (n.positions.length === 0)
    return n.working
      ? `No open positions yet: ${n.working} order${n.working === 1 ? '' : 's'} wait${n.working === 1 ? 's' : ''} to fill (a position counts once it fills).`
      : 'No open positions.';
  const count = (s: PositionCheck['status']) => n.positions.filter((p) => p.status === s).length;
  const total = n.positions.reduce((sum, p) => sum + p.pl, 0);
  const mark = n.positions[0]!.markSource;
  const prices = mark.kind === 'open' ? `marked at the ${mark.session} open (daily bars: the open is the latest print)` : `marked at the ${mark.session} close`;
  return `${n.positions.length} positions: ${count('invalidated')} invalidated, ${count('watch')} watch, ${count('hold')} hold. Open P/L ${signedMoney(total)}; ${prices}.${n.halted ? ' Trading is HALTED: every position is being closed.' : ''}`;
}

/** "COUNCIL: stop hit, SOLD 139 IWM at 140.10 (-$1,234.00)": one pushed order update, as a thread reply. */
export function orderUpdateText(n: OrderUpdateNotice): string {
  const did = n.side === 'buy' ? 'BOUGHT' : 'SOLD';
  const pl = n.pl === null ? '' : ` (${signedMoney(n.pl)})`;
  const price = n.price === null ? '' : ` at ${priceText(n.price)}`;
  switch (n.event) {
    case 'fill':
    case 'partial_fill': {
      const what = n.leg === 'stop' ? 'stop hit' : n.leg === 'take_profit' ? 'take-profit hit' : n.event === 'fill' ? 'filled' : 'partly filled';
      const part = n.event === 'partial_fill' ? ` (${n.qty} of ${n.orderQty})` : '';
      return `${n.account}: ${what}, ${did} ${n.qty} ${n.symbol}${price}${pl}${part}`;
    }
    default:
      return `${n.account}: ${n.leg === 'stop' ? 'stop' : n.leg === 'take_profit' ? 'take-profit' : 'order'} ${n.event}, ${n.side.toUpperCase()} ${n.orderQty} ${n.symbol}  [${n.clientOrderId}]`;
  }
}

/** `approveHint`: how the reader approves an exit that needs it (the console's and the chat's `/council approve`, the CLI's `npx council approve`). */
export function exitLineText(e: ExitLine, approveHint: (proposalId: string) => string = (id) => `/council approve ${id}`): string {
  const head = `${e.account}: ${e.side.toUpperCase()} ${e.qty} ${e.symbol} (${EXIT_REASON_TEXT[e.reason]}: ${e.detail})`;
  switch (e.status) {
    case 'placed': {
      const order = e.orders[0];
      return `${head} → ${order ? orderStatusText(order) : 'placed'}  [${e.proposalId}]`;
    }
    case 'awaiting_approval':
      return `${head} → AWAITING APPROVAL: ${approveHint(e.proposalId)}`;
    case 'rejected':
      return `${head} → not placed: ${e.note ?? 'rejected'}`;
    case 'failed':
      return `${head} → FAILED: ${e.note ?? 'unknown error'}`;
    default: {
      const never: never = e.status;
      return never;
    }
  }
}

export function exitTitle(n: ExitNotice): string {
  if (n.exits.length > 0 && n.exits.every((e) => e.reason === 'manual')) return `Exits at ${nyStamp(n.at)} (closed by an approver)`;
  return `Exits at ${nyStamp(n.at)} (${n.requireApproval ? 'risk-reducing; approval required by config' : 'risk-reducing, approved by policy'})`;
}

/** The checkpoint reply's news: the held symbols' articles since the previous checkpoint, times in New York. */
export function checkpointNewsLines(n: Extract<Notice, { type: 'checkpoint_report' }>): string[] {
  if (!n.news) return [];
  const head = `News since ${nyStamp(n.news.since)} for the held symbols`;
  if (n.news.error) return [`${head}: the news source failed (${n.news.error}).`];
  if (n.news.items.length === 0) return [`${head}: none.`];
  return [`${head}:`, ...n.news.items.map((i) => `• ${nyStamp(i.publishedAt)}  ${i.source} (${i.symbols.join(' ')}): ${i.headline}`)];
}
