/**
 * The chairman stage: the chairs, in order, read the pitches and the complete reviews anonymised under
 * the channel's labels; the first valid decision is the week's DecisionMade, with the failures before
 * it. Throws when no chair could decide (the last, the builtin vote, cannot fail).
 */
import { decisionProblems } from '../../domain/validate.ts';
import { addUsage, NO_USAGE } from '../seat-result.ts';
import type { ChairSeat } from '../seats.ts';
import type { DecisionMade, WeekEvent, WeekState } from '../week.ts';
import { labelledPitches, reviewsForChair, type SeatLabel } from './anonymise.ts';
import type { PitchInput } from './pitch.ts';

export async function chair(chairs: readonly ChairSeat[], input: PitchInput, runId: string, state: WeekState, labels: SeatLabel[]): Promise<WeekEvent> {
  const chairInput = { ...input, pitches: labelledPitches(state, labels), reviews: reviewsForChair(state.reviews.values(), labels) };
  const failures: { model: string; error: string }[] = [];
  let usage = NO_USAGE;
  for (const seat of chairs) {
    const result = await seat.decide(chairInput);
    usage = addUsage(usage, result.usage);
    if (!result.ok) {
      failures.push({ model: result.model, error: result.error });
      continue;
    }
    const problems = decisionProblems(result.value, input.universe);
    if (problems.length) {
      failures.push({ model: result.model, error: `invalid decision: ${problems.join('; ')}` });
      continue;
    }
    const made: DecisionMade = { runId, decision: result.value, chair: { model: result.model, kind: seat.kind, failures }, labels, usage };
    return { type: 'DecisionMade', data: made };
  }
  throw new Error(`no chairman could decide: ${failures.map((f) => `${f.model}: ${f.error}`).join('; ')}`);
}
