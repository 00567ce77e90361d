/**
 * council doctor against the loopback fakes: every configured part asked once, one line each, the
 * broken one named with its endpoint, the real cause and what to fix, never a secret.
 */
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlpacaClient } from '../src/vendors/alpaca.ts';
import { loadConfig } from '../src/config/config.ts';
import { llmModels, renderDoctor, runDoctor } from '../src/doctor.ts';
import { explainError } from '../src/explain.ts';
import { buildApp } from '../src/compose.ts';
import { type FakeAlpaca, startFakeAlpaca } from './fakes/alpaca.ts';
import { type FakeOpenAi, startFakeOpenAi } from './fakes/openai.ts';
import { type FakeSlack, startFakeSlack } from './fakes/slack.ts';
import { validAnswer } from './llm/answers.ts';
import { council } from './support/cli.ts';

const LLM_KEY = 'sk-doctor-test-key-never-shown';
const SLACK_TOKEN = 'xoxb-doctor-test-token';
let openai: FakeOpenAi;
let alpaca: FakeAlpaca;
let slack: FakeSlack;
/** A loopback port nobody listens on (taken from the OS, then closed). */
let deadPort: number;

beforeAll(async () => {
  openai = await startFakeOpenAi(validAnswer);
  alpaca = await startFakeAlpaca();
  slack = await startFakeSlack({ token: SLACK_TOKEN });
  alpaca.addAccount('PKCOUNCIL', 'secret-council-doctor');
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  deadPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
});

afterAll(async () => {
  await Promise.all([openai?.close(), alpaca?.close(), slack?.close()]);
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-doctor-')),
    LLM_API_KEY: LLM_KEY,
    LLM_BASE_URL: openai.baseUrl,
    ALPACA_API_URL: alpaca.url,
    ALPACA_DATA_URL: alpaca.url,
    ALPACA_COUNCIL_KEY_ID: 'PKCOUNCIL',
    ALPACA_COUNCIL_SECRET: 'secret-council-doctor',
    ALPACA_GEMINI_KEY_ID: 'PKWRONG',
    ALPACA_GEMINI_SECRET: 'secret-gemini-wrong',
    MARKET_DATA_DIR: join(import.meta.dirname, '../market-data/bars'),
    SLACK_BOT_TOKEN: SLACK_TOKEN,
    SLACK_SIGNING_SECRET: 'signing-secret-doctor',
    SLACK_API_URL: slack.apiUrl,
    ...extra,
  };
}

async function doctor(e: Record<string, string>) {
  const config = loadConfig(e);
  const app = await buildApp(config, { memory: true, logger: pino({ level: 'silent' }), clock: () => new Date('2026-11-24T15:00:00Z') });
  try {
    return await runDoctor({ config, app, clock: () => new Date('2026-11-24T15:00:00Z'), timeoutMs: 5_000 });
  } finally {
    await app.close();
  }
}

const secrets = [LLM_KEY, SLACK_TOKEN, 'secret-council-doctor', 'secret-gemini-wrong', 'signing-secret-doctor'];

describe('council doctor', () => {
  it('Given every part configured and one Alpaca account with keys Alpaca refuses, When the doctor runs, Then that account alone fails, with the endpoint and which variables to fix', async () => {
    const config = loadConfig(env());
    openai.models = llmModels(config);
    const report = await doctor(env());
    const byPart = new Map(report.checks.map((c) => [c.part, c]));
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.part)).toEqual(['alpaca GEMINI']);
    const gemini = byPart.get('alpaca GEMINI')!;
    expect(gemini.detail).toContain(`GET ${alpaca.url}/v2/account`);
    expect(gemini.detail).toMatch(/401/);
    expect(gemini.fix).toContain('ALPACA_GEMINI_KEY_ID');
    for (const part of ['database', 'market data', 'calendar', 'llm router', 'alpaca COUNCIL', 'slack', ...llmModels(config).map((m) => `llm ${m}`)])
      expect(byPart.get(part)?.status, part).toBe('ok');
    // Two accounts on Alpaca, four simulated, replayed bars: said plainly, a warning, not a failure.
    expect(byPart.get('brokers')).toMatchObject({ status: 'warn' });
    expect(byPart.get('brokers')!.detail).toMatch(/Alpaca \(paper\): GEMINI, COUNCIL; simulated broker: CHATGPT, CLAUDE, GROQ, DEEPSEEK; market data: CSV bars/);
    const text = renderDoctor(report);
    expect(text.split('\n').filter((l) => l.startsWith('FAIL'))).toHaveLength(1);
    for (const secret of secrets) expect(text).not.toContain(secret);
  }, 60_000);

  it('Given LLM_BASE_URL on a port nobody listens on, When the doctor runs, Then the router fails naming the URL and the refused connection, not the SDK wrapper', async () => {
    const report = await doctor(env({ LLM_BASE_URL: `http://127.0.0.1:${deadPort}/v1`, ALPACA_GEMINI_KEY_ID: '', ALPACA_GEMINI_SECRET: '' }));
    const router = report.checks.find((c) => c.part === 'llm router')!;
    expect(router.status).toBe('fail');
    expect(router.detail).toContain(`GET http://127.0.0.1:${deadPort}/v1/models`);
    expect(router.detail).toContain(`ECONNREFUSED 127.0.0.1:${deadPort}`);
    expect(router.detail).not.toMatch(/Connection error/);
    expect(router.fix).toContain('LLM_BASE_URL');
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.part)).toEqual(['llm router']);
  }, 60_000);

  it('Given a model id the router does not offer, When the doctor runs, Then that model fails and the fix names the config file', async () => {
    const config = loadConfig(env());
    openai.models = llmModels(config).filter((m) => m !== 'deepseek/deepseek-chat');
    const report = await doctor(env({ ALPACA_GEMINI_KEY_ID: '', ALPACA_GEMINI_SECRET: '' }));
    const failed = report.checks.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.part)).toEqual(['llm deepseek/deepseek-chat']);
    expect(failed[0]!.fix).toContain(config.configPath);
  }, 60_000);

  it("Given Alpaca unreachable, When the SDK's error is explained, Then the refused host shows instead of the interceptors message", async () => {
    const client = createAlpacaClient(
      { keyId: 'PKX', secret: 'secret-x-never-shown' },
      { paper: true, apiUrl: `http://127.0.0.1:${deadPort}` },
      { retry: false, rateLimit: false },
    );
    const error = await client.trading.account.getAccountRaw().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String((error as Error).message)).toMatch(/interceptors did not return an alternative response/);
    const explained = explainError(error, ['secret-x-never-shown']);
    expect(explained).toContain(`ECONNREFUSED 127.0.0.1:${deadPort}`);
    expect(explained).not.toMatch(/interceptors/);
  });

  it('When `council doctor --json` finds a broken part, Then it prints the report as JSON and exits 5', async () => {
    const result = await council(['doctor', '--json'], {
      COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-doctor-cli-')),
      LLM_API_KEY: LLM_KEY,
      LLM_BASE_URL: `http://127.0.0.1:${deadPort}/v1`,
    });
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toContain('council: doctor: 1 part(s) failed: llm router');
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: { part: string; status: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.part === 'llm router')?.status).toBe('fail');
    expect(report.checks.find((c) => c.part === 'database')?.status).toBe('ok');
    expect(result.stdout + result.stderr).not.toContain(LLM_KEY);
  }, 120_000);
});
