/**
 * The week as a decider: from the state folded from the week's events, what the run does next
 * (nextStep), and which new events the week already holds (isRecorded), so a step repeated after a
 * crash or by a second runner writes nothing twice. Pure: no clock, no I/O.
 */
import type { PitchRecorded, WeekEvent, WeekOutcome, WeekState } from './week.ts';

/** What the decider needs to know about the council convened now. */
export interface WeekRules {
  /** The council's PM seats, in order: each pitches and reviews once per attempt. */
  seats: readonly string[];
  /** Fewer valid pitches than this and the week ends without a decision. */
  quorum: number;
}

export type Step =
  | { kind: 'start' }
  | { kind: 'research' }
  /** Ask these seats for a pitch (the ones that have none yet). */
  | { kind: 'pitch'; seats: string[] }
  /** Ask these seats to review the others' valid pitches (the ones that have not yet). */
  | { kind: 'review'; seats: string[] }
  | { kind: 'chair' }
  /** Plan the orders; a plan with none completes the week as `no_orders` (learnt from the books, so never recorded before). */
  | { kind: 'propose' }
  | { kind: 'complete'; outcome: WeekOutcome }
  | { kind: 'done'; outcome: WeekOutcome };

/** The pitches that count towards quorum and go to review: those that passed every check. */
export const validPitches = (state: WeekState): PitchRecorded[] => [...state.pitches.values()].filter((p) => p.status === 'ok' && p.pitch);

/** What the run does next, from the week's current attempt. */
export function nextStep(state: WeekState, rules: WeekRules): Step {
  if (state.completed) return { kind: 'done', outcome: state.completed.outcome };
  if (!state.started) return { kind: 'start' };
  if (!state.research) return { kind: 'research' };
  const unpitched = rules.seats.filter((seat) => !state.pitches.has(seat));
  if (unpitched.length) return { kind: 'pitch', seats: unpitched };
  if (validPitches(state).length < rules.quorum) return { kind: 'complete', outcome: 'no_quorum' };
  const unreviewed = rules.seats.filter((seat) => !state.reviews.has(seat));
  if (unreviewed.length) return { kind: 'review', seats: unreviewed };
  if (!state.decision) return { kind: 'chair' };
  if (!state.proposal) return { kind: 'propose' };
  return { kind: 'complete', outcome: 'proposal' };
}

/** Whether the week already holds this fact: a run started, research done, this seat's pitch or review, a decision, a proposal, a completion. */
export function isRecorded(state: WeekState, event: WeekEvent): boolean {
  switch (event.type) {
    case 'RunStarted':
      return state.started !== undefined;
    case 'ResearchCompleted':
      return state.research !== undefined;
    case 'PitchRecorded':
      return state.pitches.has(event.data.seat);
    case 'ReviewRecorded':
      return state.reviews.has(event.data.reviewer);
    case 'DecisionMade':
      return state.decision !== undefined;
    case 'ProposalCreated':
      return state.proposal !== undefined;
    case 'RunCompleted':
      return state.completed !== undefined;
    case 'RunRetried':
      // A retry is decided by retryWeek against the whole stream, never deduplicated here.
      return false;
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}
