/**
 * The backtest with LLM seats through the prompt-hash cache. Three live weeks run against the fake
 * router with the cache on, in a database of their own (a PGlite folder, or a PostgreSQL schema under
 * TEST_DATABASE_URL); then the backtest reads that cache and replays four weeks without a single call:
 * the pitches equal the live ones, a week or a chairman answer the cache lacks is an abstention with
 * its reason, and the report counts, per seat, the weeks answered from the cache and the weeks abstained.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { type BacktestResult, backtestJson, runBacktest } from '../../src/backtest/engine.ts';
import { type BacktestLlm, chooseLlm, LlmCacheError, NOT_CACHED } from '../../src/backtest/llm-cache.ts';
import { writeBacktestReport } from '../../src/backtest/report.ts';
import type { Config } from '../../src/config/config.ts';
import { LLM_CALL_EVENT, type LlmCallRecorded, llmStream } from '../../src/llm/openai/audit.ts';
import { createLogger } from '../../src/logger.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import type { WeekState } from '../../src/pipeline/week.ts';
import { DatabaseInUseError } from '../../src/store/database.ts';
import { type FakeOpenAi, type FakeRequest, startFakeOpenAi } from '../fakes/openai.ts';
import { type ScenarioDatabase, scenarioDatabase } from '../faults/support/database.ts';
import { validAnswer } from '../llm/answers.ts';
import { llmTestApp } from '../llm/app.ts';
import { council } from '../support/cli.ts';
import { compose, partsOf } from '../../src/compose.ts';

const LIVE = ['2024-03-04', '2024-03-11', '2024-03-18'];
/** Never convened live: nothing of it is in the cache. */
const UNCACHED = '2024-03-25';
const FROM = '2024-03-04';
const TO = '2024-03-28';
const LLM_SEATS = ['CHATGPT', 'GEMINI', 'CLAUDE', 'GROQ', 'DEEPSEEK'];
const CHAIR = 'anthropic/claude-opus-4-5';
const CHAIR_FALLBACK = 'openai/gpt-5.2';

let db: ScenarioDatabase;
let fake: FakeOpenAi;
let config: Config;
const live = new Map<string, WeekState>();
let requestsAfterLive = 0;
let llm: BacktestLlm;
let result: BacktestResult;
const replayed = new Map<string, WeekState>();

/** GEMINI's pitch of the second week fails live (a 500 past the retry): the cache never got it. */
function script(r: FakeRequest) {
  const week = /week of (\d{4}-\d{2}-\d{2})/.exec(r.body.messages.find((m) => m.role === 'user')?.content ?? '')?.[1];
  if (r.stage === 'pitch' && r.model === 'google/gemini-3-pro-preview' && week === '2024-03-11') return { kind: 'status' as const, status: 500, message: 'upstream overloaded' };
  return validAnswer(r);
}

const backtest = (cfg: Config, choice: BacktestLlm, onWeek?: (s: WeekState) => void) =>
  runBacktest({ compose, config: cfg, market: createCsvMarketData(cfg.marketDataDir), logger: createLogger('silent'), llm: choice, onWeek }, { from: FROM, to: TO });

beforeAll(async () => {
  db = await scenarioDatabase('llm_cache_backtest');
  fake = await startFakeOpenAi(script);
  const notices: Notice[] = [];
  const app: App = await llmTestApp(fake.baseUrl, notices, 'council-llm-backtest-', { db: await db.open(), env: db.env });
  try {
    config = partsOf(app).config;
    for (const week of LIVE) live.set(week, await app.run({ week }));
    // The third week's chairman answer is lost from the cache (pruned, say): the backtest cannot have it.
    const [chairCall] = await partsOf(app).store.read(llmStream('main', '2024-03-18', 'chair', 'chair-1'));
    expect(chairCall?.type).toBe(LLM_CALL_EVENT);
    await partsOf(app).db.query('delete from llm_cache where prompt_hash = $1', [(chairCall!.data as LlmCallRecorded).requestHash]);
  } finally {
    await app.close(); // frees the embedded database for the backtest, as a stopped `council serve` would
  }
  requestsAfterLive = fake.requests.length;
  llm = await chooseLlm(config, 'cache');
  result = await backtest(config, llm, (s) => replayed.set(s.started!.week, s));
});

afterAll(async () => {
  await fake?.close();
  await db?.dispose();
});

