/**
 * The builtin chairman: a review-weighted conviction vote. Each pitch's weight is its average rubric
 * score from its reviewers; the instrument with the largest weighted vote wins, and every pitch that
 * disagrees is named in the dissent. It cannot fail, so it is also the last-resort fallback chairman.
 */
import { CHECKPOINT_TIMES, rubricAverage, type Decision, type Direction } from '../../domain/schemas.ts';
import type { ChairInput, ChairSeat } from '../../pipeline/seats.ts';
import { NO_USAGE } from '../../pipeline/seats.ts';
import { roundTo } from './facts.ts';

export function chairmanVote(input: ChairInput): Decision {
  const weights = new Map<string, number>();
  const counts = new Map<string, number>();
  // Per pitch, the kill shot of its lowest score (the first given, on a tie): its sharpest objection.
  const sharpest = new Map<string, { text: string; score: number }>();
  for (const review of input.reviews)
    for (const s of review.scores) {
      const score = rubricAverage(s.rubric);
      weights.set(s.target, (weights.get(s.target) ?? 0) + score);
      counts.set(s.target, (counts.get(s.target) ?? 0) + 1);
      const known = sharpest.get(s.target);
      if (!known || score < known.score) sharpest.set(s.target, { text: s.killShot, score });
    }
  // Reviews cluster between 6 and 9 out of 10: measured from 5, a pitch scored 9 weighs four times one scored 6.
  const weightOf = (label: string) => {
    const n = counts.get(label);
    const average = n ? (weights.get(label) ?? 0) / n : 7.5;
    return Math.max(0.05, (average - 5) / 5);
  };

  const votes = new Map<string, number>();
  let totalWeight = 0;
  for (const { label, pitch } of input.pitches) {
    const w = weightOf(label);
    totalWeight += w;
    votes.set(pitch.instrument, (votes.get(pitch.instrument) ?? 0) + w * pitch.conviction);
  }
  const ranked = [...votes.entries()].sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || a[0].localeCompare(b[0]));
  const [instrument, vote] = ranked[0] ?? ['SPY', 0];
  const direction: Direction = vote > 0.05 ? 'LONG' : vote < -0.05 ? 'SHORT' : 'FLAT';
  const conviction = direction === 'FLAT' ? 0 : roundTo((vote / Math.max(totalWeight, 1e-9)) * 2.5, 0.25);
  const finalDirection: Direction = conviction === 0 ? 'FLAT' : direction;

  const backers = input.pitches
    .filter((p) => p.pitch.instrument === instrument && Math.sign(p.pitch.conviction) === Math.sign(vote) && p.pitch.direction !== 'FLAT')
    .sort((a, b) => weightOf(b.label) - weightOf(a.label));
  const lead = backers[0];
  const dissenters = input.pitches.filter((p) => !backers.includes(p));
  // The strongest objection reviewers raised against the winning pitch, and each dissenting view in its own words.
  const against = lead ? sharpest.get(lead.label)?.text : undefined;
  const dissent =
    (dissenters.length
      ? dissenters
          .slice(0, 4)
          .map(
            (d) =>
              `Pitch ${d.label} wanted ${d.pitch.direction === 'FLAT' ? 'no position' : `${d.pitch.direction} ${d.pitch.instrument} (${d.pitch.conviction > 0 ? '+' : ''}${d.pitch.conviction})`}: ${d.pitch.thesis[0] ?? ''}`,
          )
          .join(' ')
      : 'No pitch dissented.') + (against ? ` Reviewers' sharpest objection to the winning pitch: "${against}"` : '');

  const invalidation = lead?.pitch.invalidation ?? {
    rule: 'No position, nothing to invalidate.',
    conditions: [{ symbol: instrument, indicator: 'close' as const, comparator: '<' as const, threshold: 0 }],
  };
  const scoreText = backers.map((b) => `Pitch ${b.label} (review score ${(weightOf(b.label) * 5 + 5).toFixed(1)})`).join(', ');
  return {
    instrument,
    direction: finalDirection,
    conviction: finalDirection === 'FLAT' ? 0 : conviction,
    horizon: lead?.pitch.horizon ?? '1w',
    rationale:
      finalDirection === 'FLAT'
        ? `The review-weighted votes cancel out (net ${vote.toFixed(2)} on ${instrument}): the council stands aside this week.`
        : `Review-weighted vote: ${instrument} ${finalDirection} carries a net ${vote.toFixed(2)} of ${totalWeight.toFixed(2)} total weight, backed by ${scoreText}. ${lead?.pitch.thesis[0] ?? ''}`.trim(),
    dissent,
    monitoring: {
      checkpoints: [...CHECKPOINT_TIMES],
      indicators: invalidation.conditions.slice(0, 6),
      watch: (lead?.pitch.thesis.slice(1, 3) ?? []).concat(input.research.calendar.slice(0, 2).map((c) => `${c.date}: ${c.event}`)).slice(0, 5),
    },
    invalidation,
    // The leading pitch's levels protect the council's position too (checked again in code, stops.ts).
    stop: finalDirection === 'FLAT' ? null : (lead?.pitch.stop ?? null),
    takeProfit: finalDirection === 'FLAT' ? null : (lead?.pitch.takeProfit ?? null),
  };
}

export const builtinChair: ChairSeat = {
  model: 'builtin:vote',
  kind: 'systematic',
  async decide(input) {
    return { ok: true, value: chairmanVote(input), model: this.model, usage: NO_USAGE };
  },
};
