/**
 * Research that knows the news and the calendar, point in time, end to end: the real Alpaca SDK against the
 * fake serving news, the real openai SDK against the fake router, the bundled bars and release calendar.
 */
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { App } from '../../src/app/index.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config/config.ts';
import { buildLlmCouncil } from '../../src/llm/council.ts';
import { LLM_CALL_EVENT, type LlmCallRecorded } from '../../src/llm/openai/audit.ts';
import { loadPromptFile } from '../../src/llm/openai/prompts.ts';
import { replayRun, partsOf } from '../../src/compose.ts';
import { buildApp } from '../../src/compose.ts';
import { bundledBarsDir } from '../../src/market/csv.ts';
import { nyDateTime } from '../../src/market/time.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { runCouncil } from '../../src/pipeline/run.ts';
import { runJson } from '../../src/views.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';
import { AFTER_DECISION, WEEK_NEWS } from '../fakes/news.ts';
import { type FakeOpenAi, type FakeRequest, type Reply, startFakeOpenAi } from '../fakes/openai.ts';
import { alpacaEnv } from '../brokers/env.ts';
import { POSTGRES_URL, type ScenarioDatabase, scenarioDatabase } from '../faults/support/database.ts';
import { researchAnswer, validAnswer } from '../llm/answers.ts';

const ONLINE = 'perplexity/sonar-pro';

/** A researcher that cites a given id, an unknown one, its own source published after the decision, and a dated own source. */
function citing(r: FakeRequest): Reply {
  const a = researchAnswer(r.model);
  return {
    kind: 'json',
    value: {
      ...a,
      narratives: [{ title: 'Chips carry the index to a record', detail: 'The S&P closed at a record on chip strength.', cites: ['S3', 'S99', 'W9'] }],
      consensus: [{ ...a.consensus[0]!, cites: ['W2'] }],
      calendar: [
        { date: '2024-03-08', event: 'Payrolls Friday', cites: [] },
        { date: '2024-03-06', event: 'Powell testifies to the House', cites: ['S2'] },
      ],
      sources: [
        { id: 'W9', title: "Tomorrow's paper", source: 'Reuters', publishedAt: '2024-03-05T10:00:00Z', url: 'https://example.com/w9' },
        { id: 'W2', title: 'Fed speakers sound patient', source: 'Reuters', publishedAt: '2024-02-29T18:00:00-05:00', url: 'https://example.com/w2' },
      ],
    },
  };
}

/** The CHATGPT seat's pitch cites a source the pack holds and one it does not. */
function citingPitch(r: FakeRequest): Reply {
  const answer = validAnswer(r);
  if (answer.kind !== 'json') return answer;
  const pitch = answer.value as { thesis: string[] };
  return { kind: 'json', value: { ...pitch, thesis: [...pitch.thesis, 'Chips set the tone [S3, S99].'] } };
}

const script = (r: FakeRequest): Reply =>
  r.stage === 'research' && !r.body.messages[0]?.content.startsWith('[research.v1]')
    ? citing(r)
    : r.stage === 'pitch' && r.model === 'openai/gpt-5.2'
      ? citingPitch(r)
      : validAnswer(r);

let openai: FakeOpenAi;
let alpaca: FakeAlpaca;
const apps: App[] = [];
const databases: ScenarioDatabase[] = [];

async function appWith(options: { online?: boolean; clock: () => Date; fillMode?: 'hold' | 'fill' }): Promise<{ app: App; notices: Notice[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'council-news-'));
  const file = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
  file.llm = { ...file.llm, timeoutMs: 10_000, stageDeadlineMs: 30_000, retries: 0, maxRetryAfterMs: 5, budgetUsd: 5 };
  if (options.online) file.research.models = [{ model: ONLINE, online: true }, 'deepseek/deepseek-chat'];
  const configPath = join(dir, 'council.yaml');
  writeFileSync(configPath, stringify(file));
  // On PostgreSQL (TEST_DATABASE_URL) each app has a schema of its own, so no run or cached answer is shared.
  const database = POSTGRES_URL ? await scenarioDatabase('news') : undefined;
  if (database) databases.push(database);
  const env = {
    ...alpacaEnv(alpaca, dir, { fillMode: options.fillMode ?? 'hold' }),
    COUNCIL_CONFIG: configPath,
    LLM_API_KEY: 'sk-test-key',
    LLM_BASE_URL: openai.baseUrl,
    MARKET_DATA_DIR: bundledBarsDir(),
    ...(database ? { DATABASE_URL: database.env.DATABASE_URL! } : {}),
  };
  const app = await buildApp(loadConfig(env), { memory: !database, logger: pino({ level: 'silent' }), clock: options.clock, alpaca: { retry: false, rateLimit: false } });
  const notices: Notice[] = [];
  app.addSink({ publish: async (n) => void notices.push(n) });
  apps.push(app);
  return { app, notices };
}

