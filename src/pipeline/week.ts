/**
 * The council week's event stream: each event's shape and zod schema, the WeekEvent union, the state
 * folded from it (evolve) and the stream's name. Reading checks every event against its schema, so
 * nothing downstream casts `data`.
 */
import { z } from 'zod';
import type { ProposalOrder } from '../domain/proposal.ts';
import type { Decision, DroppedCitation, Pitch, ResearchPack, ReviewScore } from '../domain/schemas.ts';
import type { TargetPosition } from '../domain/sizing.ts';
import type { WeekCalendar } from '../market/releases.ts';
import type { MarketSnapshot } from '../market/snapshot.ts';
import type { StoredEvent } from '../store/port.ts';
import { isVouchedFor } from '../store/trusted.ts';
import type { NewsBrief } from './research.ts';
import type { SeatKind, Usage } from './seat-result.ts';
import { parsedOnce } from './streams.ts';

export { weekStream } from './streams.ts';

export interface SeatInfo {
  id: string;
  model: string;
  kind: SeatKind;
  account: string;
}

export interface RunStarted {
  runId: string;
  week: string;
  asOf: string;
  /** The desk's question, cleaned (domain/question.ts): what every prompt quoted and every channel shows. */
  query: string | null;
  /** Who asked for the run (`slack:U…`, `discord:…`, `cli:<user>`, `scheduler`) and through which channel; absent on older runs. */
  requestedBy?: string | null;
  via?: string | null;
  /** How prompts quote the question: 'fenced' (delimited, marked as data). Absent on older runs, whose prompts quoted it inline and still replay that way. */
  questionFormat?: 'fenced';
  seats: SeatInfo[];
  chair: { models: string[]; account: string };
}

/** What the research stage found, as the rest of the week reads it. */
export interface WeekResearch {
  pack: ResearchPack;
  snapshot: MarketSnapshot;
  sources: { model: string; kind: SeatKind; ok: boolean; error: string | null }[];
  usage: Usage;
  /** What the researchers were given (absent in runs before research.v2). */
  news?: NewsBrief;
  calendar?: WeekCalendar;
  /** Citations dropped from each researcher's pack, and why. */
  droppedCitations?: (DroppedCitation & { model: string })[];
}

export interface ResearchCompleted extends WeekResearch {
  runId: string;
}

export interface PitchRecorded {
  runId: string;
  seat: string;
  model: string;
  kind: SeatKind;
  status: 'ok' | 'abstained';
  pitch: Pitch | null;
  error: string | null;
  usage: Usage;
  /** Citations taken out of the thesis: ids the research pack does not hold, or sources after the decision time. */
  droppedCitations?: DroppedCitation[];
}

export interface RecordedScore extends ReviewScore {
  /** The seat whose pitch was scored (the reviewer saw only `target`, a label). */
  seat: string;
}

export interface ReviewRecorded {
  runId: string;
  reviewer: string;
  model: string;
  status: 'ok' | 'abstained';
  seed: number;
  /** label -> seat, as this reviewer saw them */
  labels: { label: string; seat: string }[];
  scores: RecordedScore[];
  error: string | null;
  usage: Usage;
}

export interface DecisionMade {
  runId: string;
  decision: Decision;
  chair: { model: string; kind: SeatKind; failures: { model: string; error: string }[] };
  /** label -> seat, as the chairman (and the channel) saw them */
  labels: { label: string; seat: string }[];
  usage: Usage;
}

export interface ProposalCreated {
  runId: string;
  proposalId: string;
  expiresAt: string;
  orders: ProposalOrder[];
  /** What each account holds afterwards (absent on weeks planned before targets were recorded). */
  targets?: TargetPosition[];
}

export type WeekOutcome = 'proposal' | 'no_quorum' | 'no_orders';

export interface RunCompleted {
  runId: string;
  outcome: WeekOutcome;
}

/**
 * A new attempt at a week whose last attempt ended without quorum (`council run --week W --retry`). The
 * failed attempt's events stay in the stream, before this one; the fold starts over after it.
 */
export interface RunRetried {
  previousRunId: string;
  previousOutcome: string;
  attempt: number;
  at: string;
}

export type WeekEvent =
  | { type: 'RunStarted'; data: RunStarted }
  | { type: 'ResearchCompleted'; data: ResearchCompleted }
  | { type: 'PitchRecorded'; data: PitchRecorded }
  | { type: 'ReviewRecorded'; data: ReviewRecorded }
  | { type: 'DecisionMade'; data: DecisionMade }
  | { type: 'ProposalCreated'; data: ProposalCreated }
  | { type: 'RunCompleted'; data: RunCompleted }
  | { type: 'RunRetried'; data: RunRetried };

