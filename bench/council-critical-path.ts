/**
 * The LLM council's wall time against its critical path: the sum over stages (research, pitches,
 * reviews, chairman) of each stage's slowest call, with a fake router answering every call after a
 * fixed latency. A ratio near 1 means the stages' calls really run in parallel and the pipeline adds
 * little of its own (goal: under 1.1). The default latency, 1 s, is still shorter than real models take;
 * the pipeline's own cost (snapshot, event appends, sizing) is a roughly constant 150-300 ms on top.
 * `npx tsx bench/council-critical-path.ts [latencyMs]`
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../src/config/config.ts';
import { LLM_CALL_EVENT, type LlmCallRecorded } from '../src/llm/openai/audit.ts';
import { buildApp, partsOf } from '../src/compose.ts';
import { startFakeOpenAi } from '../test/fakes/openai.ts';
import { validAnswer } from '../test/llm/answers.ts';

export interface CriticalPathBench {
  latencyMs: number;
  calls: number;
  wallMs: number;
  criticalPathMs: number;
  ratio: number;
  /** Wall time over 4 stages x the fake's latency: the same ratio without the client-side timing of each call. */
  nominalRatio: number;
  /** The first run in a fresh process, CSV caches cold. */
  coldWallMs: number;
  coldRatio: number;
  underGoal: boolean;
}

export async function benchCriticalPath(latencyMs = 1_000): Promise<CriticalPathBench> {
  const fake = await startFakeOpenAi(validAnswer, { latencyMs });
  const dir = mkdtempSync(join(tmpdir(), 'bench-llm-'));
  const file = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
  file.llm = { ...file.llm, cache: false };
  writeFileSync(join(dir, 'council.yaml'), stringify(file));
  const config = loadConfig({ COUNCIL_DATA_DIR: dir, COUNCIL_CONFIG: join(dir, 'council.yaml'), LLM_API_KEY: 'sk-bench', LLM_BASE_URL: fake.baseUrl });
  const app = await buildApp(config, { memory: true, logger: pino({ level: 'silent' }), clock: () => new Date('2024-06-03T12:00:00Z') });
  try {
    const measure = async (week: string) => {
      const started = performance.now();
      await app.run({ week });
      const wallMs = performance.now() - started;
      const calls = (await partsOf(app).store.readAll({ streamPrefix: `llm:${config.file.council}:${week}:`, types: [LLM_CALL_EVENT] })).map((e) => e.data as LlmCallRecorded);
      const slowest = new Map<string, number>();
      for (const c of calls) slowest.set(c.stage, Math.max(slowest.get(c.stage) ?? 0, c.latencyMs));
      const criticalPathMs = [...slowest.values()].reduce((a, b) => a + b, 0);
      return { wallMs, criticalPathMs, calls: calls.length };
    };
    const cold = await measure('2024-03-04');
    const warm = await measure('2024-03-11');
    const ratio = Math.round((warm.wallMs / warm.criticalPathMs) * 1000) / 1000;
    return {
      latencyMs,
      calls: warm.calls,
      wallMs: Math.round(warm.wallMs),
      criticalPathMs: warm.criticalPathMs,
      ratio,
      nominalRatio: Math.round((warm.wallMs / (4 * latencyMs)) * 1000) / 1000,
      coldWallMs: Math.round(cold.wallMs),
      coldRatio: Math.round((cold.wallMs / cold.criticalPathMs) * 1000) / 1000,
      underGoal: ratio < 1.1,
    };
  } finally {
    await app.close();
    await fake.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchCriticalPath(process.argv[2] ? Number(process.argv[2]) : undefined);
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
