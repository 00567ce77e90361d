/**
 * Anonymisation, kept as data: the labels each reader sees in place of seats. The channel and the
 * chairman share one shuffle seeded by the week; each reviewer gets its own, seeded by the week and
 * the reviewer (the seed is recorded with its review), and never sees its own pitch.
 */
import { hash32, shuffle } from '../../domain/random.ts';
import type { LabelledPitch, ReviewForChair } from '../seats.ts';
import type { ReviewRecorded, WeekState } from '../week.ts';

export const LABELS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;

/** label -> seat, as one reader sees the pitches. */
export interface SeatLabel {
  label: string;
  seat: string;
}

const labelled = (seats: readonly string[]): SeatLabel[] => seats.map((seat, i) => ({ label: LABELS[i] ?? `X${i}`, seat }));

/** The channel's (and chairman's) labels for the valid pitches, shuffled by a seed derived from the week. */
export function chairLabels(week: string, seats: readonly string[]): SeatLabel[] {
  return labelled(shuffle([...seats].sort(), hash32(`${week}:chair`)));
}

/** What one reviewer sees: every valid pitch but its own, under labels shuffled for it alone, and the seed that shuffled them. */
export function reviewerLabels(week: string, reviewer: string, validSeats: readonly string[]): { seed: number; labels: SeatLabel[] } {
  const seed = hash32(`${week}:review:${reviewer}`);
  const others = validSeats.filter((seat) => seat !== reviewer).sort();
  return { seed, labels: labelled(shuffle(others, seed)) };
}

/** The pitches behind their labels, in label order. */
export function labelledPitches(state: WeekState, labels: readonly SeatLabel[]): LabelledPitch[] {
  return labels.map(({ label, seat }) => ({ label, pitch: state.pitches.get(seat)!.pitch! }));
}

/** The complete reviews as the chairman reads them: reviewers numbered in seed order, each score aimed at the channel's label. */
export function reviewsForChair(reviews: Iterable<ReviewRecorded>, labels: readonly SeatLabel[]): ReviewForChair[] {
  const labelOf = (seat: string) => labels.find((l) => l.seat === seat)?.label ?? '?';
  return [...reviews]
    .filter((r) => r.status === 'ok')
    .sort((a, b) => a.seed - b.seed)
    .map((r, i) => ({ reviewer: `Reviewer ${i + 1}`, scores: r.scores.map(({ seat, ...score }) => ({ ...score, target: labelOf(seat) })) }));
}
