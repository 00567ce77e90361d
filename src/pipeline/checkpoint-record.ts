/**
 * What a checkpoint records in `checkpoint:<council>:<week>`: its evaluation of the open positions, the
 * trims and exits it ordered. The types, and the zod schema its stream's events are checked with when
 * read (fields added later are optional, unknown keys kept, so older evaluations still parse).
 */
import { z } from 'zod';
import type { NewsItem } from '../market/news.ts';
import type { ExitLine, ExitReason, PositionCheck } from './notices.ts';

/** A risk-reducing order that brings a position (or the book) back inside a limit. */
export interface TrimLine {
  account: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  limit: 'maxPositionPct' | 'maxGrossPct';
  detail: string;
  proposalId: string;
  status: 'placed' | 'awaiting_approval' | 'failed';
  note: string | null;
  /** What the account holds in the symbol once the trim fills (signed): the trim's target. */
  target: number;
}

/** The news of the held symbols published since the previous checkpoint of the week (or the week's decision time). */
export interface CheckpointNews {
  since: string;
  items: NewsItem[];
  /** Set when the source failed: the reply says so instead of showing nothing. */
  error: string | null;
}

export interface CheckpointResult {
  week: string;
  at: string;
  halted: boolean;
  positions: PositionCheck[];
  exits: ExitLine[];
  /** Trims back to the risk limits (sizes decided at evaluation; status once placed). */
  trims: TrimLine[];
  expired: string[];
  /** false when this instant was already evaluated (the recorded evaluation is returned, nothing is posted). */
  fresh: boolean;
  /** Absent without a news source (and in evaluations recorded before news). */
  news?: CheckpointNews;
  /** Orders still waiting to fill across the accounts (a position exists only once filled); absent in older evaluations. */
  working?: number;
}

/** The evaluation of one checkpoint instant, as recorded (the exits and trims' outcomes are not). */
export type CheckpointEvaluation = Omit<CheckpointResult, 'exits' | 'fresh' | 'trims'> & { trims?: TrimLine[] };

export interface TrimOrdered {
  proposalId: string;
  at: string;
  account: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  limit: TrimLine['limit'];
  detail: string;
}

export interface ExitOrdered {
  proposalId: string;
  at: string;
  account: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  reason: ExitReason;
  detail: string;
  entryProposalId: string | null;
}

export type CheckpointEvent = { type: 'CheckpointEvaluated'; data: CheckpointEvaluation } | { type: 'TrimOrdered'; data: TrimOrdered } | { type: 'ExitOrdered'; data: ExitOrdered };

const side = z.enum(['buy', 'sell']);
const exitReason = z.enum(['horizon', 'invalidation', 'kill_switch', 'manual']);
/** What a trim and an exit both record: the order a checkpoint placed, and why. */
const orderedFields = { proposalId: z.string(), at: z.string(), account: z.string(), symbol: z.string(), side, qty: z.number(), detail: z.string() };

/**
 * What every reader of an evaluation relies on. The rest (indicators, news, conditions) is the
 * evaluation's own report, read back as written; it is not re-validated field by field.
 */
const evaluationShape = z.looseObject({
  week: z.string(),
  at: z.string(),
  halted: z.boolean(),
  positions: z.array(z.looseObject({ account: z.string(), symbol: z.string(), qty: z.number(), exit: exitReason.nullable() })),
  expired: z.array(z.string()),
  trims: z.array(z.looseObject({ proposalId: z.string(), account: z.string(), symbol: z.string(), side, qty: z.number() })).optional(),
});

export const checkpointEventSchema: z.ZodType<CheckpointEvent> = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('CheckpointEvaluated'),
    data: z.custom<CheckpointEvaluation>((value) => evaluationShape.safeParse(value).success, 'not a checkpoint evaluation'),
  }),
  z.object({
    type: z.literal('TrimOrdered'),
    data: z.looseObject({ ...orderedFields, limit: z.enum(['maxPositionPct', 'maxGrossPct']) }),
  }),
  z.object({
    type: z.literal('ExitOrdered'),
    data: z.looseObject({ ...orderedFields, reason: exitReason, entryProposalId: z.string().nullable() }),
  }),
]);
