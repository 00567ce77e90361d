/**
 * The week as a decider, without a database: given the week's events, what nextStep says is left, and
 * what the pitch and review stages return for a seat's answer. Quorum, recusal, abstention (a
 * malformed answer gets one repair, then the seat abstains) and resume.
 */
import { describe, expect, it } from 'vitest';
import { LlmSettings } from '../../src/config/config.ts';
import type { Decision, Pitch, ResearchPack, ReviewAnswer } from '../../src/domain/schemas.ts';
import { runBudget } from '../../src/llm/openai/budget.ts';
import { llmPmSeat } from '../../src/llm/openai/seats.ts';
import type { ChatRequest, ChatResponse } from '../../src/llm/openai/types.ts';
import { type IndicatorSet, MIN_HISTORY } from '../../src/market/indicators.ts';
import type { MarketSnapshot } from '../../src/market/snapshot.ts';
import { NO_USAGE, type SeatResult } from '../../src/pipeline/seat-result.ts';
import type { LabelledPitch, PmSeat } from '../../src/pipeline/seats.ts';
import { reviewerLabels } from '../../src/pipeline/stages/anonymise.ts';
import { type PitchInput, pitch } from '../../src/pipeline/stages/pitch.ts';
import { review } from '../../src/pipeline/stages/review.ts';
import { isRecorded, nextStep, type WeekRules } from '../../src/pipeline/week-decider.ts';
import { evolve, foldWeek, initialWeekState, type PitchRecorded, type WeekEvent, WeekEventError, type WeekState } from '../../src/pipeline/week.ts';
import type { StoredEvent } from '../../src/store/port.ts';
import { pitchFor, researchPack } from '../llm/answers.ts';

const WEEK = '2024-03-04';
const RUN = 'run-1';
const SEATS = ['CHATGPT', 'GEMINI', 'CLAUDE', 'GROK', 'DEEPSEEK'];
const UNIVERSE = ['SPY', 'QQQ', 'GLD', 'TLT', 'IWM'];
const rules: WeekRules = { seats: SEATS, quorum: 3 };

const snapshot: MarketSnapshot = { asOf: '2024-03-04T14:00:00.000Z', lastSession: '2024-03-01', vix: 14, symbols: {} };
const pack: ResearchPack = researchPack('test/research');

const started: WeekEvent = {
  type: 'RunStarted',
  data: {
    runId: RUN,
    week: WEEK,
    asOf: snapshot.asOf,
    query: null,
    questionFormat: 'fenced',
    seats: SEATS.map((id) => ({ id, model: `test/${id}`, kind: 'llm', account: id.toLowerCase() })),
    chair: { models: ['test/chair'], account: 'council' },
  },
};
const researched: WeekEvent = { type: 'ResearchCompleted', data: { runId: RUN, pack, snapshot, sources: [], usage: NO_USAGE } };
const pitched = (seat: string): WeekEvent => ({
  type: 'PitchRecorded',
  data: { runId: RUN, seat, model: `test/${seat}`, kind: 'llm', status: 'ok', pitch: pitchFor(seat), error: null, usage: NO_USAGE },
});
const abstained = (seat: string): WeekEvent => ({
  type: 'PitchRecorded',
  data: { runId: RUN, seat, model: `test/${seat}`, kind: 'llm', status: 'abstained', pitch: null, error: 'refused', usage: NO_USAGE },
});
const reviewed = (reviewer: string): WeekEvent => ({
  type: 'ReviewRecorded',
  data: { runId: RUN, reviewer, model: `test/${reviewer}`, status: 'abstained', seed: 1, labels: [], scores: [], error: 'refused', usage: NO_USAGE },
});

const given = (...events: WeekEvent[]): WeekState => events.reduce(evolve, initialWeekState());
/** The events as the store gives them back, so foldWeek checks each against its schema. */
const stored = (events: readonly { type: string; data: unknown }[]): StoredEvent[] =>
  events.map((e, i) => ({ stream: `week:main:${WEEK}`, version: i + 1, globalPosition: String(i + 1), type: e.type, data: e.data, meta: {}, recordedAt: new Date(snapshot.asOf) }));

const input: PitchInput = { week: WEEK, asOf: new Date(snapshot.asOf), universe: UNIVERSE, snapshot, query: undefined, questionFormat: 'fenced', research: pack };