const newsAsks = () => alpaca.log.filter((r) => r.path === '/v1beta1/news' && r.phase === 'received');
const everyPrompt = (requests: FakeRequest[]) => requests.map((r) => r.body.messages.map((m) => m.content).join('\n'));

beforeAll(async () => {
  openai = await startFakeOpenAi(script);
  alpaca = await startFakeAlpaca();
  alpaca.news = WEEK_NEWS;
});
afterAll(async () => {
  for (const app of apps) await app.close();
  for (const database of databases) await database.dispose();
  await openai?.close();
  await alpaca?.close();
});

describe('research with news and the real calendar', () => {
  let app: App;
  let runId = '';
  const decision = nyDateTime('2024-03-04', '08:00');

  beforeAll(async () => {
    ({ app } = await appWith({ clock: () => new Date('2024-06-03T12:00:00Z') }));
  });

  it('When a past week is run with Alpaca keys, Then the news is asked with end at Monday 08:00 New York and nothing published later reaches any prompt', async () => {
    const from = openai.requests.length;
    const state = await app.run({ week: '2024-03-04' });
    runId = state.started!.runId;
    expect(state.started!.asOf).toBe(decision.toISOString());

    // The universe's news and the market's (no symbols, broad terms kept), both up to the decision time.
    const asked = newsAsks();
    expect(asked.map((r) => r.query.symbols ?? 'the whole market').sort()).toEqual(['SPY,QQQ,IWM,TLT,HYG,UUP,GLD,USO', 'the whole market']);
    for (const r of asked) expect(r.query).toMatchObject({ end: '2024-03-04T13:00:00.000Z', start: '2024-02-26T13:00:00.000Z' });

    const requests = openai.requests.slice(from);
    expect(requests.length).toBe(13);
    for (const text of everyPrompt(requests)) expect(text).not.toContain(AFTER_DECISION);
    const research = requests.filter((r) => r.stage === 'research');
    const user = research[0]!.body.messages[1]!.content;
    expect(user).toContain('[S1] 2024-03-04T12:59:00.000Z benzinga (GLD): Gold hits a three-month high in Asian trade');
    expect(user).toContain('[S3] 2024-03-01T15:05:00.000Z benzinga (QQQ SPY): S&P 500 closes at a record as chip stocks rally');
    expect(user).toContain('2024-03-08: US employment report (nonfarm payrolls) (08:30 ET)');
    expect(research[0]!.body.messages[0]!.content.startsWith('[research.v2]')).toBe(true);
    // The pitches read the sources with the pack, and their prompt (pitch.v3) asks them to cite the ids a point rests on.
    const pitchRequest = requests.find((r) => r.stage === 'pitch')!;
    expect(pitchRequest.body.messages[1]!.content).toContain('"id":"S1"');
    expect(pitchRequest.body.messages[0]!.content.startsWith('[pitch.v3]')).toBe(true);
    expect(pitchRequest.body.messages[0]!.content).toContain('ends with the id in brackets, e.g. "... into payrolls [S2]"; cite only ids the research');
  });

  it('When the researchers cite an unknown id and a source published after the decision, Then those citations are dropped and recorded, the rest kept', async () => {
    const state = await app.weekState('2024-03-04');
    const research = state.research!;
    expect(research.pack.sources!.map((s) => [s.id, s.title])).toEqual([
      ['S1', 'Gold hits a three-month high in Asian trade'],
      ['S2', 'Treasury yields ease ahead of payrolls and Powell testimony'],
      ['S3', 'S&P 500 closes at a record as chip stocks rally'],
      ['W1', 'Fed speakers sound patient'],
      ['W2', 'Fed speakers sound patient'],
    ]);
    expect(research.pack.sources!.every((s) => Date.parse(s.publishedAt) <= decision.getTime())).toBe(true);
    expect(research.pack.sources!.find((s) => s.id === 'W1')!.publishedAt).toBe('2024-02-29T23:00:00.000Z');
    expect(research.pack.narratives[0]).toMatchObject({ title: 'Chips carry the index to a record', cites: ['S3'] });
    expect(research.pack.consensus[0]!.cites).toEqual(['W1']);
    const dropped = research.droppedCitations!.filter((d) => d.model === 'google/gemini-3-pro-preview');
    expect(dropped).toEqual([
      { at: 'sources', id: 'W9', reason: 'published after the decision time', model: 'google/gemini-3-pro-preview' },
      { at: 'narratives[0]', id: 'S99', reason: 'unknown id', model: 'google/gemini-3-pro-preview' },
      { at: 'narratives[0]', id: 'W9', reason: 'published after the decision time', model: 'google/gemini-3-pro-preview' },
    ]);
    expect(research.droppedCitations).toHaveLength(6);
    expect(research.pack.provenance?.news).toMatch(/^3 news items from alpaca:news/);
    expect(research.news?.items.map((i) => i.id)).toEqual(['104', '103', '101']);
    expect(research.calendar?.events).toContainEqual({ date: '2024-03-08', event: 'US employment report (nonfarm payrolls) (08:30 ET)' });
    // The pack's calendar is the release data's week plus the model events that cite a source; an uncited rewording is not kept.
    expect(research.pack.calendar).toEqual([
      { date: '2024-03-06', event: 'Powell testifies to the House', cites: ['S2'] },
      { date: '2024-03-07', event: 'US weekly initial jobless claims (08:30 ET)', cites: [] },
      { date: '2024-03-08', event: 'US employment report (nonfarm payrolls) (08:30 ET)', cites: [] },
    ]);

    const cited = state.pitches.get('CHATGPT')!;
    expect(cited.pitch!.thesis.at(-1)).toBe('Chips set the tone [S3].');
    expect(cited.droppedCitations).toEqual([{ at: 'thesis[1]', id: 'S99', reason: 'unknown id' }]);
  });

  it('When the run is replayed, Then it equals the original from the news it read: no model call, no news request', async () => {
    const original = await app.weekState('2024-03-04');
    const calls = openai.requests.length;
    const asks = newsAsks().length;
    const replayed = await replayRun(app, runId);
    expect(openai.requests.length).toBe(calls);
    expect(newsAsks().length).toBe(asks);
    const comparable = (doc: ReturnType<typeof runJson>) => ({ ...doc, reviews: [...doc.reviews].sort((x, y) => x.reviewer.localeCompare(y.reviewer)) });
    expect(comparable(runJson(replayed))).toEqual(comparable(runJson(original)));
  });

  it('When a run asked with research.v1 (before news) is replayed, Then it is answered from its own v1 prompts with no call', async () => {
    const f = partsOf(app).config.file;
    const council = buildLlmCouncil(partsOf(app).config, { store: partsOf(app).store, db: partsOf(app).db, prompts: { research: loadPromptFile('research.v1') } });
    const settings = {
      council: 'main',
      universe: f.universe,
      risk: f.risk,
      seatAccounts: Object.fromEntries(f.seats.map((s) => [s.id, s.account])),
      chairAccount: 'COUNCIL',
      quorum: 3,
    };
    const old = await runCouncil(
      {
        store: partsOf(app).store,
        market: partsOf(app).market,
        calendar: partsOf(app).calendar,
        broker: partsOf(app).broker,
        council,
        sink: { publish: async () => {} },
        settings,
        newId: () => 'old-v1-run',
      },
      { week: '2024-03-11', query: undefined, asOf: nyDateTime('2024-03-11', '08:00') },
    );
    const recorded = (await partsOf(app).store.readAll({ streamPrefix: 'llm:main:2024-03-11:research:', types: [LLM_CALL_EVENT] })).map((e) => e.data as LlmCallRecorded);
    expect(recorded.map((c) => c.promptVersion)).toEqual(['research.v1', 'research.v1']);
    expect(old.research!.pack.sources).toBeUndefined();

    const calls = openai.requests.length;
    const replayed = await replayRun(app, 'old-v1-run');
    expect(openai.requests.length).toBe(calls);
    expect(replayed.research!.pack).toEqual(old.research!.pack);
    expect(replayed.decision!.decision).toEqual(old.decision!.decision);
    expect([...replayed.pitches.values()].every((p) => p.status === 'ok')).toBe(true);
  });
});

