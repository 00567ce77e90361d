/**
 * LLM chaos (issue 9, item 3): fifty council weeks on one App, the real openai SDK against the fake
 * router, with 30% of all calls failing in a seeded mix of 429, 500, timeouts, garbage and refusals.
 * Every run must end in a decision or a clean "no quorum", and no error may pose as a decision.
 *
 * Which call fails is a pure function of (seed, week, model, stage, n-th call of that model and stage in
 * the run), not of arrival order, so parallel stages fail the same way on every run of the suite.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { App } from '../../src/app/index.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config/config.ts';
import { LLM_CALL_EVENT, type LlmCallRecorded } from '../../src/llm/openai/audit.ts';
import { buildApp, partsOf } from '../../src/compose.ts';
import { addDays } from '../../src/market/time.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import type { WeekState } from '../../src/pipeline/week.ts';
import { type FakeOpenAi, type FakeRequest, type Reply, startFakeOpenAi } from '../fakes/openai.ts';
import { validAnswer } from '../llm/answers.ts';
import { type Fault, faultFor } from './support/chaos.ts';
import { type ScenarioDatabase, scenarioDatabase } from './support/database.ts';

const SEED = 20_240_304;
const FAILURE_RATE = 0.3;
const WEEKS = Array.from({ length: 50 }, (_, i) => addDays('2023-01-02', 7 * i));
/** Every text the chaos produces carries this marker, so any of it reaching a decision is caught. */
const MARK = 'CHAOS';

const CHAOS_REPLY: Record<Fault, Reply> = {
  429: { kind: 'status', status: 429, headers: { 'retry-after-ms': '1' }, message: `${MARK} rate limited` },
  500: { kind: 'status', status: 500, message: `${MARK} upstream exploded` },
  timeout: { kind: 'hang' },
  garbage: { kind: 'text', text: `${MARK} <html>502 Bad Gateway</html> {"instrument": ` },
  refusal: { kind: 'refusal', text: `${MARK} I cannot give trading advice.` },
};

let db: ScenarioDatabase;
let fake: FakeOpenAi;
let app: App;
const notices: Notice[] = [];
let week = '';
/** n-th call of "<model>:<stage>" in the current run. */
const seen = new Map<string, number>();
const injected: { week: string; fault: Fault }[] = [];

function chaos(r: FakeRequest): Reply {
  const key = `${r.model}:${r.stage}`;
  const n = seen.get(key) ?? 0;
  seen.set(key, n + 1);
  const fault = faultFor(`${SEED}:${week}:${key}:${n}`, FAILURE_RATE);
  if (!fault) return validAnswer(r);
  injected.push({ week, fault });
  return CHAOS_REPLY[fault];
}

const results: { week: string; state?: WeekState; error?: unknown }[] = [];

beforeAll(async () => {
  db = await scenarioDatabase('llm_chaos');
  fake = await startFakeOpenAi(chaos);
  const dir = mkdtempSync(join(tmpdir(), 'council-chaos-'));
  const file = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
  // Short timeouts keep a hung call cheap; no retries, so every injected fault reaches a seat (the harshest case).
  file.llm = { ...file.llm, timeoutMs: 150, stageDeadlineMs: 5_000, retries: 0, maxRetryAfterMs: 5, budgetUsd: 50 };
  const configPath = join(dir, 'council.yaml');
  writeFileSync(configPath, stringify(file));
  const config = loadConfig({ COUNCIL_DATA_DIR: dir, COUNCIL_CONFIG: configPath, LLM_API_KEY: 'sk-chaos', LLM_BASE_URL: fake.baseUrl });
  // Its own PostgreSQL schema under TEST_DATABASE_URL, in-memory PGlite without.
  app = await buildApp(config, {
    ...(db.kind === 'postgres' ? { db: await db.open() } : { memory: true }),
    logger: pino({ level: 'silent' }),
    clock: () => new Date('2024-06-03T12:00:00Z'),
  });
  app.addSink({ publish: async (n) => void notices.push(n) });

  for (const w of WEEKS) {
    week = w;
    seen.clear();
    try {
      results.push({ week: w, state: await app.run({ week: w }) });
    } catch (error) {
      results.push({ week: w, error });
    }
  }
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
  await db?.dispose();
});

const chairModels = () => [partsOf(app).config.file.chairman.model, ...(partsOf(app).config.file.chairman.fallbackModels ?? [])];

