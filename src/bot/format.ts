/** Wording shared by every renderer, so Slack, Discord and the console say the same thing. */
import type { Condition, Direction, ResearchPack, RubricKey, Source } from '../domain/schemas.ts';
import type { BrokerOrder } from '../brokers/port.ts';
import type { AccountReconciliation, OrderLine } from '../pipeline/notices.ts';
import type { Usage } from '../pipeline/seats.ts';
import { nyDate, nyTime, weekday } from '../market/time.ts';

export const RUBRIC_SHORT: Record<RubricKey, string> = {
  clarity: 'Clar',
  edgePlausibility: 'Edge',
  timingCatalyst: 'Time',
  riskDefinition: 'Risk',
  indicatorIntegrity: 'Ind',
  originality: 'Orig',
  tradeability: 'Trad',
};

export const RUBRIC_LONG: Record<RubricKey, string> = {
  clarity: 'clarity',
  edgePlausibility: 'edge plausibility',
  timingCatalyst: 'timing/catalyst',
  riskDefinition: 'risk definition',
  indicatorIntegrity: 'indicator integrity',
  originality: 'originality',
  tradeability: 'tradeability',
};

export const signedConviction = (c: number): string => `${c > 0 ? '+' : ''}${c.toFixed(2)}`;

export const view = (instrument: string, direction: Direction, conviction: number): string =>
  direction === 'FLAT' ? `FLAT (no position; last looked at ${instrument})` : `${direction} ${instrument}, conviction ${signedConviction(conviction)}`;

export const conditionText = (c: Condition): string => `${c.indicator === 'vix' ? 'VIX' : `${c.symbol} ${c.indicator}`} ${c.comparator} ${c.threshold}`;

/** Dollars with two decimals and thousands separators: "$12,345.60", "-$3.10". */
export const money = (x: number): string =>
  `${x < 0 && Math.abs(x) >= 0.005 ? '-' : ''}$${Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** A profit or loss: always signed, "+$1,234.50", "-$87.00" ("$0.00" for none). */
export const signedMoney = (x: number): string => (Math.abs(x) < 0.005 ? '$0.00' : `${x > 0 ? '+' : ''}${money(x)}`);

/** A price as quoted, two decimals and thousands separators, no currency sign: "5,123.40". */
export const priceText = (x: number): string => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A fraction as a signed percentage, the one way every channel writes one: 0.0123 -> "+1.23%", -0.004 -> "-0.40%". */
export const pct = (x: number): string => {
  const s = (x * 100).toFixed(2);
  return Number(s) === 0 ? '0.00%' : `${x > 0 ? '+' : ''}${s}%`;
};

export const usageText = (u: Usage): string =>
  u.calls === 0
    ? 'LLM cost: $0.00 (systematic seats, no model calls)'
    : `LLM cost: $${u.costUsd.toFixed(4)} for ${u.calls} calls (${u.promptTokens.toLocaleString('en-US')} in / ${u.completionTokens.toLocaleString('en-US')} out tokens)`;

/**
 * One order as every channel shows it: `COUNCIL: BUY 139 IWM, stop 140.10, take-profit 151.00, risk $1,234.00
 * (1.2% of equity)`; the stop is the one sent with the order or put on the whole position after it fills,
 * the risk the loss at that stop of the position the order leaves.
 */
export const orderText = (o: Pick<OrderLine, 'account' | 'side' | 'qty' | 'symbol'> & Partial<Pick<OrderLine, 'protect' | 'replaceLegs' | 'risk'>>): string => {
  const legs = o.protect ?? o.replaceLegs;
  const parts = [`${o.account}: ${o.side.toUpperCase()} ${o.qty} ${o.symbol}`];
  if (legs) parts.push(`stop ${legs.stopPrice.toFixed(2)}`);
  if (legs && legs.takeProfitPrice !== null) parts.push(`take-profit ${legs.takeProfitPrice.toFixed(2)}`);
  if (o.risk)
    parts.push(`risk $${o.risk.dollars.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} (${(o.risk.pctOfEquity * 100).toFixed(1)}% of equity)`);
  return parts.join(', ');
};

/** A target position: what the account holds once the proposal executed (signed; 0 is flat). */
export const targetText = (t: { account: string; symbol: string; qty: number }): string =>
  `${t.account}: hold ${t.qty} ${t.symbol}${t.qty < 0 ? ' (short)' : t.qty === 0 ? ' (flat)' : ''}`;

/** Said wherever targets are shown: the orders are not sent as planned, but computed again at the click. */
export const TARGETS_NOTE =
  'At approval the orders are computed again from the book then, toward these targets and inside the limits; if the book moved so that the targets no longer hold, nothing is placed.';

/** Clamps shown after an order's line. */
export const clampText = (clamps: readonly string[]): string => (clamps.length ? `  [clamped: ${clamps.join('; ')}]` : '');

export function orderStatusText(o: OrderLine): string {
  switch (o.status) {
    case 'filled':
      return `filled at ${o.fillPrice?.toFixed(2)}`;
    case 'rejected':
      return `rejected: ${o.note ?? 'by the broker'}`;
    case 'submitted':
      return 'accepted, waiting for the open';
    case 'pending':
      return 'not yet placed';
    case 'planned':
      return 'planned';
    default: {
      const never: never = o.status;
      return never;
    }
  }
}

/** A pending proposal's refused attempts, as a suffix of its status line. */
/** A reason ended as one sentence: its own full stop kept, never doubled ("Nothing was placed.. "). */
export const sentence = (text: string): string => `${text.trimEnd().replace(/[.]+$/, '')}.`;

export const refusedText = (refusals: number): string => (refusals ? `, ${refusals} refused attempt${refusals === 1 ? '' : 's'} by non-approvers` : '');

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** An instant as a New York wall-clock stamp, the way a US trader reads it: "Mon 2024-03-04 16:00 ET". */
export function nyStamp(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const date = nyDate(d);
  return `${WEEKDAYS[weekday(date)]} ${date} ${nyTime(d)} ET`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** An ISO instant as the code writes one ("2026-11-30T13:47:26.375Z"). */
const ISO_INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

/**
 * A message for people with every ISO instant in it said as New York time ("Mon 2026-11-30 08:47 ET"):
 * refusals written below the bot layer (a halt, an expired proposal) carry instants, and every channel
 * shows them through this.
 */
export const withNyTimes = (text: string): string => text.replace(ISO_INSTANT, (iso) => nyStamp(iso));

/** One account's reconciliation differences, one line each, the same in every channel. */
export function reconciliationLines(a: AccountReconciliation): string[] {
  if (a.error) return [`could not be read, nothing compared: ${a.error}`];
  return [
    ...a.unrecordedOrders.map(
      (o) => `${o.side.toUpperCase()} ${o.qty} ${o.symbol} (${o.clientOrderId}) is ${o.status} at the broker but was not recorded; recording it now, not resending`,
    ),
    ...a.endedOrders.map((o) => `${o.symbol} order ${o.clientOrderId} was recorded as placed; the broker says ${o.status}`),
    ...a.foreignOpenOrders.map((o) => `open ${o.side.toUpperCase()} ${o.qty} ${o.symbol} (${o.clientOrderId}) was not placed by the council`),
    ...a.positions.map((p) => `${p.symbol}: the broker holds ${p.broker} shares, the council's fills add up to ${p.recorded}`),
  ];
}

