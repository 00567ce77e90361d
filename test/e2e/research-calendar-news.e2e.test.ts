/**
 * The council command with Alpaca keys, as a user runs it: the real SDK against the fake serving news, the
 * real openai SDK against the fake router, the bundled bars. A past week's news is asked with `end` at
 * Monday 08:00 New York and nothing later reaches a prompt; the checkpoint prints the held symbols' news.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledBarsDir } from '../../src/market/csv.ts';
import { alpacaEnv } from '../brokers/env.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';
import { AFTER_DECISION, WEEK_NEWS } from '../fakes/news.ts';
import { type FakeOpenAi, startFakeOpenAi } from '../fakes/openai.ts';
import { validAnswer } from '../llm/answers.ts';
import { council } from '../support/cli.ts';

let alpaca: FakeAlpaca;
let openai: FakeOpenAi;
let env: Record<string, string>;

beforeAll(async () => {
  alpaca = await startFakeAlpaca();
  alpaca.news = WEEK_NEWS;
  openai = await startFakeOpenAi(validAnswer);
  env = {
    ...alpacaEnv(alpaca, mkdtempSync(join(tmpdir(), 'council-news-cli-')), { fillMode: 'fill' }),
    LLM_API_KEY: 'sk-test-key',
    LLM_BASE_URL: openai.baseUrl,
    MARKET_DATA_DIR: bundledBarsDir(),
  };
});
afterAll(async () => {
  await openai?.close();
  await alpaca?.close();
});

const newsAsks = () => alpaca.log.filter((r) => r.path === '/v1beta1/news' && r.phase === 'received');

describe('council run and checkpoint with Alpaca news', () => {
  it('When a past week is run and its checkpoint judged from the command line, Then news is read up to each decision time and the checkpoint prints the held symbols’ news', async () => {
    const run = await council(['run', '--week', '2024-03-04'], env);
    expect(run.code, run.stderr).toBe(0);
    // The universe's news and the market's on broad terms, both up to the decision time.
    const week = expect.objectContaining({ start: '2024-02-26T13:00:00.000Z', end: '2024-03-04T13:00:00.000Z' });
    expect(newsAsks().map((r) => r.query)).toEqual([week, week]);
    expect(openai.requests.length).toBeGreaterThan(0);
    for (const r of openai.requests) expect(JSON.stringify(r.body.messages)).not.toContain(AFTER_DECISION);
    expect(run.stdout).toContain('S1  Mon 2024-03-04 07:59 ET  benzinga: Gold hits a three-month high in Asian trade');
    expect(run.stdout).toContain('2024-03-08  US employment report (nonfarm payrolls) (08:30 ET)');

    const proposalId = /Proposal (2024-03-04-\w+)/.exec(run.stdout)?.[1];
    expect(proposalId).toBeDefined();
    const approve = await council(['approve', proposalId!, '--by', 'trader'], env);
    expect(approve.code, approve.stderr).toBe(0);

    const checkpoint = await council(['checkpoint', '--at', '2024-03-04T12:00'], env);
    expect(checkpoint.code, checkpoint.stderr).toBe(0);
    expect(newsAsks().at(-1)!.query).toMatchObject({ start: '2024-03-04T13:00:00.000Z', end: '2024-03-04T17:00:00.000Z' });
    expect(checkpoint.stdout).toContain('News since Mon 2024-03-04 08:00 ET for the held symbols:');
    expect(checkpoint.stdout).toMatch(/• Mon 2024-03-04 10:00 ET {2}benzinga \([A-Z ]+\): Midday movers across the ETF complex/);
    expect(checkpoint.stdout).not.toContain('Afternoon news after the noon checkpoint');
  }, 180_000);
});
