/**
 * The platform-neutral notice union the core emits. Slack, Discord and the console each render it;
 * no formatting happens in the core.
 */
import type { Condition, Decision, Direction, Horizon, Pitch, ResearchPack, Rubric } from '../domain/schemas.ts';
import type { ProposalOrder } from '../domain/proposal.ts';
import type { TargetPosition } from '../domain/sizing.ts';
import type { Postmortem } from './postmortem-report.ts';
import type { SeatKind, Usage } from './seat-result.ts';

export interface PitchCard {
  label: string;
  status: 'ok' | 'abstained';
  kind: SeatKind;
  pitch: Pitch | null;
  error: string | null;
}

export interface ReviewRow {
  label: string;
  instrument: string;
  direction: Direction;
  averages: Rubric;
  overall: number;
  reviewers: number;
  killShots: string[];
}

export interface Identity {
  label: string | null;
  seat: string;
  model: string;
  kind: SeatKind;
  account: string;
  status: 'ok' | 'abstained';
  error: string | null;
}

export interface OrderLine extends ProposalOrder {
  status: 'planned' | 'submitted' | 'filled' | 'rejected' | 'pending';
  fillPrice: number | null;
  note: string | null;
}

export interface ProposalSummary {
  id: string;
  status: string;
  expiresAt: string;
  /** What each account holds after execution (signed, 0 to close); empty for proposals planned before targets. */
  targets: TargetPosition[];
  /** The orders as planned from the book at the decision; the ones placed are computed again at the approval. */
  orders: ProposalOrder[];
}

/** Why a position is exited: a checkpoint's rule, the kill switch, or an approver's `exit` command (`manual`). */
export type ExitReason = 'horizon' | 'invalidation' | 'kill_switch' | 'manual';

/** One invalidation condition at a checkpoint: its value then, and whether it holds. */
export interface ConditionCheck {
  condition: Condition;
  value: number | null;
  holds: boolean;
  /** Within 5% of its threshold. */
  near: boolean;
}

/** One open position at a checkpoint. */
export interface PositionCheck {
  account: string;
  /** The seat whose pitch opened it, 'council' for the chairman's account, null when no council rule is found. */
  owner: string | null;
  symbol: string;
  qty: number;
  direction: 'LONG' | 'SHORT';
  entry: { proposalId: string; week: string; session: string; price: number } | null;
  mark: number;
  /** The mark is the last close, or the day's open once the session has opened (daily bars). */
  markSource: { kind: 'close' | 'open'; session: string };
  avgPrice: number;
  pl: number;
  /** Signed so that a gain is positive, long or short. */
  plPct: number;
  status: 'hold' | 'watch' | 'invalidated';
  rule: string | null;
  conditions: ConditionCheck[];
  horizon: { horizon: Horizon; lastSession: string; due: boolean } | null;
  notes: string[];
  exit: ExitReason | null;
  exitDetail: string | null;
  /**
   * The owning seat's conviction update, when that seat can give one (an LLM seat); absent otherwise.
   * Shown, never acted on: exits stay rule-based.
   */
  update?: { model: string; conviction: number; note: string } | { model: string; error: string };
}

export interface ExitLine {
  account: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  reason: ExitReason;
  detail: string;
  /** The exit's own proposal (approve it by this id when exits need approval). */
  proposalId: string;
  status: 'placed' | 'awaiting_approval' | 'rejected' | 'failed';
  orders: OrderLine[];
  note: string | null;
}

export type Notice =
  | { type: 'run_started'; week: string; runId: string; query: string | null; seats: number; resumed: boolean; asOf: string; requestedBy?: string | null }
  | {
      type: 'research_ready';
      week: string;
      runId: string;
      pack: ResearchPack;
      sources: { model: string; kind: SeatKind; ok: boolean; error: string | null }[];
      lastSession: string;
      /** Citations dropped from the researchers' packs (unknown ids, sources after the decision time). */
      droppedCitations?: number;
    }
  | { type: 'stage_progress'; week: string; runId: string; stage: 'pitches' | 'reviews'; done: number; total: number }
  | { type: 'pitches_ready'; week: string; runId: string; pitches: PitchCard[] }
  | { type: 'reviews_ready'; week: string; runId: string; rows: ReviewRow[]; abstained: string[] }
  | {
      type: 'decision_ready';
      week: string;
      runId: string;
      decision: Decision;
      chair: { model: string; kind: SeatKind; failures: { model: string; error: string }[] };
      identities: Identity[];
      proposal: ProposalSummary | null;
      usage: Usage;
    }
  | { type: 'no_quorum'; week: string; runId: string; valid: number; required: number; abstentions: { seat: string; error: string }[] }
  /** `accounts`, `declined`: a partial approval's (only the accounts approved are placed); absent: all approved. */
  | { type: 'proposal_approved'; week: string; proposalId: string; by: string; at: string; via: string; accounts?: string[]; declined?: string[] }
  | { type: 'proposal_rejected'; week: string; proposalId: string; by: string; at: string; reason: string | null }
  | { type: 'proposal_expired'; week: string; proposalId: string; at: string; reason?: string }
  | { type: 'execution_report'; week: string; proposalId: string; orders: OrderLine[]; complete: boolean }
  | { type: 'approval_refused'; proposalId: string; by: string; reason: string }
  | { type: 'run_failed'; week: string; runId: string | null; errorId: string; message: string }
  | {
      type: 'checkpoint_report';
      week: string;
      at: string;
      halted: boolean;
      positions: PositionCheck[];
      /** Orders still waiting to fill: with no position yet, the reply says they wait rather than "no positions". */
      working?: number;
      /** The held symbols' news since the previous checkpoint (absent without a news source). */
      news?: { since: string; items: { headline: string; source: string; publishedAt: string; url: string | null; symbols: string[] }[]; error: string | null };
    }
  | { type: 'exit_report'; week: string; at: string; exits: ExitLine[]; requireApproval: boolean }
  | { type: 'halt_changed'; halted: boolean; by: string; at: string; canceledOrders: number }
  | OrderUpdateNotice
  | { type: 'pause_changed'; paused: boolean; by: string; at: string; via: string }
  | { type: 'reconciliation_report'; at: string; accounts: AccountReconciliation[] }
  | { type: 'postmortem_ready'; week: string; postmortem: Postmortem; charts: PostmortemChart[] }
  | ({ type: 'daily_summary' } & DailySummary);