describe('an online research model', () => {
  it('When the week is in the past, Then it is never asked live: it answers only from the cache and abstains with the reason', async () => {
    const { app } = await appWith({ online: true, clock: () => new Date('2024-06-03T12:00:00Z') });
    const from = openai.requests.length;
    const state = await app.run({ week: '2024-03-04' });
    const research = openai.requests.slice(from).filter((r) => r.stage === 'research');
    expect(research.map((r) => r.model)).toEqual(['deepseek/deepseek-chat']);
    expect(state.research!.sources.find((s) => s.model === ONLINE)).toMatchObject({ ok: false, error: expect.stringMatching(/cannot search the past/) });
  });

  it('When it is asked at the decision time, Then its prompt asks for sources with publication times, and its late source is dropped', async () => {
    const { app } = await appWith({ online: true, clock: () => new Date('2024-03-04T13:05:00Z') });
    const from = openai.requests.length;
    const state = await app.run({ week: '2024-03-04' });
    const asked = openai.requests.slice(from).filter((r) => r.stage === 'research' && r.model === ONLINE);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.body.messages[0]!.content).toMatch(/You may search the web, but use only what was published at or before the decision time/);
    expect(asked[0]!.body.messages[0]!.content).toMatch(/publishedAt \(when it was first published, ISO 8601 with offset\)/);
    const offline = openai.requests.slice(from).find((r) => r.stage === 'research' && r.model !== ONLINE)!;
    expect(offline.body.messages[0]!.content).toMatch(/Use only the data given/);
    expect(state.research!.droppedCitations!.filter((d) => d.model === ONLINE).map((d) => d.id)).toEqual(['W9', 'S99', 'W9']);
  });
});

