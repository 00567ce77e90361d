/**
 * What the channels see of a week, computed from its state: the pitch cards under their labels, the
 * review table, who was behind each label (once decided), and what the thinking cost.
 */
import { RUBRIC, type Rubric, rubricAverage } from '../domain/schemas.ts';
import type { Identity, PitchCard, ReviewRow } from './notices.ts';
import { addUsage, NO_USAGE, type Usage } from './seat-result.ts';
import type { SeatLabel } from './stages/anonymise.ts';
import type { WeekState } from './week.ts';

export function totalUsage(s: WeekState): Usage {
  return [s.research?.usage ?? NO_USAGE, ...[...s.pitches.values()].map((p) => p.usage), ...[...s.reviews.values()].map((r) => r.usage), s.decision?.usage ?? NO_USAGE].reduce(
    addUsage,
    NO_USAGE,
  );
}

/** The channel's cards: the valid pitches under their labels, then the abstentions, numbered. */
export function pitchCards(state: WeekState, labels: readonly SeatLabel[]): PitchCard[] {
  return [
    ...labels.map(({ label, seat }) => {
      const p = state.pitches.get(seat)!;
      return { label, status: p.status, kind: p.kind, pitch: p.pitch, error: null };
    }),
    ...[...state.pitches.values()]
      .filter((p) => p.status === 'abstained')
      .map((p, i) => ({ label: `abstained ${i + 1}`, status: p.status, kind: p.kind, pitch: null, error: p.error })),
  ];
}

export function identities(state: WeekState): Identity[] {
  const labels = state.decision?.labels ?? [];
  return (state.started?.seats ?? []).map((seat) => {
    const p = state.pitches.get(seat.id);
    return {
      label: labels.find((l) => l.seat === seat.id)?.label ?? null,
      seat: seat.id,
      model: p?.model ?? seat.model,
      kind: p?.kind ?? seat.kind,
      account: seat.account,
      status: p?.status ?? 'abstained',
      error: p?.error ?? null,
    };
  });
}

export function reviewTable(state: WeekState, labels: readonly { label: string; seat: string }[]): ReviewRow[] {
  return labels.map(({ label, seat }) => {
    const scores = [...state.reviews.values()].flatMap((r) => r.scores.filter((s) => s.seat === seat));
    const averages = Object.fromEntries(
      RUBRIC.map((k) => [k, scores.length ? Math.round((scores.reduce((sum, s) => sum + s.rubric[k], 0) / scores.length) * 10) / 10 : 0]),
    ) as Rubric;
    const pitch = state.pitches.get(seat)!.pitch!;
    return {
      label,
      instrument: pitch.instrument,
      direction: pitch.direction,
      averages,
      overall: scores.length ? Math.round((scores.reduce((sum, s) => sum + rubricAverage(s.rubric), 0) / scores.length) * 10) / 10 : 0,
      reviewers: scores.length,
      killShots: scores.map((s) => s.killShot),
    };
  });
}
