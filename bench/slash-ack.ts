/**
 * How fast the Slack app acknowledges `/council status` while a council run is in progress (Slack
 * gives up after 3 s; goal: p99 under 100 ms). Signed requests go over HTTP to the real Bolt app, one
 * after another, while the council runs against a fake LLM router that answers each call after a
 * fixed latency; only requests answered before the run ended count. Requests start at a steady
 * rate (default 10 a second, a busy channel): each one also starts a status query in the background,
 * and a flood of those would measure the embedded database, which runs on the event loop, not the ack.
 * `npx tsx bench/slash-ack.ts [latencyMs]`
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { parse, stringify } from 'yaml';
import { startSlack } from '../src/bot/slack/index.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../src/config/config.ts';
import { buildApp } from '../src/compose.ts';
import { BOT_TOKEN, SIGNING_SECRET, sendSigned, slashCommand } from '../test/bot/slack/support.ts';
import { startFakeOpenAi } from '../test/fakes/openai.ts';
import { startFakeSlack } from '../test/fakes/slack.ts';
import { validAnswer } from '../test/llm/answers.ts';

export interface SlashAckBench {
  latencyMs: number;
  perSecond: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Every sample was a 200 (an ack), none a timeout or an error. */
  allAcked: boolean;
  underGoal: boolean;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const round1 = (x: number) => Math.round(x * 10) / 10;

export async function benchSlashAck(latencyMs = 1_500, perSecond = 10, maxSamples = 300): Promise<SlashAckBench> {
  const llm = await startFakeOpenAi(validAnswer, { latencyMs });
  const slackApi = await startFakeSlack({ token: BOT_TOKEN });
  const dir = mkdtempSync(join(tmpdir(), 'bench-ack-'));
  const file = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
  file.llm = { ...file.llm, cache: false };
  writeFileSync(join(dir, 'council.yaml'), stringify(file));
  const config = loadConfig({
    COUNCIL_DATA_DIR: dir,
    COUNCIL_CONFIG: join(dir, 'council.yaml'),
    LLM_API_KEY: 'sk-bench',
    LLM_BASE_URL: llm.baseUrl,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slackApi.apiUrl,
    SLACK_CHANNEL_ID: 'C_BENCH',
    SLACK_PORT: '0',
  });
  const logger = pino({ level: 'silent' });
  const app = await buildApp(config, { memory: true, logger, clock: () => new Date('2024-06-03T12:00:00Z') });
  await app.warm(); // as `council serve` does before it takes traffic
  const slack = await startSlack(app, config.slack!, logger, { host: '127.0.0.1', retryConfig: { retries: 0 } });
  const url = `http://127.0.0.1:${slack.port}/slack/events`;
  let n = 0;
  const ack = async (): Promise<{ ms: number; ok: boolean }> => {
    // Members of a busy channel, each well inside their own rate limit (20 at once, one a second).
    const body = slashCommand({ text: 'status', user: `UBENCH${n % 50}`, channel: 'C_BENCH', responseUrl: slackApi.responseUrl(`s-${++n}`) });
    const started = performance.now();
    const response = await sendSigned(url, body);
    await response.text();
    return { ms: performance.now() - started, ok: response.status === 200 };
  };
  try {
    for (let i = 0; i < 5; i++) await ack(); // warm the HTTP path and the status use case
    let running = true;
    const run = app.run({ week: '2024-03-04' }).finally(() => {
      running = false;
    });
    const samples: number[] = [];
    let allAcked = true;
    const inflight: Promise<void>[] = [];
    while (running && inflight.length < maxSamples) {
      inflight.push(
        ack().then(({ ms, ok }) => {
          if (!running) return;
          samples.push(ms);
          allAcked &&= ok;
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000 / perSecond));
    }
    await Promise.all(inflight);
    await run;
    samples.sort((a, b) => a - b);
    const p99Ms = round1(percentile(samples, 99));
    return {
      latencyMs,
      perSecond,
      samples: samples.length,
      p50Ms: round1(percentile(samples, 50)),
      p99Ms,
      maxMs: round1(samples.at(-1) ?? Number.NaN),
      allAcked,
      underGoal: allAcked && samples.length > 0 && p99Ms < 100,
    };
  } finally {
    await slack.stop();
    await app.close();
    await slackApi.close();
    await llm.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchSlashAck(process.argv[2] ? Number(process.argv[2]) : undefined);
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