/**
 * The desk's summary after a session's close, posted in the week's thread: each account's day P/L
 * (from the postmortem's ledger), its positions with their stops, what the day's checkpoints did, and
 * the next session's checkpoint times.
 */
export interface DailySummary {
  week: string;
  /** The session summarised (New York date) and when the summary was made. */
  date: string;
  at: string;
  /** null when the session's close is not in the ledger yet (its bars are not published). */
  accounts: { account: string; dayPnl: number | null; dayReturn: number | null; equity: number | null }[];
  positions: { account: string; symbol: string; qty: number; avgPrice: number; mark: number | null; unrealizedPl: number; stop: number | null; takeProfit: number | null }[];
  checkpoints: { at: string; positions: number; exits: { account: string; symbol: string; reason: ExitReason }[]; trims: number }[];
  /** The next session and its checkpoint times, ISO instants. */
  next: { session: string; checkpoints: string[] } | null;
}

/**
 * One order change a broker pushed (Alpaca's trade stream), once recorded: an entry filled or partly
 * filled, a protective leg filled (`leg`: the position was stopped out or took profit), or an order
 * canceled, expired or rejected. A reply in the week's thread.
 */
export interface OrderUpdateNotice {
  type: 'order_update';
  week: string;
  proposalId: string;
  account: string;
  symbol: string;
  clientOrderId: string;
  event: 'fill' | 'partial_fill' | 'canceled' | 'expired' | 'rejected';
  leg: 'stop' | 'take_profit' | null;
  side: 'buy' | 'sell';
  /** The shares this update filled (for a fill), else the order's. */
  qty: number;
  /** The order's whole size. */
  orderQty: number;
  /** The price of the shares this update filled; null when nothing filled. */
  price: number | null;
  /** A leg's fill: the realised P/L against the entry's average price; null otherwise. */
  pl: number | null;
  at: string;
}

/** A chart image for the uploaders (Slack files.uploadV2, Discord attachments); `path` when also written to disk. */
export interface PostmortemChart {
  fileName: string;
  title: string;
  png: Uint8Array;
  path: string | null;
}

/** One broker account compared with the event store at start; every list holds differences only. */
export interface AccountReconciliation {
  account: string;
  /** The broker has these orders of approved proposals, the event store does not (a crash after submit); they are recorded on resume. */
  unrecordedOrders: { proposalId: string; clientOrderId: string; symbol: string; side: 'buy' | 'sell'; qty: number; status: string }[];
  /** Recorded as submitted and not filled, but the broker ended them or does not know them. */
  endedOrders: { proposalId: string; clientOrderId: string; symbol: string; status: string }[];
  /** Open at the broker, placed by no proposal (someone traded by hand). */
  foreignOpenOrders: { clientOrderId: string; symbol: string; side: 'buy' | 'sell'; qty: number }[];
  /** Shares held at the broker vs the fills the event store records. */
  positions: { symbol: string; broker: number; recorded: number }[];
  /** The account could not be read; nothing was compared. */
  error: string | null;
}

export type NoticeType = Notice['type'];

/** Where notices go. Each channel renders them its own way; fan-out isolates one channel's failure. */
export interface NoticeSink {
  publish(notice: Notice): Promise<void>;
}

export const nullSink: NoticeSink = { publish: async () => {} };

export function fanOut(sinks: readonly NoticeSink[], onError: (error: unknown, notice: Notice) => void): NoticeSink {
  return {
    async publish(notice) {
      await Promise.all(
        sinks.map(async (sink) => {
          try {
            await sink.publish(notice);
          } catch (error) {
            onError(error, notice);
          }
        }),
      );
    },
  };
}
