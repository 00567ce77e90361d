import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llmTestApp } from './app.ts';
import type { App } from '../../src/app/index.ts';
import { positionDetail } from '../../src/bot/checkpoint-text.ts';
import { LLM_CALL_EVENT, type LlmCallRecorded } from '../../src/llm/openai/audit.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { checkpointStream } from '../../src/pipeline/checkpoint.ts';
import type { Notice, PositionCheck } from '../../src/pipeline/notices.ts';
import { type FakeOpenAi, type FakeRequest, startFakeOpenAi } from '../fakes/openai.ts';
import { validAnswer } from './answers.ts';
import { partsOf } from '../../src/compose.ts';

const MODELS: Record<string, string> = {
  CHATGPT: 'openai/gpt-5.2',
  GEMINI: 'google/gemini-3-pro-preview',
  CLAUDE: 'anthropic/claude-sonnet-4-5',
  GROQ: 'xai/grok-4-1-fast',
  DEEPSEEK: 'deepseek/deepseek-chat',
  council: 'anthropic/claude-opus-4-5',
};

let fake: FakeOpenAi;
let app: App;
const notices: Notice[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAi(validAnswer);
  app = await llmTestApp(fake.baseUrl, notices, 'council-llm-checkpoint-');
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

const userText = (r: FakeRequest) =>
  r.body.messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n');

describe('conviction updates at a checkpoint', () => {
  it("When an approved LLM week is checked and one seat's model is down, Then every other position carries its owner's update, the failed one shows as unavailable, and the checkpoint completes", async () => {
    const state = await app.run({ week: '2024-03-04' });
    await app.approve({ proposalId: state.proposal!.proposalId, by: 'cli:test', via: 'test' });
    const pitchInstrument = (owner: string) => (owner === 'council' ? state.decision!.decision.instrument : state.pitches.get(owner)!.pitch!.instrument);

    const from = fake.requests.length;
    fake.script = (r) => (r.stage === 'checkpoint' && r.model === MODELS.GEMINI ? { kind: 'status', status: 500, message: 'upstream overloaded' } : validAnswer(r));
    const result = await app.scheduledCheckpoint(nyDateTime('2024-03-05', '12:00'));

    expect(result.fresh).toBe(true);
    const owned = result.positions.filter((p): p is PositionCheck & { owner: string } => p.owner !== null);
    expect(owned.length).toBeGreaterThanOrEqual(3);
    expect(owned.some((p) => p.owner === 'GEMINI')).toBe(true);
    const requests = fake.requests.slice(from).filter((r) => r.stage === 'checkpoint');
    for (const p of owned) {
      const model = MODELS[p.owner]!;
      const asked = requests.filter((r) => r.model === model);
      // the owner's own model was asked, with its own pitch (or the decision) and this position
      expect(asked.length, `${p.owner}'s model was asked`).toBeGreaterThan(0);
      expect(asked.every((r) => userText(r).includes(`"instrument":"${pitchInstrument(p.owner)}"`) && userText(r).includes(`"symbol":"${p.symbol}"`))).toBe(true);
      if (p.owner === 'GEMINI') expect(p.update).toEqual({ model, error: expect.stringMatching(/HTTP 500.*upstream overloaded/) });
      else expect(p.update).toEqual({ model, conviction: 1, note: `Thesis intact (${model}).` });
    }
    // one call per position, plus the failing seat's retry
    expect(requests).toHaveLength(owned.length + 1);

    // the notice and the recorded evaluation carry the same updates, and the renderers show them
    const notice = notices.find((n) => n.type === 'checkpoint_report' && n.at === result.at);
    expect(notice?.type === 'checkpoint_report' && notice.positions).toEqual(result.positions);
    const evaluated = (await partsOf(app).store.read(checkpointStream(app.councilId, '2024-03-04'))).filter((e) => e.type === 'CheckpointEvaluated');
    expect(evaluated).toHaveLength(1);
    expect((evaluated[0]!.data as { positions: PositionCheck[] }).positions).toEqual(result.positions);
    const gemini = owned.find((p) => p.owner === 'GEMINI')!;
    expect(positionDetail(gemini)).toContainEqual(expect.stringMatching(/^conviction update unavailable \(GEMINI, google\/gemini-3-pro-preview\): .*HTTP 500/));
    const other = owned.find((p) => p.owner !== 'GEMINI')!;
    expect(positionDetail(other)).toContain(
      `conviction update (${other.owner === 'council' ? 'chairman' : other.owner}, ${MODELS[other.owner]}): +1.00: Thesis intact (${MODELS[other.owner]}).`,
    );

    // every update call is audited like any other call, under the checkpoint's week
    const calls = (await partsOf(app).store.readAll({ streamPrefix: 'llm:main:2024-03-04:checkpoint:', types: [LLM_CALL_EVENT] })).map((e) => e.data as LlmCallRecorded);
    expect(calls.filter((c) => c.outcome === 'ok')).toHaveLength(owned.length - 1);
    expect(calls.filter((c) => c.outcome === 'failed').map((c) => c.model)).toEqual([MODELS.GEMINI]);
    expect(calls.every((c) => c.promptVersion === 'checkpoint.v1')).toBe(true);
  });
});
