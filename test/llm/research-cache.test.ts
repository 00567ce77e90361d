/**
 * The LLM cache keeps old runs answering from their own prompts: a week a live run convened with
 * research.v1 (prices only, before news) is answered in a backtest from that v1 request, through the real
 * openai SDK against the fake when live and with no request at all in the backtest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedAnswers, refusingTransport } from '../../src/backtest/llm-cache.ts';
import { LlmSettings } from '../../src/config/config.ts';
import type { AnswerStore } from '../../src/llm/openai/audit.ts';
import { runBudget } from '../../src/llm/openai/budget.ts';
import { loadPromptFile } from '../../src/llm/openai/prompts.ts';
import { llmPmSeat, llmResearcher, type SeatDeps } from '../../src/llm/openai/seats.ts';
import { openAiTransport } from '../../src/llm/openai/transport.ts';
import type { ChatResponse, Transport } from '../../src/llm/openai/types.ts';
import { bundledBarsDir, createCsvMarketData } from '../../src/market/csv.ts';
import { bundledReleaseCalendar, weekCalendar } from '../../src/market/releases.ts';
import { buildSnapshot } from '../../src/market/snapshot.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { NO_NEWS_SOURCE } from '../../src/pipeline/research.ts';
import type { StageInput } from '../../src/pipeline/seats.ts';
import { type FakeOpenAi, startFakeOpenAi } from '../fakes/openai.ts';
import { pitchFor, researchPack, validAnswer } from './answers.ts';

const MODEL = 'deepseek/deepseek-chat';
const UNIVERSE = ['SPY', 'QQQ', 'IWM', 'TLT', 'GLD'];
const asOf = nyDateTime('2024-03-04', '08:00');

let fake: FakeOpenAi;
let input: StageInput;

beforeAll(async () => {
  fake = await startFakeOpenAi(validAnswer);
  input = {
    week: '2024-03-04',
    asOf,
    universe: UNIVERSE,
    snapshot: await buildSnapshot(createCsvMarketData(bundledBarsDir()), UNIVERSE, asOf),
    query: undefined,
    news: { status: 'none', items: [], note: NO_NEWS_SOURCE },
    events: weekCalendar(bundledReleaseCalendar(), '2024-03-04'),
  };
});
afterAll(() => fake?.close());

function seatDeps(transport: Transport, answers: AnswerStore, prompts: SeatDeps['prompts'] = undefined): SeatDeps {
  const settings = LlmSettings.parse({ timeoutMs: 5_000, retries: 0, maxRetryAfterMs: 5, budgetUsd: 1 });
  return {
    council: 'main',
    settings,
    transport,
    answers,
    recorder: { record: async () => {} },
    budget: runBudget(settings.budgetUsd, async () => 0),
    timers: { now: () => performance.now(), sleep: async () => {} },
    identityTerms: [],
    prompts,
  };
}

/** The prompt-hash cache as a live run fills it (`llm.cache` on). */
function liveCache(filled: Map<string, ChatResponse>): AnswerStore {
  return {
    source: 'cache',
    exclusive: false,
    get: async (hash) => {
      const response = filled.get(hash);
      return response ? { response, usage: undefined } : undefined;
    },
    put: async (hash, _request, response) => void filled.set(hash, response),
  };
}

function researcher(transport: Transport, answers: AnswerStore, prompts: SeatDeps['prompts'] = undefined) {
  return llmResearcher(seatDeps(transport, answers, prompts), MODEL, 1);
}

describe('a week cached before research.v2', () => {
  it('When a backtest meets a week the live run asked with research.v1, Then the v2 request misses and the v1 request answers from the cache, with no request', async () => {
    const filled = new Map<string, ChatResponse>();
    const live: AnswerStore = {
      source: 'cache',
      exclusive: false,
      get: async (hash) => {
        const response = filled.get(hash);
        return response ? { response, usage: undefined } : undefined;
      },
      put: async (hash, _request, response) => void filled.set(hash, response),
    };
    const then = await researcher(openAiTransport({ baseUrl: fake.baseUrl, apiKey: 'sk-test' }), live, { research: loadPromptFile('research.v1') }).research(input);
    expect(then.ok && then.value).toEqual(researchPack(MODEL));
    expect(fake.requests.at(-1)!.body.messages[0]!.content.startsWith('[research.v1]')).toBe(true);
    expect(filled.size).toBe(1);

    const asked = fake.requests.length;
    const backtest = await researcher(refusingTransport, cachedAnswers({ source: 'test', answers: filled, perModel: { [MODEL]: 1 } })).research(input);
    expect(fake.requests.length).toBe(asked);
    expect(backtest.ok && backtest.value).toEqual(researchPack(MODEL));
  });
});

describe('a week cached before pitch.v3 (pitches that cite sources)', () => {
  for (const version of ['pitch.v2', 'pitch.v1']) {
    it(`When a backtest meets a week the live run pitched with ${version}, Then the current request misses and the ${version} request answers from the cache, with no request`, async () => {
      const filled = new Map<string, ChatResponse>();
      const pitchInput = { ...input, research: researchPack(MODEL) };
      const live = llmPmSeat(seatDeps(openAiTransport({ baseUrl: fake.baseUrl, apiKey: 'sk-test' }), liveCache(filled), { pitch: loadPromptFile(version) }), 'CHATGPT', MODEL);
      const then = await live.pitch(pitchInput);
      expect(then.ok).toBe(true);
      expect(fake.requests.at(-1)!.body.messages[0]!.content.startsWith(`[${version}]`)).toBe(true);

      const asked = fake.requests.length;
      const seat = llmPmSeat(seatDeps(refusingTransport, cachedAnswers({ source: 'test', answers: filled, perModel: { [MODEL]: 1 } })), 'CHATGPT', MODEL);
      const backtest = await seat.pitch(pitchInput);
      expect(fake.requests.length).toBe(asked);
      expect(backtest.ok && backtest.value.instrument).toBe(pitchFor(MODEL).instrument);
      expect(backtest.ok && backtest.value).toEqual(then.ok && then.value);
    });
  }
});