describe('checkpoint news', () => {
  it('When a checkpoint runs on the held positions, Then its reply adds the news of the held symbols since the previous checkpoint, none after it', async () => {
    const { app, notices } = await appWith({ clock: () => new Date('2024-06-03T12:00:00Z'), fillMode: 'fill' });
    const state = await app.run({ week: '2024-03-04' });
    await app.approve({ proposalId: state.proposal!.proposalId, by: 'cli:test', via: 'cli' });
    const held = [...new Set(state.proposal!.orders.map((o) => o.symbol))].sort();

    const from = newsAsks().length;
    await app.checkpoint(nyDateTime('2024-03-04', '12:00'));
    const [asked] = newsAsks().slice(from);
    expect(asked!.query).toMatchObject({ symbols: held.join(','), start: '2024-03-04T13:00:00.000Z', end: '2024-03-04T17:00:00.000Z' });
    const report = notices.filter((n) => n.type === 'checkpoint_report').at(-1);
    expect(report?.type === 'checkpoint_report' && report.news?.since).toBe('2024-03-04T13:00:00.000Z');
    const headlines = report?.type === 'checkpoint_report' ? report.news!.items.map((i) => i.headline) : [];
    expect(headlines).toContain('Midday movers across the ETF complex');
    expect(headlines).not.toContain('Afternoon news after the noon checkpoint');
    expect(headlines).not.toContain('Gold hits a three-month high in Asian trade');

    // The next checkpoint reads only what came after the previous one.
    await app.checkpoint(nyDateTime('2024-03-04', '14:00'));
    const [next] = newsAsks().slice(from + 1);
    expect(next!.query).toMatchObject({ start: '2024-03-04T17:00:00.000Z', end: '2024-03-04T19:00:00.000Z' });
    const later = notices.filter((n) => n.type === 'checkpoint_report').at(-1);
    expect(later?.type === 'checkpoint_report' && later.news!.items.map((i) => i.headline)).toEqual(['Afternoon news after the noon checkpoint']);
  });

  it('When one held symbol has more news than the reply holds, Then every held symbol still gets its newest item in the reply', async () => {
    const { app, notices } = await appWith({ clock: () => new Date('2024-06-03T12:00:00Z'), fillMode: 'fill' });
    const state = await app.run({ week: '2024-03-11' });
    await app.approve({ proposalId: state.proposal!.proposalId, by: 'cli:test', via: 'cli' });
    const [busy, quiet] = [...new Set(state.proposal!.orders.map((o) => o.symbol))].sort();
    expect(quiet).toBeDefined();
    // Monday 2024-03-11 is in daylight time: the decision is 12:00Z, the noon checkpoint 16:00Z.
    const quietNews = { ...WEEK_NEWS[0]!, id: 201, symbols: [quiet!], headline: `${quiet} draws steady inflows`, created_at: '2024-03-11T12:30:00Z' };
    const busyNews = Array.from({ length: 12 }, (_, i) => ({
      ...WEEK_NEWS[0]!,
      id: 210 + i,
      symbols: [busy!],
      headline: `${busy} story number ${i + 1}`,
      created_at: new Date(Date.parse('2024-03-11T12:40:00Z') + i * 15 * 60_000).toISOString(),
    }));
    const before = alpaca.news;
    alpaca.news = [...before, quietNews, ...busyNews];
    try {
      await app.checkpoint(nyDateTime('2024-03-11', '12:00'));
    } finally {
      alpaca.news = before;
    }
    const report = notices.filter((n) => n.type === 'checkpoint_report').at(-1);
    const headlines = report?.type === 'checkpoint_report' ? report.news!.items.map((i) => i.headline) : [];
    expect(headlines).toHaveLength(10);
    expect(headlines).toContain(`${quiet} draws steady inflows`);
    expect(headlines[0]).toBe(`${busy} story number 12`);
  });
});
