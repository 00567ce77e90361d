/**
 * The council's vocabulary as zod schemas. Every schema here is also sent to models as a JSON schema,
 * so fields are nullable, never optional, and no records are used (see NOTES-sdk.md).
 */
import { z } from 'zod';

export const DIRECTIONS = ['LONG', 'SHORT', 'FLAT'] as const;
export const Direction = z.enum(DIRECTIONS);
export type Direction = z.infer<typeof Direction>;

export const HORIZONS = ['1d', '3d', '1w'] as const;
export const Horizon = z.enum(HORIZONS);
export type Horizon = z.infer<typeof Horizon>;

export const INDICATORS = [
  'close',
  'return_1d',
  'return_1w',
  'return_1m',
  'realized_vol_20',
  'rsi_14',
  'macd',
  'macd_signal',
  'macd_hist',
  'sma_20',
  'sma_50',
  'sma_200',
  'dist_52w_high',
  'vix',
] as const;
export const Indicator = z.enum(INDICATORS);
export type Indicator = z.infer<typeof Indicator>;

export const Comparator = z.enum(['>', '>=', '<', '<=']);
export type Comparator = z.infer<typeof Comparator>;

export const Conviction = z.number().min(-2).max(2);

/** A machine-checkable condition: `indicator(symbol) comparator threshold`. */
export const Condition = z.object({
  symbol: z.string().min(1).max(8),
  indicator: Indicator,
  comparator: Comparator,
  threshold: z.number(),
});
export type Condition = z.infer<typeof Condition>;

/** An indicator the pitch leans on: its value when pitched and the threshold that keeps the thesis alive. */
export const IndicatorUse = Condition.extend({
  value: z.number().nullable(),
});
export type IndicatorUse = z.infer<typeof IndicatorUse>;

export const Invalidation = z.object({
  rule: z.string().min(1).max(400),
  /** The position is invalidated when ANY of these holds. */
  conditions: z.array(Condition).min(1).max(4),
});
export type Invalidation = z.infer<typeof Invalidation>;

/**
 * The protective levels a view proposes on its own instrument: a stop (below the last close for a LONG,
 * above it for a SHORT) and a take-profit on the profitable side. Either may be null: the stop is then
 * derived in code (src/domain/stops.ts), which also checks and clamps any level a model gives.
 */
const protectiveLevels = {
  stop: z.number().nullable(),
  takeProfit: z.number().nullable(),
};

/** The pitch.v1 answer, without protective levels, so runs recorded with pitch.v1 replay from their own requests. */
export const PitchV1 = z.object({
  instrument: z.string().min(1).max(8),
  direction: Direction,
  horizon: Horizon,
  thesis: z.array(z.string().min(1).max(300)).min(1).max(5),
  indicators: z.array(IndicatorUse).min(1).max(6),
  conviction: Conviction,
  invalidation: Invalidation,
});
export type PitchV1 = z.infer<typeof PitchV1>;

/** The pitch (pitch.v2): the v1 fields plus its stop and take-profit. */
export const Pitch = PitchV1.extend(protectiveLevels);
export type Pitch = z.infer<typeof Pitch>;

export const Regime = z.object({
  riskAppetite: z.enum(['risk-on', 'risk-off', 'neutral']),
  rates: z.enum(['rising', 'falling', 'stable']),
  usd: z.enum(['strong', 'weak', 'stable']),
  inflation: z.enum(['rising', 'falling', 'stable']),
  growth: z.enum(['accelerating', 'slowing', 'stable']),
  volatility: z.enum(['low', 'normal', 'elevated', 'stressed']),
  summary: z.string().max(600),
});
export type Regime = z.infer<typeof Regime>;

/** A dated source the research may cite by id: a news item given to the models, or one an online model found. */
export const Source = z.object({
  id: z.string().min(1).max(12),
  title: z.string().max(200),
  source: z.string().max(80),
  /** ISO 8601 with offset; a source published after the decision time is never kept. */
  publishedAt: z.string().max(40),
  url: z.string().max(500).nullable(),
});
export type Source = z.infer<typeof Source>;

/** Source ids an item rests on ("S3", "W1"). */
const Cites = z.array(z.string().max(12)).max(6);

const regimeAndCandidates = {
  regime: Regime,
  candidates: z.array(z.object({ symbol: z.string().max(8), direction: Direction, reason: z.string().max(300) })).max(5),
  confidence: z.array(z.string().max(300)).max(5),
};

/** The research answer of the research.v1 prompt, unchanged, so old runs replay from their own requests. */
export const ResearchAnswerV1 = z.object({
  regime: Regime,
  narratives: z.array(z.object({ title: z.string().max(120), detail: z.string().max(500) })).max(3),
  consensus: z
    .array(
      z.object({
        view: z.string().max(200),
        stance: z.enum(['consensus', 'contrarian', 'split']),
        evidence: z.string().max(300),
      }),
    )
    .max(6),
  candidates: regimeAndCandidates.candidates,
  calendar: z.array(z.object({ date: z.string().max(10), event: z.string().max(200) })).max(12),
  confidence: regimeAndCandidates.confidence,
});
export type ResearchAnswerV1 = z.infer<typeof ResearchAnswerV1>;