export type WeekEventType = WeekEvent['type'];

/*
 * One schema per event type. Each checks what the week's decisions read (ids, statuses, outcomes,
 * labels, usage); the payloads the models were shown or wrote (packs, snapshots, pitches, decisions,
 * orders) are checked as objects and kept by reference, byte for byte, so a resumed or replayed run
 * builds the very prompts the recorded one did. Unknown fields pass through: older and newer runs
 * both read.
 */
const payload = <T>() => z.custom<T>((value) => typeof value === 'object' && value !== null);
const seatKind = z.enum(['llm', 'systematic']);
const status = z.enum(['ok', 'abstained']);
const label = z.looseObject({ label: z.string(), seat: z.string() });
const usage: z.ZodType<Usage> = z.looseObject({ calls: z.number(), promptTokens: z.number(), completionTokens: z.number(), costUsd: z.number() });

const runStarted: z.ZodType<RunStarted> = z.looseObject({
  runId: z.string(),
  week: z.string(),
  asOf: z.string(),
  query: z.string().nullable(),
  requestedBy: z.string().nullable().optional(),
  via: z.string().nullable().optional(),
  questionFormat: z.literal('fenced').optional(),
  seats: z.array(z.looseObject({ id: z.string(), model: z.string(), kind: seatKind, account: z.string() })),
  chair: z.looseObject({ models: z.array(z.string()), account: z.string() }),
});

const researchCompleted: z.ZodType<ResearchCompleted> = z.looseObject({
  runId: z.string(),
  pack: payload<ResearchPack>(),
  snapshot: payload<MarketSnapshot>(),
  sources: z.array(z.looseObject({ model: z.string(), kind: seatKind, ok: z.boolean(), error: z.string().nullable() })),
  usage,
  news: payload<NewsBrief>().optional(),
  calendar: payload<WeekCalendar>().optional(),
  droppedCitations: z.array(payload<DroppedCitation & { model: string }>()).optional(),
});

const pitchRecorded: z.ZodType<PitchRecorded> = z.looseObject({
  runId: z.string(),
  seat: z.string(),
  model: z.string(),
  kind: seatKind,
  status,
  pitch: payload<Pitch>().nullable(),
  error: z.string().nullable(),
  usage,
  droppedCitations: z.array(payload<DroppedCitation>()).optional(),
});

const reviewRecorded: z.ZodType<ReviewRecorded> = z.looseObject({
  runId: z.string(),
  reviewer: z.string(),
  model: z.string(),
  status,
  seed: z.number(),
  labels: z.array(label),
  scores: z.array(payload<RecordedScore>()),
  error: z.string().nullable(),
  usage,
});

const decisionMade: z.ZodType<DecisionMade> = z.looseObject({
  runId: z.string(),
  decision: payload<Decision>(),
  chair: z.looseObject({ model: z.string(), kind: seatKind, failures: z.array(z.looseObject({ model: z.string(), error: z.string() })) }),
  labels: z.array(label),
  usage,
});

const proposalCreated: z.ZodType<ProposalCreated> = z.looseObject({
  runId: z.string(),
  proposalId: z.string(),
  expiresAt: z.string(),
  orders: z.array(payload<ProposalOrder>()),
  targets: z.array(payload<TargetPosition>()).optional(),
});

const runCompleted: z.ZodType<RunCompleted> = z.looseObject({ runId: z.string(), outcome: z.enum(['proposal', 'no_quorum', 'no_orders']) });

const runRetried: z.ZodType<RunRetried> = z.looseObject({ previousRunId: z.string(), previousOutcome: z.string(), attempt: z.number(), at: z.string() });

const SCHEMAS: { [K in WeekEventType]: z.ZodType<Extract<WeekEvent, { type: K }>['data']> } = {
  RunStarted: runStarted,
  ResearchCompleted: researchCompleted,
  PitchRecorded: pitchRecorded,
  ReviewRecorded: reviewRecorded,
  DecisionMade: decisionMade,
  ProposalCreated: proposalCreated,
  RunCompleted: runCompleted,
  RunRetried: runRetried,
};

const isWeekEventType = (type: string): type is WeekEventType => Object.hasOwn(SCHEMAS, type);

/** A stored event of a week stream that does not match its type's schema. */
export class WeekEventError extends Error {
  readonly code = 'WEEK_EVENT';
  constructor(stream: string, version: number, type: string, issues: string) {
    super(`${stream}@${version}: ${type} does not match its schema: ${issues}`);
  }
}

/**
 * The week event a stored event holds, checked against its schema; undefined for a type the week does
 * not know. Parsed once per stored event (streams.ts, parsedOnce), frozen.
 */
