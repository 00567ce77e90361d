/** The council week's event stream and the state folded from it. */
import type { Decision, DroppedCitation, Pitch, ResearchPack, ReviewScore } from '../domain/schemas.ts';
import type { WeekCalendar } from '../market/releases.ts';
import type { ProposalOrder } from '../domain/proposal.ts';
import type { TargetPosition } from '../domain/sizing.ts';
import type { MarketSnapshot } from '../market/snapshot.ts';
import type { StoredEvent } from '../store/port.ts';
import type { NewsBrief } from './research.ts';
import type { SeatKind, Usage } from './seat-result.ts';

export const weekStream = (council: string, week: string) => `week:${council}:${week}`;

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

export interface WeekState {
  /** Earlier attempts at this week, oldest first (each ended without quorum and was retried). */
  attempts: { runId: string; outcome: string; retriedAt: string }[];
  started: RunStarted | undefined;
  research:
    | {
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
    | undefined;
  pitches: Map<string, PitchRecorded>;
  reviews: Map<string, ReviewRecorded>;
  decision: DecisionMade | undefined;
  proposal: ProposalCreated | undefined;
  completed: { outcome: 'proposal' | 'no_quorum' | 'no_orders' } | undefined;
}

export function foldWeek(events: readonly StoredEvent[]): WeekState {
  const s: WeekState = {
    attempts: [],
    started: undefined,
    research: undefined,
    pitches: new Map(),
    reviews: new Map(),
    decision: undefined,
    proposal: undefined,
    completed: undefined,
  };
  for (const e of events) {
    switch (e.type) {
      case 'RunStarted':
        s.started = e.data as RunStarted;
        break;
      case 'ResearchCompleted':
        s.research = e.data as NonNullable<WeekState['research']>;
        break;
      case 'PitchRecorded': {
        const p = e.data as PitchRecorded;
        s.pitches.set(p.seat, p);
        break;
      }
      case 'ReviewRecorded': {
        const r = e.data as ReviewRecorded;
        s.reviews.set(r.reviewer, r);
        break;
      }
      case 'DecisionMade':
        s.decision = e.data as DecisionMade;
        break;
      case 'ProposalCreated':
        s.proposal = e.data as ProposalCreated;
        break;
      case 'RunCompleted':
        s.completed = e.data as NonNullable<WeekState['completed']>;
        break;
      case 'RunRetried': {
        const r = e.data as RunRetried;
        s.attempts.push({ runId: r.previousRunId, outcome: r.previousOutcome, retriedAt: r.at });
        Object.assign(s, { started: undefined, research: undefined, pitches: new Map(), reviews: new Map(), decision: undefined, proposal: undefined, completed: undefined });
        break;
      }
    }
  }
  return s;
}

/** The events of the week's current attempt: those after its last RunRetried. */
export function currentAttempt(events: readonly StoredEvent[]): StoredEvent[] {
  let start = 0;
  events.forEach((e, i) => {
    if (e.type === 'RunRetried') start = i + 1;
  });
  return events.slice(start);
}