describe('LLM chaos: 50 council weeks with 30% of calls failing', () => {
  it('When a seeded 30% of calls fail with 429, 500, timeouts, garbage and refusals, Then every kind of fault was injected at about that rate', () => {
    const kinds = new Set(injected.map((i) => i.fault));
    expect([...kinds].sort()).toEqual(['429', '500', 'garbage', 'refusal', 'timeout']);
    const rate = injected.length / fake.requests.length;
    expect(rate).toBeGreaterThan(0.2);
    expect(rate).toBeLessThan(0.4);
  });

  it('Then every run ends in a decision or a clean no quorum: no run throws and no run_failed notice is published', () => {
    expect(results.filter((r) => r.error).map((r) => `${r.week}: ${(r.error as Error).message}`)).toEqual([]);
    expect(notices.filter((n) => n.type === 'run_failed')).toEqual([]);
    for (const { week: w, state } of results) {
      const outcome = state?.completed?.outcome;
      expect(outcome, w).toBeDefined();
      if (outcome === 'no_quorum') {
        expect(state?.decision, w).toBeUndefined();
        expect(state?.proposal, w).toBeUndefined();
        expect(notices.some((n) => n.type === 'no_quorum' && n.week === w)).toBe(true);
      } else {
        expect(state?.decision, w).toBeDefined();
        expect(notices.some((n) => n.type === 'decision_ready' && n.week === w)).toBe(true);
      }
    }
  });

  it('Then the seeded mix reaches both endings: decisions, and no-quorum runs', () => {
    const outcomes = new Set(results.map((r) => r.state?.completed?.outcome));
    expect(outcomes.has('no_quorum')).toBe(true);
    expect(outcomes.has('proposal')).toBe(true);
  });

  it('Then a week whose research models all failed runs on the builtin research, with each failure recorded', () => {
    const stoodIn = results.flatMap((r) => (r.state?.research?.sources.some((s) => s.model === 'builtin:research') ? [r.state.research] : []));
    expect(stoodIn.length).toBeGreaterThan(0);
    for (const research of stoodIn) {
      const llm = research.sources.filter((s) => s.kind === 'llm');
      expect(llm.length).toBeGreaterThan(0);
      expect(llm.every((s) => !s.ok && (s.error ?? '').length > 0)).toBe(true);
      expect(research.sources.find((s) => s.model === 'builtin:research')).toMatchObject({ kind: 'systematic', ok: true, error: null });
    }
  });

  it('Then a decision is made by a real chairman model, or by builtin:vote only with the failures that led there recorded', () => {
    const decided = results.flatMap((r) => (r.state?.decision ? [r.state.decision] : []));
    expect(decided.length).toBeGreaterThan(0);
    for (const d of decided) {
      expect([...chairModels(), 'builtin:vote']).toContain(d.chair.model);
      if (d.chair.model === 'builtin:vote') expect(d.chair.failures.map((f) => f.model)).toEqual(chairModels());
      for (const f of d.chair.failures) expect(f.error.length).toBeGreaterThan(0);
    }
  });

  it('Then no decision, pitch or order carries an error string or chaos text', () => {
    const errorLike = new RegExp(`${MARK}|HTTP \\d{3}|timed out|refused|malformed|Bad Gateway|stage deadline`, 'i');
    for (const { week: w, state } of results) {
      if (!state) continue;
      if (state.decision) expect(JSON.stringify(state.decision.decision), w).not.toMatch(errorLike);
      for (const p of state.pitches.values()) if (p.pitch) expect(JSON.stringify(p.pitch), `${w} ${p.seat}`).not.toMatch(errorLike);
      for (const o of state.proposal?.orders ?? []) expect(partsOf(app).config.file.universe, w).toContain(o.symbol);
    }
  });

  it('Then every abstention, in pitches and in reviews, carries its reason', () => {
    let abstentions = 0;
    for (const { state } of results) {
      for (const p of state?.pitches.values() ?? []) {
        if (p.status !== 'abstained') continue;
        abstentions++;
        expect(p.pitch).toBeNull();
        expect(p.error).toMatch(/\S/);
      }
      for (const r of state?.reviews.values() ?? []) if (r.status === 'abstained') expect(r.error).toMatch(/\S/);
    }
    expect(abstentions).toBeGreaterThan(0);
  });

  it('Then every failed call is in the audit trail with its outcome and reason', async () => {
    const calls = (await partsOf(app).store.readAll({ streamPrefix: 'llm:main:', types: [LLM_CALL_EVENT] })).map((e) => e.data as LlmCallRecorded);
    expect(new Set(calls.map((c) => c.outcome))).toEqual(new Set(['ok', 'failed', 'malformed', 'refused']));
    for (const c of calls.filter((c) => c.outcome !== 'ok')) expect(c.problems.join(' '), `${c.week} ${c.model} ${c.stage}`).toMatch(/\S/);
    // Every request the router received is counted in the audit, failed calls' retries included.
    const tries = calls.filter((c) => c.source === 'network').reduce((n, c) => n + c.tries, 0);
    expect(tries).toBe(fake.requests.length);
  });
});
