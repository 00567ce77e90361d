/**
 * A week that reached no quorum because the model calls failed can be run again once the cause is
 * fixed: a new attempt beside the failed one in the week's stream, with its own run id and proposal.
 * On PGlite, and on PostgreSQL 15 (a schema of its own) when TEST_DATABASE_URL is set.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { replayRun, partsOf } from '../../src/compose.ts';
import { RetryError, retryWeek } from '../../src/pipeline/run.ts';
import { foldWeek, weekStream } from '../../src/pipeline/week.ts';
import { type FakeOpenAi, type Reply, startFakeOpenAi } from '../fakes/openai.ts';
import { validAnswer } from '../llm/answers.ts';
import { llmTestApp } from '../llm/app.ts';
import { type ScenarioDatabase, scenarioDatabase } from '../faults/support/database.ts';
import { council } from '../support/cli.ts';

const WEEK = '2024-03-04';
const refused: Reply = { kind: 'status', status: 401, message: 'invalid api key' };
let fake: FakeOpenAi;
let app: App;
let database: ScenarioDatabase;
const notices: Notice[] = [];
/** A loopback port nobody listens on (taken from the OS, then closed). */
let deadPort: number;

beforeAll(async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  deadPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  fake = await startFakeOpenAi(validAnswer);
  database = await scenarioDatabase('retry');
  app = await llmTestApp(fake.baseUrl, notices, 'council-retry-', { db: await database.open(), env: database.env });
});

afterAll(async () => {
  await app?.close();
  await database?.dispose();
  await fake?.close();
});

describe('Running a week again after no quorum', () => {
  it('Given a week whose pitch calls were refused (no quorum), When the key is fixed and the week is retried, Then a new attempt decides beside the failed one, and a decided week cannot be retried', async () => {
    fake.script = (r) => (r.stage === 'pitch' ? refused : validAnswer(r));
    const failed = await app.run({ week: WEEK });
    expect(failed.completed?.outcome).toBe('no_quorum');
    const failedRunId = failed.started!.runId;

    fake.script = validAnswer;
    // Without --retry the week stays as it ended.
    expect((await app.run({ week: WEEK })).completed?.outcome).toBe('no_quorum');
    expect(await retryWeek(partsOf(app).store, app.councilId, WEEK, new Date('2024-06-03T12:00:00Z'))).toEqual({ retried: true, previousRunId: failedRunId });
    const retried = await app.run({ week: WEEK });
    expect(retried.completed?.outcome).toBe('proposal');
    expect(retried.started!.runId).not.toBe(failedRunId);
    expect(retried.attempts).toEqual([{ runId: failedRunId, outcome: 'no_quorum', retriedAt: '2024-06-03T12:00:00.000Z' }]);
    expect(retried.proposal!.proposalId).toContain(retried.started!.runId.slice(0, 6));

    const events = await partsOf(app).store.read(weekStream(app.councilId, WEEK));
    expect(events.map((e) => e.type).filter((t) => t === 'RunStarted' || t === 'RunRetried' || t === 'RunCompleted')).toEqual([
      'RunStarted',
      'RunCompleted',
      'RunRetried',
      'RunStarted',
      'RunCompleted',
    ]);
    // The failed attempt's abstentions are kept, with its run id.
    const failedPitches = events.filter((e) => e.type === 'PitchRecorded' && (e.data as { runId: string }).runId === failedRunId);
    expect(failedPitches.length).toBe(5);
    expect(failedPitches.every((e) => (e.data as { status: string }).status === 'abstained')).toBe(true);
    expect(foldWeek(events).pitches.size).toBe(5);

    // The retried run replays from its own recorded answers, with no call.
    const calls = fake.requests.length;
    const replayed = await replayRun(app, retried.started!.runId);
    expect(fake.requests.length).toBe(calls);
    expect(replayed.decision?.decision).toEqual(retried.decision?.decision);

    await expect(retryWeek(partsOf(app).store, app.councilId, WEEK, new Date())).rejects.toThrow(RetryError);
    await expect(retryWeek(partsOf(app).store, app.councilId, WEEK, new Date())).rejects.toThrow(/already ended with proposal/);
    // A week never run is left alone.
    expect(await retryWeek(partsOf(app).store, app.councilId, '2024-03-11', new Date())).toEqual({ retried: false });
  }, 120_000);

  it('When `council run` ends without quorum because the router is unreachable, Then it exits 4 naming the URL and the cause; `--retry` once fixed decides the week and exits 0', async () => {
    const cliDatabase = await scenarioDatabase('retry-cli');
    const env = { ...cliDatabase.env, LLM_API_KEY: 'sk-retry-cli-key' };
    const dead = await council(['run', '--week', WEEK], { ...env, LLM_BASE_URL: `http://127.0.0.1:${deadPort}/v1` });
    expect(dead.code, dead.stderr).toBe(4);
    expect(dead.stderr).toMatch(/no quorum for week 2024-03-04/);
    expect(dead.stderr).toContain(`connection to http://127.0.0.1:${deadPort}/v1 failed: connect ECONNREFUSED 127.0.0.1:${deadPort}`);
    expect(dead.stderr).toContain(`council run --week ${WEEK} --retry`);
    expect(dead.stderr).not.toContain('sk-retry-cli-key');
    // Asked again without --retry, the week is not run again, and the answer says how to retry it.
    const asked = await council(['run', '--week', WEEK], { ...env, LLM_BASE_URL: `http://127.0.0.1:${deadPort}/v1` });
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toContain(`make a new attempt: council run --week ${WEEK} --retry`);
    // Retried while still broken, with --json: no quorum again, exit 4, and the run's document carries the error.
    const stillDead = await council(['run', '--week', WEEK, '--retry', '--json'], { ...env, LLM_BASE_URL: `http://127.0.0.1:${deadPort}/v1` });
    expect(stillDead.code, stillDead.stderr).toBe(4);
    const doc = JSON.parse(stillDead.stdout) as { outcome: string; error: { code: string; message: string; errorId: string } };
    expect(doc.outcome).toBe('no_quorum');
    expect(doc.error).toEqual({
      code: 'NO_QUORUM',
      message: expect.stringContaining(`connection to http://127.0.0.1:${deadPort}/v1 failed: connect ECONNREFUSED`),
      errorId: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
    expect(stillDead.stdout).not.toContain('sk-retry-cli-key');

    fake.script = validAnswer;
    const fixed = await council(['run', '--week', WEEK, '--retry', '--json'], { ...env, LLM_BASE_URL: fake.baseUrl });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stderr).toMatch(/a new attempt beside run \S+, which had no quorum/);
    expect((JSON.parse(fixed.stdout) as { proposal: { status: string } }).proposal.status).toBe('PENDING');

    const again = await council(['run', '--week', WEEK, '--retry'], { ...env, LLM_BASE_URL: fake.baseUrl });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/--retry is only for a week without quorum/);
    await cliDatabase.dispose();
  }, 300_000);
});
