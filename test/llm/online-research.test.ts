/**
 * An online research model (a web search behind the router) through the real openai SDK against the fake:
 * asked live only at its decision time; for a past week it answers from the LLM cache that the live run
 * filled, with the very same request, and never from the network.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmSettings } from '../../src/config/config.ts';
import type { AnswerStore } from '../../src/llm/openai/audit.ts';
import { runBudget } from '../../src/llm/openai/budget.ts';
import { llmResearcher, type SeatDeps } from '../../src/llm/openai/seats.ts';
import { openAiTransport } from '../../src/llm/openai/transport.ts';
import type { ChatRequest, ChatResponse } from '../../src/llm/openai/types.ts';
import { bundledBarsDir, createCsvMarketData } from '../../src/market/csv.ts';
import { bundledReleaseCalendar, weekCalendar } from '../../src/market/releases.ts';
import { buildSnapshot } from '../../src/market/snapshot.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { NO_NEWS_SOURCE } from '../../src/pipeline/research.ts';
import type { StageInput } from '../../src/pipeline/seats.ts';
import { type FakeOpenAi, startFakeOpenAi } from '../fakes/openai.ts';
import { researchAnswer } from './answers.ts';

const MODEL = 'perplexity/sonar-pro';
const UNIVERSE = ['SPY', 'QQQ', 'GLD'];
const asOf = nyDateTime('2024-03-04', '08:00');

/** The prompt-hash cache as the live run leaves it (`llm.cache` on): what it was asked, what it answered. */
function memoryCache(): AnswerStore & { rows: Map<string, { request: ChatRequest; response: ChatResponse }> } {
  const rows = new Map<string, { request: ChatRequest; response: ChatResponse }>();
  return {
    source: 'cache',
    exclusive: false,
    rows,
    get: async (hash) => {
      const row = rows.get(hash);
      return row ? { response: row.response, usage: undefined } : undefined;
    },
    put: async (hash, request, response) => void rows.set(hash, { request, response }),
  };
}

let fake: FakeOpenAi;
let input: StageInput;

beforeAll(async () => {
  fake = await startFakeOpenAi((r) => ({
    kind: 'json',
    value: {
      ...researchAnswer(r.model),
      sources: [{ id: 'W1', title: 'Fed speakers sound patient', source: 'Reuters', publishedAt: '2024-02-29T18:00:00-05:00', url: 'https://example.com/w1' }],
    },
  }));
  const snapshot = await buildSnapshot(createCsvMarketData(bundledBarsDir()), UNIVERSE, asOf);
  input = {
    week: '2024-03-04',
    asOf,
    universe: UNIVERSE,
    snapshot,
    query: undefined,
    news: { status: 'none', items: [], note: NO_NEWS_SOURCE },
    events: weekCalendar(bundledReleaseCalendar(), '2024-03-04'),
  };
});
afterAll(() => fake?.close());

function researcher(answers: AnswerStore, now: Date) {
  const settings = LlmSettings.parse({ timeoutMs: 5_000, retries: 0, maxRetryAfterMs: 5, budgetUsd: 1 });
  const deps: SeatDeps = {
    council: 'main',
    settings,
    transport: openAiTransport({ baseUrl: fake.baseUrl, apiKey: 'sk-test' }),
    answers,
    recorder: { record: async () => {} },
    budget: runBudget(settings.budgetUsd, async () => 0),
    timers: { now: () => performance.now(), sleep: async () => {} },
    identityTerms: [],
  };
  return llmResearcher(deps, MODEL, 0, { online: true, now: () => now });
}

describe('an online research model and the LLM cache', () => {
  it('When the live run asked it at the decision time, Then the same week replayed months later answers from the cache with no request', async () => {
    const cache = memoryCache();
    const from = fake.requests.length;
    const live = await researcher(cache, new Date(asOf.getTime() + 60_000)).research(input);
    expect(live.ok).toBe(true);
    expect(fake.requests.length - from).toBe(1);
    expect(fake.requests.at(-1)!.body.messages[0]!.content).toMatch(/You may search the web, but use only what was published at or before the decision time/);
    expect(cache.rows.size).toBe(1);

    const later = await researcher(cache, new Date('2024-06-03T12:00:00Z')).research(input);
    expect(fake.requests.length - from).toBe(1);
    expect(later.ok && later.value).toEqual(live.ok && live.value);
  });

  it('When a past week is not in the cache, Then it is not searched: the seat fails with the reason and the router hears nothing', async () => {
    const from = fake.requests.length;
    const past = await researcher(memoryCache(), new Date('2024-06-03T12:00:00Z')).research(input);
    expect(past.ok).toBe(false);
    expect(!past.ok && past.error).toMatch(/cannot search the past; it answers only from the LLM cache/);
    expect(fake.requests.length).toBe(from);
  });
});