/** The source ids an item of the research pack cites, as " [S1, W2]"; nothing when it cites none. */
export const citesText = (cites: readonly string[] | undefined): string => (cites?.length ? ` [${cites.join(', ')}]` : '');

/** One source of the research pack: its id, when it was published (New York time), publisher and title. */
export const sourceText = (s: Source): string => `${s.id}  ${nyStamp(s.publishedAt)}  ${s.source}: ${s.title}`;

/**
 * The pack's sources for a channel that can show only some: those an item cites first (by id order in the
 * pack), then the rest, so a cut list still shows what the research rests on.
 */
export function citedSourcesFirst(pack: ResearchPack): Source[] {
  const cited = new Set([...pack.narratives, ...pack.consensus, ...pack.calendar].flatMap((item) => item.cites ?? []));
  const sources = pack.sources ?? [];
  return [...sources.filter((s) => cited.has(s.id)), ...sources.filter((s) => !cited.has(s.id))];
}

/** Where the pack's news and calendar came from, and what was dropped, in plain words. */
export function provenanceLines(pack: ResearchPack, droppedCitations: number | undefined): string[] {
  return [
    ...(pack.provenance ? [`News: ${pack.provenance.news}`, `Calendar: ${pack.provenance.calendar}`] : []),
    ...(droppedCitations
      ? [`${droppedCitations} citation${droppedCitations === 1 ? '' : 's'} dropped (unknown ids or sources published after the decision time); see the run's research record.`]
      : []),
  ];
}

/**
 * A working order as the status lists it; a filled entry the broker still lists holds its resting
 * protective legs, so it reads as the stop (and take-profit) that protect the position.
 */
export function openOrderText(o: Pick<BrokerOrder, 'side' | 'qty' | 'symbol' | 'status' | 'filledQty' | 'legs'>): string {
  const resting = (o.legs ?? []).filter((l) => l.status === 'held' || l.status === 'accepted' || l.status === 'partially_filled');
  const legs = resting.map((l) => `${l.kind === 'stop' ? 'stop' : 'take-profit'} ${priceText(l.price)}`).join(', ');
  if (o.status === 'filled' || o.filledQty >= o.qty) return legs ? `${o.symbol} protected at the broker: ${legs}` : `${o.side} ${o.qty} ${o.symbol} (filled)`;
  return `open order: ${o.side} ${o.qty} ${o.symbol} (${o.status})${legs ? `, with ${legs}` : ''}`;
}

/** The schedule's heading in a status: on replay data the slots are only listed (time moves with checkpoint and postmortem). */
export const scheduleHeading = (time: 'simulated' | 'live'): string =>
  time === 'simulated' ? 'Scheduled on the wall clock, not run on replay data (checkpoint and postmortem move it)' : 'Next scheduled';
