/**
 * Folding a week's events: a list that goes on from one folded before folds only what is new, and the
 * state is the one a fold from the first event gives, whatever was folded before.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../src/store/memory.ts';
import type { StoredEvent } from '../../src/store/port.ts';
import { currentAttempt, evolve, foldWeek, initialWeekState, parseWeekEvent, type WeekState } from '../../src/pipeline/week.ts';

const at = new Date('2026-11-24T15:00:00Z');
const stream = 'week:c:2026-11-23';
const started = (runId: string) => ({ runId, week: '2026-11-23', asOf: at.toISOString(), query: null, seats: [], chair: { models: ['m'], account: 'COUNCIL' } });
const usage = { calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };
const pitch = (runId: string, seat: string) => ({ runId, seat, model: 'm', kind: 'systematic', status: 'abstained', pitch: null, error: 'none', usage });

/** The fold from the first event, event by event, with nothing remembered. */
function byHand(events: readonly StoredEvent[]): WeekState {
  let state = initialWeekState();
  for (const stored of events) {
    const event = parseWeekEvent(stored);
    if (event) state = evolve(state, event);
  }
  return state;
}

const summary = (s: WeekState) => ({ runId: s.started?.runId, pitches: [...s.pitches.keys()], attempts: s.attempts.map((a) => a.runId) });

describe('Folding a week', () => {
  it('When the stream is read again after each append, Then every fold equals the fold from the first event', async () => {
    const store = createMemoryEventStore(() => at);
    await store.append(stream, 0, [{ type: 'RunStarted', data: started('r1') }]);
    const first = await store.read(stream);
    expect(summary(foldWeek(first))).toEqual({ runId: 'r1', pitches: [], attempts: [] });

    await store.append(stream, 1, [{ type: 'PitchRecorded', data: pitch('r1', 'A') }]);
    await store.append(stream, 2, [
      { type: 'PitchRecorded', data: pitch('r1', 'B') },
      { type: 'RunCompleted', data: { runId: 'r1', outcome: 'no_quorum' } },
    ]);
    const later = await store.read(stream);

    expect(summary(foldWeek(later))).toEqual(summary(byHand(later)));
    expect(summary(foldWeek(later))).toEqual({ runId: 'r1', pitches: ['A', 'B'], attempts: [] });
    expect(foldWeek(later).completed).toEqual({ runId: 'r1', outcome: 'no_quorum' });
    // Folding the first list again still answers its own state.
    expect(summary(foldWeek(first))).toEqual({ runId: 'r1', pitches: [], attempts: [] });
  });

  it('When a list ends on an event folded before but begins elsewhere (a retried week’s current attempt), Then it is folded as itself', async () => {
    const store = createMemoryEventStore(() => at);
    await store.append(stream, 0, [
      { type: 'RunStarted', data: started('r1') },
      { type: 'PitchRecorded', data: pitch('r1', 'A') },
      { type: 'RunCompleted', data: { runId: 'r1', outcome: 'no_quorum' } },
      { type: 'RunRetried', data: { previousRunId: 'r1', previousOutcome: 'no_quorum', attempt: 2, at: at.toISOString() } },
      { type: 'RunStarted', data: started('r2') },
      { type: 'PitchRecorded', data: pitch('r2', 'B') },
    ]);
    const events = await store.read(stream);
    const whole = foldWeek(events);
    const attempt = foldWeek(currentAttempt(events));

    expect(summary(whole)).toEqual({ runId: 'r2', pitches: ['B'], attempts: ['r1'] });
    expect(summary(attempt)).toEqual({ runId: 'r2', pitches: ['B'], attempts: [] });
    expect(summary(foldWeek(events.slice(1)))).toEqual(summary(byHand(events.slice(1))));
  });
});