describe('the week decider: what is left to do', () => {
  it('Given no events, When asked, Then the run starts; Given a started run, Then the research comes next', () => {
    expect(nextStep(given(), rules)).toEqual({ kind: 'start' });
    expect(nextStep(given(started), rules)).toEqual({ kind: 'research' });
    expect(nextStep(given(started, researched), rules)).toEqual({ kind: 'pitch', seats: SEATS });
  });

  it('Given two valid pitches and three abstentions with a quorum of three, When asked, Then the week completes as no_quorum with no review', () => {
    const state = given(started, researched, pitched('CHATGPT'), abstained('GEMINI'), pitched('CLAUDE'), abstained('GROK'), abstained('DEEPSEEK'));
    expect(nextStep(state, rules)).toEqual({ kind: 'complete', outcome: 'no_quorum' });
    expect(nextStep(state, { ...rules, quorum: 2 })).toEqual({ kind: 'review', seats: SEATS });
  });

  it('Given a run stopped after its pitches, When resumed, Then it goes to review and no seat is asked to pitch again', () => {
    const afterPitches = [started, researched, ...SEATS.map(pitched)];
    // Read back through the schemas, as a restarted process reads them.
    const state = foldWeek(stored(afterPitches));
    expect(nextStep(state, rules)).toEqual({ kind: 'review', seats: SEATS });
  });

  it('Given the same stored events folded twice, Then the fold is answered again; Given fewer or other events, Then each is folded for itself', () => {
    const events = stored([started, researched, ...SEATS.map(pitched)]);
    const state = foldWeek(events);
    expect(foldWeek([...events])).toBe(state);
    const shorter = foldWeek(events.slice(0, -1));
    expect(shorter.pitches.size).toBe(SEATS.length - 1);
    expect(foldWeek(events).pitches.size).toBe(SEATS.length);
    // The same last event after other events: not the same list, so not the same fold.
    const other = foldWeek([events[0] as StoredEvent, events[events.length - 1] as StoredEvent]);
    expect(other.research).toBeUndefined();
    expect(other.pitches.size).toBe(1);
  });

  it('Given a run stopped midway through the pitches and the reviews, When resumed, Then only the seats still owing are asked', () => {
    const midPitches = given(started, researched, pitched('CHATGPT'), abstained('CLAUDE'));
    expect(nextStep(midPitches, rules)).toEqual({ kind: 'pitch', seats: ['GEMINI', 'GROK', 'DEEPSEEK'] });
    const midReviews = given(started, researched, ...SEATS.map(pitched), reviewed('GROK'), reviewed('CHATGPT'));
    expect(nextStep(midReviews, rules)).toEqual({ kind: 'review', seats: ['GEMINI', 'CLAUDE', 'DEEPSEEK'] });
  });

  it('Given every review, Then the chairman; Given a decision, Then the proposal; Given a proposal, Then completion; Given completion, Then done', () => {
    const reviewedAll = [started, researched, ...SEATS.map(pitched), ...SEATS.map(reviewed)];
    expect(nextStep(given(...reviewedAll), rules)).toEqual({ kind: 'chair' });
    const { instrument, direction, conviction, horizon, invalidation } = pitchFor('chair');
    const decision: Decision = {
      instrument,
      direction,
      conviction,
      horizon,
      invalidation,
      rationale: 'The trend holds.',
      dissent: 'None.',
      monitoring: { checkpoints: ['09:00'], indicators: [], watch: [] },
      stop: null,
      takeProfit: null,
    };
    const decided: WeekEvent = { type: 'DecisionMade', data: { runId: RUN, decision, chair: { model: 'test/chair', kind: 'llm', failures: [] }, labels: [], usage: NO_USAGE } };
    expect(nextStep(given(...reviewedAll, decided), rules)).toEqual({ kind: 'propose' });
    const proposed: WeekEvent = { type: 'ProposalCreated', data: { runId: RUN, proposalId: `${WEEK}-run-1`, expiresAt: '2024-03-04T21:00:00.000Z', orders: [] } };
    expect(nextStep(given(...reviewedAll, decided, proposed), rules)).toEqual({ kind: 'complete', outcome: 'proposal' });
    const completed: WeekEvent = { type: 'RunCompleted', data: { runId: RUN, outcome: 'proposal' } };
    expect(nextStep(given(...reviewedAll, decided, proposed, completed), rules)).toEqual({ kind: 'done', outcome: 'proposal' });
  });

  it('Given a week retried after no quorum, When asked, Then a new attempt starts and the earlier one is remembered', () => {
    const failed: WeekEvent[] = [started, researched, ...SEATS.map(abstained), { type: 'RunCompleted', data: { runId: RUN, outcome: 'no_quorum' } }];
    const state = given(...failed, { type: 'RunRetried', data: { previousRunId: RUN, previousOutcome: 'no_quorum', attempt: 2, at: '2024-03-05T12:00:00.000Z' } });
    expect(nextStep(state, rules)).toEqual({ kind: 'start' });
    expect(state.attempts).toEqual([{ runId: RUN, outcome: 'no_quorum', retriedAt: '2024-03-05T12:00:00.000Z' }]);
  });

  it('Given a seat already pitched, When its pitch comes again (a second runner, a retried append), Then the week holds it already; another seat is new', () => {
    const state = given(started, researched, pitched('CHATGPT'));
    expect(isRecorded(state, pitched('CHATGPT'))).toBe(true);
    expect(isRecorded(state, abstained('CHATGPT'))).toBe(true);
    expect(isRecorded(state, pitched('GEMINI'))).toBe(false);
    expect(isRecorded(state, started)).toBe(true);
  });

  it('Given a stored pitch that does not match its schema, When the week is read, Then a WeekEventError names it', () => {
    const broken = stored([started, { type: 'PitchRecorded', data: { runId: RUN, seat: 'GEMINI', status: 'maybe' } }]);
    expect(() => foldWeek(broken)).toThrow(WeekEventError);
    expect(() => foldWeek(broken)).toThrow(/@2: PitchRecorded/);
  });

  it('Given an event type the week does not know, When the week is read, Then it is skipped', () => {
    expect(nextStep(foldWeek(stored([started, { type: 'SomethingNewer', data: 42 }])), rules)).toEqual({ kind: 'research' });
  });
});

