/**
 * A flood of signed `/council status` (default 200 a second for 10 s, from 20 members) at the real Bolt
 * app over HTTP, with an approver clicking Approve in the middle of it (issue 13, item 8). Goal: every
 * request answered (an HTTP 200 within Slack's 3 s: the status, or a private "slow down"), every status
 * that was not slowed delivered to its response_url, and the Approve (its click opens the modal; the
 * submission is acknowledged after it is recorded) within 3 s, as are the approver's repeated clicks. The same figures are asserted by the fault scenario
 * test/faults/slack-flood.test.ts. `npx tsx bench/slack-flood.ts [perSecond] [seconds] [users]`
 */
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { startSlack } from '../src/bot/slack/index.ts';
import { loadConfig } from '../src/config/config.ts';
import { buildApp, partsOf } from '../src/compose.ts';
import { proposalStream } from '../src/pipeline/run.ts';
import { openDatabase } from '../src/store/database.ts';
import type { Database } from '../src/store/port.ts';
import { BOT_TOKEN, buttonClick, SIGNING_SECRET, sendPayload, sendSigned, slashCommand } from '../test/bot/slack/support.ts';
import { startFakeSlack } from '../test/fakes/slack.ts';

export interface SlackFloodBench {
  perSecond: number;
  seconds: number;
  users: number;
  database: 'pglite' | 'postgres' | 'memory';
  sent: number;
  /** Answered 200 within 3 s (the status to come, or "slow down"). */
  answeredInTime: number;
  /** Not a 200, or later than 3 s. */
  unanswered: number;
  slowedDown: number;
  /** Told at once the bot is busy (the read queue was full). */
  busy: number;
  statusesServed: number;
  /** Statuses served whose response_url answer arrived. */
  statusesDelivered: number;
  ackP50Ms: number;
  ackP99Ms: number;
  ackMaxMs: number;
  /** The first Approve: the click opening the modal and the modal's submission, the slower of the two; the submission is acknowledged only once recorded. */
  approveAckMs: number;
  approveRecordedAtAck: boolean;
  /** The approver's later clicks ("already approved"). */
  repeatClickMaxMs: number;
  /** CPU this process spent per flood request (the bot and the load generator together), and the load average meanwhile. */
  cpuMsPerRequest: number;
  loadAverage: number;
  underGoal: boolean;
}

const SLACK_DEADLINE_MS = 3_000;
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const round1 = (x: number) => Math.round(x * 10) / 10;