describe('Backtest with LLM seats through the LLM cache', () => {
  it('When --llm cache is given and the cache holds answers for the configured models, Then the backtest answers from the cache and says so', () => {
    expect(llm.mode).toBe('cache');
    expect(llm.reason).toMatch(/^--llm cache: \d+ cached answers in (postgres|pglite)/);
    expect(result.llm).toMatchObject({ mode: 'cache', cache: { source: db.kind === 'postgres' ? 'postgres' : `pglite (${config.dataDir})` } });
    expect(result.llm.cache!.answers).toBeGreaterThan(30);
  });

  it('When the backtest runs with the router still reachable and its key configured, Then the router receives zero requests', () => {
    expect(config.llm?.baseUrl).toBe(fake.baseUrl);
    expect(fake.requests.length).toBe(requestsAfterLive);
    expect(result.weeks).toBe(4);
  });

  it("When a week was convened live, Then each LLM seat's pitch in the backtest equals its live pitch", () => {
    for (const week of LIVE) {
      const then = live.get(week)!;
      const now = replayed.get(week)!;
      for (const seat of LLM_SEATS) {
        const before = then.pitches.get(seat)!;
        if (before.status !== 'ok') continue;
        expect(now.pitches.get(seat), `${seat} ${week}`).toMatchObject({ status: 'ok', kind: 'llm', pitch: before.pitch });
      }
      // The same seats pitched (in whatever order their answers arrived).
      const pitched = (s: WeekState) =>
        [...s.pitches.values()]
          .filter((p) => p.status === 'ok')
          .map((p) => p.seat)
          .sort();
      expect(pitched(now)).toEqual(pitched(then));
    }
    // Reviews and the chairman answered from the cache too wherever it held them.
    for (const week of ['2024-03-04', '2024-03-11']) {
      expect(replayed.get(week)!.decision).toMatchObject({ decision: live.get(week)!.decision!.decision, chair: { model: CHAIR, kind: 'llm' } });
      for (const [seat, review] of live.get(week)!.reviews) expect(replayed.get(week)!.reviews.get(seat)?.scores).toEqual(review.scores);
    }
  });

  it('When the cache lacks a seat’s answer for a week, Then that seat abstains that week with the reason recorded, never a guess', () => {
    expect(live.get('2024-03-11')!.pitches.get('GEMINI')).toMatchObject({ status: 'abstained', error: expect.stringContaining('HTTP 500') });
    expect(replayed.get('2024-03-11')!.pitches.get('GEMINI')).toMatchObject({ status: 'abstained', pitch: null, error: NOT_CACHED });

    const empty = replayed.get(UNCACHED)!;
    for (const seat of LLM_SEATS) expect(empty.pitches.get(seat), seat).toMatchObject({ status: 'abstained', pitch: null, error: NOT_CACHED });
    expect(empty.completed?.outcome).toBe('no_quorum');
    expect(empty.decision).toBeUndefined();
    // Both LLM researchers missed; the builtin research stood in so the week could still be judged.
    expect(empty.research!.sources.filter((s) => s.kind === 'llm').map((s) => s.error)).toEqual([NOT_CACHED, NOT_CACHED]);
  });

  it('When the cache lacks the chairman’s answer, Then its fallback model is tried from the cache and the builtin chair decides, the misses recorded', () => {
    const week = replayed.get('2024-03-18')!;
    expect(week.decision?.chair).toEqual({
      model: 'builtin:vote',
      kind: 'systematic',
      failures: [
        { model: CHAIR, error: NOT_CACHED },
        { model: CHAIR_FALLBACK, error: NOT_CACHED },
      ],
    });
  });

  it('When the report is written, Then per seat it counts the weeks answered from the cache and the weeks abstained, with the reasons', async () => {
    const seats = Object.fromEntries(result.llm.seats.map((s) => [s.seat, s]));
    expect(seats['CHATGPT']).toMatchObject({ source: 'cache', kind: 'llm', pitched: 3, abstained: 1, reviewed: 3, reviewAbstained: 0 });
    expect(seats['CHATGPT']!.abstentions).toEqual([{ stage: 'pitch', reason: NOT_CACHED, weeks: [UNCACHED] }]);
    // It still scored its peers the week its own pitch was missing.
    expect(seats['GEMINI']).toMatchObject({ pitched: 2, abstained: 2, reviewed: 3 });
    expect(seats['GEMINI']!.abstentions).toEqual([{ stage: 'pitch', reason: NOT_CACHED, weeks: ['2024-03-11', UNCACHED] }]);
    expect(result.llm.chairman).toEqual({ models: [CHAIR, CHAIR_FALLBACK, 'builtin:vote'], decidedBy: { [CHAIR]: 2, 'builtin:vote': 1 }, noDecision: 1 });
    expect(result.llm.noQuorumWeeks).toBe(1);

    const doc = backtestJson(result);
    expect(doc).toMatchObject({ from: FROM, to: TO, weeks: 4, benchmark: { symbol: 'SPY' }, llm: { mode: 'cache' } });
    const files = await writeBacktestReport(mkdtempSync(join(tmpdir(), 'report-llm-')), result);
    const md = readFileSync(files.markdown, 'utf8');
    expect(md).toContain('LLM seats answering only from the LLM cache');
    expect(md).toContain('| CHATGPT | openai/gpt-5.2 | LLM cache | 3 (75%) | 1 (25%) | 3 | 0 |');
    expect(md).toContain('| GEMINI | google/gemini-3-pro-preview | LLM cache | 2 (50%) | 2 (50%) | 3 | 0 |');
    expect(md).toContain(`- GEMINI pitch: ${NOT_CACHED} (2 weeks, first 2024-03-11)`);
    expect(md).toContain('1 week had too few valid pitches for a quorum');
    expect(md).toContain('Cost: $0.00 in this backtest: every LLM answer came from the cache');
    expect(JSON.parse(readFileSync(files.json, 'utf8')).llm.seats).toEqual(JSON.parse(JSON.stringify(result.llm.seats)));
  });

  it('When no LLM key is configured and no router is running, Then the same backtest gives the same result', async () => {
    await fake.close();
    const keyless = { ...config, llm: undefined };
    const choice = await chooseLlm(keyless, 'cache');
    expect(choice.reason).toMatch(/^--llm cache: \d+ cached answers in/);
    const again = await backtest(keyless, choice);
    const comparable = (r: BacktestResult) => ({ ...backtestJson(r), llm: { ...r.llm, reason: 'how it was chosen' } });
    expect(comparable(again)).toEqual(comparable(result));
  });

  it('When --llm off is given, Then the builtin seats sit even though the cache holds answers', async () => {
    const off = await chooseLlm(config, 'off');
    expect(off).toEqual({ mode: 'off', reason: '--llm off: builtin systematic seats' });
  });

  it('When --llm cache is asked of a data folder with no database, Then it fails plainly', async () => {
    const fresh = { ...config, databaseUrl: undefined, dataDir: mkdtempSync(join(tmpdir(), 'council-nodb-')) };
    await expect(chooseLlm(fresh, 'cache')).rejects.toThrow(LlmCacheError);
  });

  it('When --llm is not given, Then the builtin seats sit, even with answers in the cache, and the reason says how to use them', async () => {
    await expect(chooseLlm(config, undefined)).resolves.toEqual({
      mode: 'off',
      reason: 'builtin systematic seats (the default; --llm cache sits the LLM seats on the answers live runs cached)',
    });
  });

  it.runIf(!process.env.TEST_DATABASE_URL)(
    'When the embedded database is in use by another process, Then --llm cache says so, and the default (builtin seats) does not need it',
    async () => {
      const held = await db.open();
      try {
        await expect(chooseLlm(config, 'cache')).rejects.toThrow(DatabaseInUseError);
        expect((await chooseLlm(config, undefined)).mode).toBe('off');
      } finally {
        await held.close();
      }
    },
  );

  it('When `council backtest --json` runs on that database, Then its JSON says the seats answered from the cache and counts each seat', async () => {
    const run = await council(['backtest', '--from', FROM, '--to', TO, '--llm', 'cache', '--json', '--out', mkdtempSync(join(tmpdir(), 'report-cli-'))], {
      ...db.env,
      COUNCIL_CONFIG: config.configPath,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('council backtest: --llm cache:');
    const doc = JSON.parse(run.stdout);
    expect(doc.llm.mode).toBe('cache');
    expect(doc.llm.seats.map((s: { seat: string; pitched: number; abstained: number }) => [s.seat, s.pitched, s.abstained])).toEqual(
      result.llm.seats.map((s) => [s.seat, s.pitched, s.abstained]),
    );
    expect(doc.accounts).toEqual(JSON.parse(JSON.stringify(backtestJson(result).accounts)));

    const bad = await council(['backtest', '--from', FROM, '--to', TO, '--llm', 'maybe'], { ...db.env, COUNCIL_CONFIG: config.configPath });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--llm must be cache or off, got "maybe"');
  });
});