/** A PM seat whose review answer is scripted from the labels it was shown; it records what it saw. */
function reviewingSeat(id: string, answer: (pitches: readonly LabelledPitch[]) => ReviewAnswer): PmSeat & { seen: LabelledPitch[] } {
  const seat = {
    id,
    model: `test/${id}`,
    kind: 'llm' as const,
    seen: [] as LabelledPitch[],
    pitch: async (): Promise<SeatResult<Pitch>> => ({ ok: false, error: 'not asked', model: `test/${id}`, usage: NO_USAGE }),
    review: async (i: { pitches: readonly LabelledPitch[] }): Promise<SeatResult<ReviewAnswer>> => {
      seat.seen = [...i.pitches];
      return { ok: true, value: answer(i.pitches), model: `test/${id}`, usage: NO_USAGE };
    },
  };
  return seat;
}

const score = (target: string) => ({
  target,
  rubric: { clarity: 7, edgePlausibility: 6, timingCatalyst: 5, riskDefinition: 6, indicatorIntegrity: 7, originality: 5, tradeability: 8 },
  killShot: 'The stop is wide.',
  flipCondition: 'A weekly loss beyond 5%.',
  improvements: ['Tighten the stop.'],
});

describe('the review stage: recusal', () => {
  const state = given(started, researched, pitched('CHATGPT'), pitched('GEMINI'), pitched('CLAUDE'), abstained('GROK'), abstained('DEEPSEEK'));
  const valid = [...state.pitches.values()].filter((p) => p.status === 'ok');

  it('Given three valid pitches, When a seat that pitched reviews, Then it sees the two others only, under its own labels, and its scores go back to their seats', async () => {
    const seat = reviewingSeat('GEMINI', (pitches) => ({ scores: pitches.map((p) => score(p.label)) }));
    const event = await review(seat, input, RUN, state, valid);
    if (event.type !== 'ReviewRecorded') throw new Error(`expected a review, got ${event.type}`);
    const { seed, labels } = reviewerLabels(WEEK, 'GEMINI', ['CHATGPT', 'GEMINI', 'CLAUDE']);
    expect(event.data).toMatchObject({ reviewer: 'GEMINI', status: 'ok', seed, labels, error: null });
    expect(labels.map((l) => l.seat).sort()).toEqual(['CHATGPT', 'CLAUDE']);
    expect(seat.seen).toEqual(labels.map(({ label, seat: s }) => ({ label, pitch: state.pitches.get(s)!.pitch })));
    expect(event.data.scores.map((s) => s.seat).sort()).toEqual(['CHATGPT', 'CLAUDE']);
  });

  it('Given a seat that abstained from pitching, When it reviews, Then it scores every valid pitch', async () => {
    const seat = reviewingSeat('GROK', (pitches) => ({ scores: pitches.map((p) => score(p.label)) }));
    const event = await review(seat, input, RUN, state, valid);
    if (event.type !== 'ReviewRecorded') throw new Error(`expected a review, got ${event.type}`);
    expect(event.data.labels.map((l) => l.seat).sort()).toEqual(['CHATGPT', 'CLAUDE', 'GEMINI']);
    expect(event.data.status).toBe('ok');
  });

  it('Given a reviewer that scores one of the two pitches it was shown, Then its review is an abstention with no scores', async () => {
    const seat = reviewingSeat('CLAUDE', (pitches) => ({ scores: pitches.slice(0, 1).map((p) => score(p.label)) }));
    const event = await review(seat, input, RUN, state, valid);
    expect(event.data).toMatchObject({ reviewer: 'CLAUDE', status: 'abstained', scores: [], error: 'scored 1 of 2 pitches' });
  });
});