export async function benchSlackFlood(options: { perSecond?: number; seconds?: number; users?: number; db?: Database } = {}): Promise<SlackFloodBench> {
  const perSecond = options.perSecond ?? 200;
  const seconds = options.seconds ?? 10;
  const users = options.users ?? 20;
  const home = 'C_HOME';
  const approver = 'UBOSS';
  const fake = await startFakeSlack({ token: BOT_TOKEN });
  const config = loadConfig({
    COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-flood-')),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_CHANNEL_ID: home,
    SLACK_PORT: '0',
    COUNCIL_APPROVERS: `slack:${approver}`,
  });
  const logger = pino({ level: 'silent' });
  const app = await buildApp(config, { ...(options.db ? { db: options.db } : { memory: true }), logger, clock: () => new Date('2024-03-04T12:00:00Z') });
  await app.warm();
  const slack = await startSlack(app, config.slack!, logger, { host: '127.0.0.1', retryConfig: { retries: 0 } });
  const url = `http://127.0.0.1:${slack.port}/slack/events`;
  try {
    const proposalId = (await app.run({ week: '2024-03-04' })).proposal!.proposalId;
    const decision = await fake.waitFor(() => [...fake.messages.values()].find((m) => JSON.stringify(m.blocks).includes(`approve:${proposalId}`)), 'the decision');
    const recorded = async () => (await partsOf(app).store.read(proposalStream(proposalId))).some((e) => e.type === 'ProposalApproved');
    const press = async (): Promise<{ ms: number; ok: boolean }> => {
      const body = buttonClick({
        actionId: `approve:${proposalId}`,
        value: proposalId,
        user: approver,
        channel: home,
        messageTs: decision.ts,
        responseUrl: fake.responseUrl('approve'),
      });
      const started = performance.now();
      const res = await sendSigned(url, body).catch(() => undefined);
      await res?.text();
      return { ms: performance.now() - started, ok: res?.status === 200 };
    };
    // The first Approve: the click opens the modal (every account ticked), and its submission is the
    // approval, acknowledged only once recorded. Both acknowledgements must be within Slack's 3 s.
    const approve = async (): Promise<{ ms: number; ok: boolean; recorded: boolean }> => {
      const known = new Set(fake.views.keys());
      const clicked = await press();
      const modal = await fake
        .waitFor(() => [...fake.views.values()].find((v) => !known.has(v.id) && v.privateMetadata.includes(proposalId)), 'the approve modal')
        .catch(() => undefined);
      if (!modal) return { ms: clicked.ms, ok: false, recorded: false };
      const started = performance.now();
      const res = await sendPayload(url, fake.viewSubmission(modal.id, approver)).catch(() => undefined);
      await res?.text();
      const ms = performance.now() - started;
      return { ms: Math.max(ms, clicked.ms), ok: clicked.ok && res?.status === 200, recorded: await recorded() };
    };
    const click = async (): Promise<{ ms: number; ok: boolean; recorded: boolean }> => ({ ...(await press()), recorded: await recorded() });

    const acks: { ms: number; ok: boolean; slowed: boolean; busy: boolean; id: string }[] = [];
    const flood: Promise<void>[] = [];
    const clicks: Promise<{ ms: number; ok: boolean; recorded: boolean }>[] = [];
    const total = perSecond * seconds;
    const clickAt = new Set([0.3, 0.5, 0.7, 0.9].map((f) => Math.floor(total * f)));
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < total; i++) {
      // Paced on the clock: request i leaves at i / perSecond seconds (a bounded loop, loopback only).
      const due = start + (i * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      if (clickAt.has(i)) clicks.push(clicks.length === 0 ? approve() : click());
      const id = `flood-${i}`;
      const body = slashCommand({ text: 'status', user: `UMEMBER${i % users}`, channel: home, responseUrl: fake.responseUrl(id) });
      const sent = performance.now();
      flood.push(
        sendSigned(url, body).then(
          async (res) => {
            const text = await res.text();
            acks.push({ ms: performance.now() - sent, ok: res.status === 200, slowed: text.includes('Slow down'), busy: text.includes('is busy'), id });
          },
          () => void acks.push({ ms: Number.POSITIVE_INFINITY, ok: false, slowed: false, busy: false, id }),
        ),
      );
    }
    await Promise.all(flood);
    const cpu = process.cpuUsage(cpuBefore);
    const [first, ...repeats] = await Promise.all(clicks);
    const served = acks.filter((a) => a.ok && !a.slowed && !a.busy);
    // Every served status goes out through its response_url; wait for each (a guard, not a timing figure).
    const delivered = () => served.filter((a) => fake.responses.some((r) => r.id === a.id)).length;
    await fake.waitFor(() => (delivered() === served.length ? true : undefined), 'every served status delivered').catch(() => undefined);
    const inTime = acks.filter((a) => a.ok && a.ms < SLACK_DEADLINE_MS);
    const times = acks.map((a) => a.ms).sort((a, b) => a - b);
    const repeatClickMaxMs = round1(Math.max(0, ...repeats.map((r) => (r.ok ? r.ms : Number.POSITIVE_INFINITY))));
    const result = {
      perSecond,
      seconds,
      users,
      database: partsOf(app).db.kind,
      sent: total,
      answeredInTime: inTime.length,
      unanswered: total - inTime.length,
      slowedDown: acks.filter((a) => a.slowed).length,
      busy: acks.filter((a) => a.busy).length,
      statusesServed: served.length,
      statusesDelivered: delivered(),
      ackP50Ms: round1(percentile(times, 50)),
      ackP99Ms: round1(percentile(times, 99)),
      ackMaxMs: round1(times.at(-1) ?? Number.NaN),
      approveAckMs: round1(first?.ok ? first.ms : Number.POSITIVE_INFINITY),
      approveRecordedAtAck: first?.recorded ?? false,
      repeatClickMaxMs,
      cpuMsPerRequest: round1((cpu.user + cpu.system) / 1000 / total),
      loadAverage: round1(loadavg()[0] ?? 0),
    };
    return {
      ...result,
      underGoal:
        result.unanswered === 0 &&
        result.statusesDelivered === result.statusesServed &&
        result.approveAckMs < SLACK_DEADLINE_MS &&
        result.approveRecordedAtAck &&
        repeatClickMaxMs < SLACK_DEADLINE_MS,
    };
  } finally {
    await slack.stop();
    await app.close();
    await fake.close();
  }
}

/** The same flood with the bot on PostgreSQL (as the fault scenario runs it in CI): a schema of its own, dropped afterwards. */
export async function benchSlackFloodPostgres(databaseUrl: string, options: { perSecond?: number; seconds?: number; users?: number } = {}): Promise<SlackFloodBench> {
  const schema = `bench_flood_${process.pid}_${Date.now()}`;
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  await admin.query(`create schema ${schema}`);
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  try {
    return await benchSlackFlood({ ...options, db: await openDatabase({ databaseUrl: url.toString(), dataDir: mkdtempSync(join(tmpdir(), 'bench-flood-pg-')) }) });
  } finally {
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [perSecond, seconds, users] = process.argv.slice(2).map(Number);
  const r = await benchSlackFlood({ perSecond, seconds, users });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