export const parseWeekEvent = (stored: StoredEvent): WeekEvent | undefined => parsedOnce(stored, checkWeekEvent);

function checkWeekEvent(stored: StoredEvent): WeekEvent | undefined {
  const { type } = stored;
  if (!isWeekEventType(type)) return undefined;
  // An event its store vouches for (store/trusted.ts) was written by the week's own typed code.
  if (isVouchedFor(stored)) return { type, data: stored.data } as WeekEvent;
  const parsed = SCHEMAS[type].safeParse(stored.data);
  if (!parsed.success) throw new WeekEventError(stored.stream, stored.version, type, z.prettifyError(parsed.error));
  // SCHEMAS[type] parses exactly that type's data; TypeScript cannot pair the two across the union by itself.
  return { type, data: parsed.data } as WeekEvent;
}

export interface WeekState {
  /** Earlier attempts at this week, oldest first (each ended without quorum and was retried). */
  attempts: { runId: string; outcome: string; retriedAt: string }[];
  started: RunStarted | undefined;
  research: WeekResearch | undefined;
  pitches: Map<string, PitchRecorded>;
  reviews: Map<string, ReviewRecorded>;
  decision: DecisionMade | undefined;
  proposal: ProposalCreated | undefined;
  completed: { outcome: WeekOutcome } | undefined;
}

/** A week before its first event. */
export function initialWeekState(): WeekState {
  return { attempts: [], started: undefined, research: undefined, pitches: new Map(), reviews: new Map(), decision: undefined, proposal: undefined, completed: undefined };
}

/** The week after one more event. Pure: the state given is left as it was. */
export function evolve(state: WeekState, event: WeekEvent): WeekState {
  switch (event.type) {
    case 'RunStarted':
      return { ...state, started: event.data };
    case 'ResearchCompleted':
      return { ...state, research: event.data };
    case 'PitchRecorded':
      return { ...state, pitches: new Map(state.pitches).set(event.data.seat, event.data) };
    case 'ReviewRecorded':
      return { ...state, reviews: new Map(state.reviews).set(event.data.reviewer, event.data) };
    case 'DecisionMade':
      return { ...state, decision: event.data };
    case 'ProposalCreated':
      return { ...state, proposal: event.data };
    case 'RunCompleted':
      return { ...state, completed: event.data };
    case 'RunRetried': {
      // A new attempt starts over; the earlier one is remembered by its run id and outcome.
      const { previousRunId, previousOutcome, at } = event.data;
      return { ...initialWeekState(), attempts: [...state.attempts, { runId: previousRunId, outcome: previousOutcome, retriedAt: at }] };
    }
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

/**
 * The last fold of each list of week events, by its last stored event: the stores that hand out the same
 * frozen events to every reader (memory, the stream cache) have a week folded once per new event, not once
 * per read (a backtest's checkpoints fold the same weeks tens of thousands of times). A fold is answered
 * again only for the very same events in the same order; a list that goes on from one folded before (the
 * stream read again after an append) folds only the events after it. States are never edited (evolve is pure).
 */
const folds = new WeakMap<StoredEvent, { events: readonly StoredEvent[]; state: WeekState }>();

/** Whether `events` begins with every event of `prefix`, the very same objects in the same order. */
function startsWith(events: readonly StoredEvent[], prefix: readonly StoredEvent[]): boolean {
  if (prefix.length > events.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== events[i]) return false;
  return true;
}

/** The week's state from its stored events, each checked against its schema (types the week does not know are skipped). */
export function foldWeek(events: readonly StoredEvent[]): WeekState {
  const last = events[events.length - 1];
  if (last === undefined) return initialWeekState();
  const known = folds.get(last);
  if (known && known.events.length === events.length && startsWith(events, known.events)) return known.state;
  // The longest beginning of these events folded before, if any: only the events after it are folded.
  let from = 0;
  let state = initialWeekState();
  for (let end = events.length - 1; end > 0; end--) {
    const before = folds.get(events[end - 1] as StoredEvent);
    if (before && before.events.length === end && startsWith(events, before.events)) {
      from = end;
      state = before.state;
      break;
    }
  }
  for (let i = from; i < events.length; i++) {
    const event = parseWeekEvent(events[i] as StoredEvent);
    if (event) state = evolve(state, event);
  }
  folds.set(last, { events: events.slice(), state });
  return state;
}

/** The events of the week's current attempt: those after its last RunRetried. */
export function currentAttempt(events: readonly StoredEvent[]): StoredEvent[] {
  let start = 0;
  events.forEach((e, i) => {
    if (e.type === 'RunRetried') start = i + 1;
  });
  return events.slice(start);
}
