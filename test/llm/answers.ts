/** Valid answers for each stage, built from what the fake router received, so scripts only spell out the failures. */
import type { Decision, Pitch, ResearchAnswer, ResearchPack, ReviewAnswer } from '../../src/domain/schemas.ts';
import type { FakeRequest, Reply } from '../fakes/openai.ts';

const userText = (r: FakeRequest) =>
  r.body.messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n');

export const researchPack = (model: string): ResearchPack => ({
  regime: { riskAppetite: 'risk-on', rates: 'stable', usd: 'stable', inflation: 'stable', growth: 'stable', volatility: 'normal', summary: `Calm tape (${model.length} notes).` },
  narratives: [{ title: 'Large caps lead', detail: 'SPY above its averages.' }],
  consensus: [{ view: 'SPY uptrend', stance: 'consensus', evidence: 'close above sma_50' }],
  candidates: [{ symbol: 'SPY', direction: 'LONG', reason: 'trend' }],
  calendar: [{ date: '2024-03-08', event: 'US employment report' }],
  confidence: ['Daily closes only.'],
});

/** The research.v2 answer: the v1 pack with (empty) citations and no own sources. */
export const researchAnswer = (model: string): ResearchAnswer => {
  const p = researchPack(model);
  return {
    ...p,
    narratives: p.narratives.map((n) => ({ ...n, cites: [] })),
    consensus: p.consensus.map((c) => ({ ...c, cites: [] })),
    calendar: p.calendar.map((c) => ({ ...c, cites: [] })),
    sources: [],
  };
};

const systemText = (r: FakeRequest) => r.body.messages.find((m) => m.role === 'system')?.content ?? '';

const INSTRUMENTS = ['SPY', 'QQQ', 'GLD', 'TLT', 'IWM'];

export function pitchFor(model: string): Pitch {
  const instrument = INSTRUMENTS[[...model].reduce((h, c) => h + c.charCodeAt(0), 0) % INSTRUMENTS.length] as string;
  return {
    instrument,
    direction: 'LONG',
    horizon: '1w',
    thesis: [`${instrument} trend intact above its 50-day average.`],
    indicators: [{ symbol: instrument, indicator: 'rsi_14', comparator: '>', threshold: 40, value: null }],
    conviction: 1,
    stop: null,
    takeProfit: null,
    invalidation: { rule: `${instrument} closes below its 50-day average`, conditions: [{ symbol: instrument, indicator: 'return_1w', comparator: '<', threshold: -0.05 }] },
  };
}

/** The labels a review request asks to score: "pitches to score (A, B, C):". */
export function labelsToScore(r: FakeRequest): string[] {
  const m = /pitches to score \(([^)]*)\)/.exec(userText(r));
  return m?.[1] ? m[1].split(',').map((s) => s.trim()) : [];
}

export function reviewFor(r: FakeRequest): ReviewAnswer {
  return {
    scores: labelsToScore(r).map((target, i) => ({
      target,
      rubric: { clarity: 7, edgePlausibility: 6 + (i % 3), timingCatalyst: 5, riskDefinition: 6, indicatorIntegrity: 7, originality: 5, tradeability: 8 },
      killShot: 'The stop is wide.',
      flipCondition: 'A weekly loss beyond 5%.',
      improvements: ['Name a dated catalyst.'],
    })),
  };
}

/** The first pitch the chairman was shown decides: a plain, valid decision. */
export function decisionFor(r: FakeRequest): Decision {
  const line = userText(r)
    .split('\n')
    .find((l) => l.startsWith('Pitch '));
  const pitch = line ? (JSON.parse(line.slice(line.indexOf(':') + 1)) as Pitch) : pitchFor('x');
  return {
    instrument: pitch.instrument,
    direction: pitch.direction,
    conviction: pitch.conviction,
    horizon: pitch.horizon,
    rationale: 'The best-reviewed pitch.',
    dissent: 'Some reviewers found the stop wide.',
    monitoring: { checkpoints: ['09:00', '15:50'], indicators: pitch.invalidation.conditions, watch: ['payrolls'] },
    invalidation: pitch.invalidation,
    stop: pitch.stop ?? null,
    takeProfit: pitch.takeProfit ?? null,
  };
}

export function validAnswer(r: FakeRequest): Reply {
  switch (r.stage) {
    case 'research':
      return { kind: 'json', value: systemText(r).startsWith('[research.v1]') ? researchPack(r.model) : researchAnswer(r.model) };
    case 'pitch':
      return { kind: 'json', value: pitchFor(r.model) };
    case 'review':
      return { kind: 'json', value: reviewFor(r) };
    case 'chair':
      return { kind: 'json', value: decisionFor(r) };
    case 'checkpoint':
      return { kind: 'json', value: { conviction: 1, note: `Thesis intact (${r.model}).` } };
    default:
      return { kind: 'status', status: 400, message: 'unknown stage' };
  }
}
