/**
 * The ports the pipeline calls for judgement: a researcher, the PM seats (which pitch and review) and
 * a chairman. Builtin systematic seats and LLM seats both implement them. Results are values, never
 * thrown strings: an error can never pose as an answer.
 */
import type { Decision, Pitch, ResearchPack, ReviewAnswer } from '../domain/schemas.ts';
import type { WeekCalendar } from '../market/releases.ts';
import type { MarketSnapshot } from '../market/snapshot.ts';
import type { PositionCheck } from './notices.ts';
import type { NewsBrief } from './research.ts';
import type { SeatKind, SeatResult } from './seat-result.ts';

export { addUsage, NO_USAGE, type SeatKind, type SeatResult, type Usage } from './seat-result.ts';

export interface StageInput {
  week: string;
  /** The decision time: nothing published after it may be used. */
  asOf: Date;
  universe: readonly string[];
  snapshot: MarketSnapshot;
  /** The desk's question: data for the seats, never instructions. */
  query: string | undefined;
  /** 'fenced' for runs that quote it delimited (RunStarted.questionFormat); absent: the older inline quote, kept so older runs replay. */
  questionFormat?: 'fenced';
  /** The research stage's news, numbered S1.. (absent outside the research stage). */
  news?: NewsBrief;
  /** The seven days' release calendar from the decision date (absent outside the research stage). */
  events?: WeekCalendar;
}

export interface LabelledPitch {
  label: string;
  pitch: Pitch;
}

export interface ResearchSeat {
  readonly model: string;
  readonly kind: SeatKind;
  research(input: StageInput): Promise<SeatResult<ResearchPack>>;
}

/** What a seat is shown at a checkpoint about a position it owns: its own pitch (or decision) and the position now. */
export interface ConvictionInput {
  /** The checkpoint's week (its calls are audited and budgeted under it). */
  week: string;
  /** The checkpoint time. */
  at: Date;
  /** The pitch or council decision that opened the position. */
  origin: { kind: 'pitch'; pitch: Pitch } | { kind: 'decision'; decision: Decision };
  position: Omit<PositionCheck, 'update'>;
}

export interface ConvictionUpdate {
  /** -2..2, as in a pitch. Informational only: exits stay rule-based. */
  conviction: number;
  note: string;
}

/** A seat that can say how it feels about a position it owns. Builtin seats have no opinion (the method is absent). */
export interface ConvictionUpdater {
  convictionUpdate?(input: ConvictionInput): Promise<SeatResult<ConvictionUpdate>>;
}

export interface PmSeat extends ConvictionUpdater {
  readonly id: string;
  readonly model: string;
  readonly kind: SeatKind;
  pitch(input: StageInput & { research: ResearchPack }): Promise<SeatResult<Pitch>>;
  /** Scores anonymous pitches (never the seat's own). */
  review(input: StageInput & { research: ResearchPack; pitches: readonly LabelledPitch[] }): Promise<SeatResult<ReviewAnswer>>;
}

export interface ReviewForChair {
  /** An anonymous reviewer label ("Reviewer 1"). */
  reviewer: string;
  scores: ReviewAnswer['scores'];
}

export interface ChairInput extends StageInput {
  research: ResearchPack;
  pitches: readonly LabelledPitch[];
  reviews: readonly ReviewForChair[];
}

export interface ChairSeat extends ConvictionUpdater {
  readonly model: string;
  readonly kind: SeatKind;
  decide(input: ChairInput): Promise<SeatResult<Decision>>;
}

/** What the pipeline needs to convene: built by the composition root from config. */
export interface Council {
  researchers: readonly ResearchSeat[];
  /** Asked only when every researcher failed; one that cannot fail (the builtin research) keeps the run going. */
  fallbackResearch?: ResearchSeat;
  seats: readonly PmSeat[];
  /** Tried in order; the last should be the builtin vote, which cannot fail. */
  chairs: readonly ChairSeat[];
  /** Merges several research packs into one (the builtin merge when there is one). */
  mergeResearch(packs: readonly ResearchPack[]): ResearchPack;
}