describe('the pitch stage: abstention', () => {
  /** An LLM PM seat over an in-process transport that gives the scripted contents in order. */
  function llmSeat(contents: string[]) {
    const requests: ChatRequest[] = [];
    const settings = LlmSettings.parse({ timeoutMs: 5_000, retries: 2, maxRetryAfterMs: 50, budgetUsd: 1, models: { 'test/pm': { inputPerMTok: 0, outputPerMTok: 0 } } });
    const seat = llmPmSeat(
      {
        council: 'main',
        settings,
        transport: {
          send: async (request): Promise<ChatResponse> => {
            const content = contents[Math.min(requests.length, contents.length - 1)] ?? null;
            requests.push(request);
            return { model: 'test/pm', content, refusal: null, finishReason: 'stop', usage: { promptTokens: 10, completionTokens: 5 } };
          },
        },
        answers: undefined,
        recorder: { record: async () => {} },
        budget: runBudget(settings.budgetUsd, async () => 0),
        timers: { now: () => 0, sleep: async () => {} },
        identityTerms: [],
      },
      'CHATGPT',
      'test/pm',
    );
    return { seat, requests };
  }

  it('Given a seat whose answer is malformed, and malformed again after the repair, Then it was asked twice and abstains with the reason', async () => {
    const { seat, requests } = llmSeat(['{"instrument": "SPY"', '{"instrument": "SPY"}']);
    const event = await pitch(seat, input, RUN, given(started, researched).research!);
    expect(requests).toHaveLength(2);
    if (event.type !== 'PitchRecorded') throw new Error(`expected a pitch, got ${event.type}`);
    expect(event.data).toMatchObject({ seat: 'CHATGPT', status: 'abstained', pitch: null });
    expect(event.data.error).toMatch(/malformed answer, still after one repair/);
    // An abstention does not count towards quorum.
    const state = given(started, researched, event, abstained('GEMINI'), pitched('CLAUDE'), pitched('GROK'), abstained('DEEPSEEK'));
    expect(nextStep(state, rules)).toEqual({ kind: 'complete', outcome: 'no_quorum' });
  });

  it('Given a seat whose malformed answer is repaired, Then its pitch stands, after two calls', async () => {
    const { seat, requests } = llmSeat(['not json at all', JSON.stringify(pitchFor('SPY'))]);
    const event = await pitch(seat, input, RUN, given(started, researched).research!);
    expect(requests).toHaveLength(2);
    expect(event.data).toMatchObject({ seat: 'CHATGPT', status: 'ok', error: null });
    expect((event.data as PitchRecorded).pitch).toEqual(pitchFor('SPY'));
  });

  it('Given a pitch outside the universe, Then the seat abstains with the problem, whatever its answer said', async () => {
    const seat: PmSeat = {
      ...reviewingSeat('GEMINI', () => ({ scores: [] })),
      pitch: async () => ({ ok: true, value: { ...pitchFor('SPY'), instrument: 'TSLA' }, model: 'test/GEMINI', usage: NO_USAGE }),
    };
    const event = await pitch(seat, input, RUN, given(started, researched).research!);
    expect(event.data).toMatchObject({ seat: 'GEMINI', status: 'abstained', pitch: null });
    expect((event.data as PitchRecorded).error).toMatch(/^invalid pitch: /);
  });

  it('Given a pitch whose own invalidation already holds on the decision data, Then the seat abstains with the reason; one that does not hold is kept', async () => {
    const spy = (return1w: number): WeekEvent => ({
      type: 'ResearchCompleted',
      data: {
        runId: RUN,
        pack,
        snapshot: { ...snapshot, symbols: { SPY: { ...(Object.fromEntries(Object.keys(MIN_HISTORY).map((k) => [k, null])) as IndicatorSet), return_1w: return1w } } },
        sources: [],
        usage: NO_USAGE,
      },
    });
    const exitRule = { rule: 'Exit if SPY falls 5% in a week', conditions: [{ symbol: 'SPY', indicator: 'return_1w' as const, comparator: '<' as const, threshold: -0.05 }] };
    const seat: PmSeat = {
      ...reviewingSeat('GEMINI', () => ({ scores: [] })),
      pitch: async () => ({ ok: true, value: { ...pitchFor('SPY'), instrument: 'SPY', invalidation: exitRule }, model: 'test/GEMINI', usage: NO_USAGE }),
    };
    const invalid = await pitch(seat, input, RUN, given(started, spy(-0.08)).research!);
    expect(invalid.data).toMatchObject({ seat: 'GEMINI', status: 'abstained', pitch: null });
    expect((invalid.data as PitchRecorded).error).toMatch(/^invalidation already holds at decision time: SPY return_1w/);
    const kept = await pitch(seat, input, RUN, given(started, spy(0.01)).research!);
    expect(kept.data).toMatchObject({ seat: 'GEMINI', status: 'ok', error: null });
  });
});