/** The research.v2 answer: narratives, consensus and calendar cite source ids; an online model lists its own sources. */
export const ResearchAnswer = z.object({
  ...regimeAndCandidates,
  narratives: z.array(z.object({ title: z.string().max(120), detail: z.string().max(500), cites: Cites })).max(3),
  consensus: z
    .array(
      z.object({
        view: z.string().max(200),
        stance: z.enum(['consensus', 'contrarian', 'split']),
        evidence: z.string().max(300),
        cites: Cites,
      }),
    )
    .max(6),
  calendar: z.array(z.object({ date: z.string().max(10), event: z.string().max(200), cites: Cites })).max(12),
  sources: z.array(Source).max(20),
});
export type ResearchAnswer = z.infer<typeof ResearchAnswer>;

/** A citation dropped from the pack, and why. */
export interface DroppedCitation {
  /** Where it was cited: "narratives[0]", "calendar[2]", "sources" (a source itself refused). */
  at: string;
  id: string;
  reason: 'unknown id' | 'published after the decision time' | 'no valid publication time';
}

/**
 * The research pack the council reads. The citation fields are optional so a research.v1 pack (no
 * sources, no cites) reads, and encodes into later prompts, exactly as it did.
 */
export const ResearchPack = z.object({
  regime: Regime,
  narratives: z.array(z.object({ title: z.string().max(120), detail: z.string().max(500), cites: Cites.optional() })).max(3),
  consensus: z
    .array(
      z.object({
        view: z.string().max(200),
        stance: z.enum(['consensus', 'contrarian', 'split']),
        evidence: z.string().max(300),
        cites: Cites.optional(),
      }),
    )
    .max(6),
  candidates: regimeAndCandidates.candidates,
  calendar: z.array(z.object({ date: z.string().max(10), event: z.string().max(200), cites: Cites.optional() })).max(12),
  confidence: regimeAndCandidates.confidence,
  /** Every source the pack may cite, dated; ids are unique. */
  sources: z.array(Source).max(60).optional(),
  /** Plain words on where the news and the calendar came from ("no news source is configured"). */
  provenance: z.object({ news: z.string().max(300), calendar: z.string().max(600) }).optional(),
});
export type ResearchPack = z.infer<typeof ResearchPack>;

export const RUBRIC = ['clarity', 'edgePlausibility', 'timingCatalyst', 'riskDefinition', 'indicatorIntegrity', 'originality', 'tradeability'] as const;
export type RubricKey = (typeof RUBRIC)[number];

const Score = z.number().int().min(1).max(10);
export const Rubric = z.object({
  clarity: Score,
  edgePlausibility: Score,
  timingCatalyst: Score,
  riskDefinition: Score,
  indicatorIntegrity: Score,
  originality: Score,
  tradeability: Score,
});
export type Rubric = z.infer<typeof Rubric>;

/** One reviewer's verdict on one anonymous pitch, by label ("Pitch B"). */
export const ReviewScore = z.object({
  target: z.string().min(1).max(2),
  rubric: Rubric,
  killShot: z.string().min(1).max(400),
  flipCondition: z.string().min(1).max(300),
  improvements: z.array(z.string().max(300)).max(3),
});
export type ReviewScore = z.infer<typeof ReviewScore>;

export const ReviewAnswer = z.object({ scores: z.array(ReviewScore).min(1).max(6) });
export type ReviewAnswer = z.infer<typeof ReviewAnswer>;

export const CHECKPOINT_TIMES = ['09:00', '12:00', '14:00', '15:50'] as const;

/** The chair.v1 answer, without protective levels (see PitchV1). */
export const DecisionV1 = z.object({
  instrument: z.string().min(1).max(8),
  direction: Direction,
  conviction: Conviction,
  horizon: Horizon,
  rationale: z.string().min(1).max(1500),
  dissent: z.string().min(1).max(1000),
  monitoring: z.object({
    checkpoints: z
      .array(z.string().regex(/^\d\d:\d\d$/))
      .min(1)
      .max(6),
    indicators: z.array(Condition).max(6),
    watch: z.array(z.string().max(300)).max(5),
  }),
  invalidation: Invalidation,
});
export type DecisionV1 = z.infer<typeof DecisionV1>;

/** The chairman's decision (chair.v2): the v1 fields plus its stop and take-profit. */
export const Decision = DecisionV1.extend(protectiveLevels);
export type Decision = z.infer<typeof Decision>;

export const rubricAverage = (r: Rubric): number => RUBRIC.reduce((sum, key) => sum + r[key], 0) / RUBRIC.length;
