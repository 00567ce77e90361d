/**
 * The blind peer review, one reviewer at a time: the seat scores every other valid pitch under labels
 * shuffled for it alone; its scores are mapped back to seats. An answer that fails, or scores fewer
 * pitches than it was shown, is recorded as an abstention with no scores.
 */
import type { PmSeat } from '../seats.ts';
import type { PitchRecorded, RecordedScore, ReviewRecorded, WeekEvent, WeekState } from '../week.ts';
import { labelledPitches, reviewerLabels } from './anonymise.ts';
import type { PitchInput } from './pitch.ts';

export async function review(seat: PmSeat, input: PitchInput, runId: string, state: WeekState, valid: readonly PitchRecorded[]): Promise<WeekEvent> {
  const { seed, labels: seen } = reviewerLabels(
    input.week,
    seat.id,
    valid.map((p) => p.seat),
  );
  const result = await seat.review({ ...input, pitches: labelledPitches(state, seen) });
  const scores: RecordedScore[] = [];
  if (result.ok)
    for (const score of result.value.scores) {
      const target = seen.find((l) => l.label === score.target);
      if (target && !scores.some((s) => s.seat === target.seat)) scores.push({ ...score, seat: target.seat });
    }
  const complete = result.ok && scores.length === seen.length;
  const recorded: ReviewRecorded = {
    runId,
    reviewer: seat.id,
    model: result.model,
    status: complete ? 'ok' : 'abstained',
    seed,
    labels: seen,
    scores: complete ? scores : [],
    error: result.ok ? (complete ? null : `scored ${scores.length} of ${seen.length} pitches`) : result.error,
    usage: result.usage,
  };
  return { type: 'ReviewRecorded', data: recorded };
}
