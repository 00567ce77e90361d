/**
 * Secrets never reach logs or error messages (issue 9, item 6). Every secret variable gets a
 * recognisable value; a council week then runs end to end through every fake with failures that make
 * errors (401s, 500s, timeouts): in process, with the real logger at level trace writing to a capture
 * stream, and as a spawned `council` command with LOG_LEVEL=trace. Every log line, error message,
 * notice and output is searched for each secret, as written and in base64.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { App } from '../../src/app/index.ts';
import { startDiscord } from '../../src/bot/discord/index.ts';
import { type SlackHandle, startSlack } from '../../src/bot/slack/index.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logger.ts';
import { redactorFor } from '../../src/redact.ts';
import { buildApp, partsOf } from '../../src/compose.ts';
import { bundledBarsDir } from '../../src/market/csv.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { ACCOUNTS } from '../brokers/env.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.ts';
import { type FakeOpenAi, type FakeRequest, type Reply, startFakeOpenAi } from '../fakes/openai.ts';
import { type FakeSlack, startFakeSlack } from '../fakes/slack.ts';
import { validAnswer } from '../llm/answers.ts';
import { sendSigned, slashCommand } from '../bot/slack/support.ts';
import { council } from '../support/cli.ts';
import { POSTGRES_URL, scenarioDatabase, type ScenarioDatabase } from './support/database.ts';

const WEEK = '2024-03-04';
/** The account whose keys the broker does not know: every call for it is a 401. */
const UNKNOWN_TO_BROKER = 'GROQ';

const alpacaKeyId = (account: string) => `PKSECRET${account}KEYID`;
const alpacaSecret = (account: string) => `ALPACASECRET-${account.toLowerCase()}-5c9e`;

const SECRETS: Record<string, string> = {
  LLM_API_KEY: 'sk-LLMSECRET-7f3a9c1e5b',
  SLACK_BOT_TOKEN: 'xoxb-SLACKBOTSECRET-4d2e8a',
  SLACK_SIGNING_SECRET: 'SLACKSIGNINGSECRET-9b1c7d',
  SLACK_APP_TOKEN: 'xapp-SLACKAPPSECRET-3e5f1a',
  DISCORD_TOKEN: 'DISCORDSECRET.Xy7Q2w.k9LmN3pR5tV8',
  ...Object.fromEntries(
    ACCOUNTS.flatMap((a) => [
      [`ALPACA_${a}_KEY_ID`, alpacaKeyId(a)],
      [`ALPACA_${a}_SECRET`, alpacaSecret(a)],
    ]),
  ),
  DATABASE_PASSWORD: 'PGSECRET-pass-8d4f',
};
function secret(name: string): string {
  const value = SECRETS[name];
  if (!value) throw new Error(`no test secret ${name}`);
  return value;
}

/** The real PostgreSQL password of TEST_DATABASE_URL, when the suite runs there. */
const realPassword = POSTGRES_URL ? decodeURIComponent(new URL(POSTGRES_URL).password) : '';
const secrets = (): [string, string][] => [...Object.entries(SECRETS), ...(realPassword.length >= 6 ? [['TEST_DATABASE_URL password', realPassword] as [string, string]] : [])];

/** Everything a user or operator could read: log lines, errors, notices, CLI output. */
const captured: { where: string; text: string }[] = [];
const capture = (where: string, text: string) => captured.push({ where, text });
const logStream = new Writable({
  write(chunk, _enc, done) {
    capture('log', String(chunk));
    done();
  },
});

/** The LLM fails in every way: 401 for the research, 500 and timeouts for some seats, valid elsewhere. */
function hostileLlm(r: FakeRequest): Reply {
  if (r.stage === 'research') return { kind: 'status', status: 401, message: `Incorrect API key provided: ${secret('LLM_API_KEY').slice(0, 6)}...` };
  if (r.stage === 'pitch' && r.model.startsWith('google/')) return { kind: 'status', status: 500, message: 'upstream failed' };
  if (r.stage === 'pitch' && r.model.startsWith('xai/')) return { kind: 'hang' };
  return validAnswer(r);
}

let db: ScenarioDatabase;
let llm: FakeOpenAi;
let alpaca: FakeAlpaca;
let slackFake: FakeSlack;
let discordFake: FakeDiscord;
let app: App;
let slack: SlackHandle;
const notices: Notice[] = [];

function secretEnv(dataDir: string): Record<string, string> {
  const env: Record<string, string> = {
    COUNCIL_DATA_DIR: dataDir,
    MARKET_DATA_DIR: bundledBarsDir(),
    LLM_API_KEY: secret('LLM_API_KEY'),
    LLM_BASE_URL: llm.baseUrl,
    ALPACA_API_URL: alpaca.url,
    ALPACA_DATA_URL: alpaca.url,
  };
  for (const a of ACCOUNTS) {
    env[`ALPACA_${a}_KEY_ID`] = alpacaKeyId(a);
    env[`ALPACA_${a}_SECRET`] = alpacaSecret(a);
  }
  return env;
}

beforeAll(async () => {
  db = await scenarioDatabase('secrets');
  llm = await startFakeOpenAi(hostileLlm);
  alpaca = await startFakeAlpaca();
  for (const a of ACCOUNTS) if (a !== UNKNOWN_TO_BROKER) alpaca.addAccount(alpacaKeyId(a), alpacaSecret(a), { fillMode: 'fill' });
  slackFake = await startFakeSlack({ token: secret('SLACK_BOT_TOKEN') });
  discordFake = await startFakeDiscord();
  const config = loadConfig({
    ...secretEnv(db.env.COUNCIL_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'council-secrets-'))),
    ...(db.env.DATABASE_URL ? { DATABASE_URL: db.env.DATABASE_URL } : {}),
    SLACK_BOT_TOKEN: secret('SLACK_BOT_TOKEN'),
    SLACK_SIGNING_SECRET: secret('SLACK_SIGNING_SECRET'),
    SLACK_API_URL: slackFake.apiUrl,
    SLACK_CHANNEL_ID: 'C_HOME',
    SLACK_PORT: '0',
    DISCORD_TOKEN: secret('DISCORD_TOKEN'),
    DISCORD_APPLICATION_ID: discordFake.applicationId,
    DISCORD_CHANNEL_ID: discordFake.channelId,
    DISCORD_API_URL: discordFake.apiUrl,
    LOG_LEVEL: 'trace',
  });
  config.file.llm.timeoutMs = 300;
  config.file.llm.retries = 1;
  config.file.llm.maxRetryAfterMs = 5;
  // The logger as main.ts builds it: redacting every configured secret by value on every line.
  const logger = createLogger('trace', logStream, 'json', redactorFor(config));
  app = await buildApp(config, {
    ...(db.kind === 'postgres' ? { db: await db.open() } : { memory: true }),
    logger,
    clock: () => new Date('2024-03-04T12:00:00Z'),
    alpaca: { timeoutMs: 1_000, retry: { maxRetries: 1, retryDelayMs: 1 }, rateLimit: false },
  });
  app.addSink({ publish: async (n) => void notices.push(n) });
  // Config as a whole, as a careless log line would write it, with a PostgreSQL URL that carries a password.
  logger.info({ config: { ...config, databaseUrl: `postgres://council:${secret('DATABASE_PASSWORD')}@db.internal:5432/council` } }, 'config loaded');
  slack = await startSlack(app, config.slack!, logger, { host: '127.0.0.1', retryConfig: { retries: 0, minTimeout: 0, maxTimeout: 0 } });
  // Discord refuses the token (the fake knows only its own): start-up fails, and says so without the token.
  await startDiscord(app, config.discord!, logger).then(
    () => capture('discord start', 'started'),
    (error: Error) => capture('discord start error', `${error.message}\n${error.stack}`),
  );
});

afterAll(async () => {
  await slack?.stop();
  await app?.close();
  await llm?.close();
  await alpaca?.close();
  await slackFake?.close();
  await discordFake?.close();
  await db?.dispose();
});

function leaks(): string[] {
  const found: string[] = [];
  for (const [name, secret] of secrets()) {
    const forms = [secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)];
    for (const { where, text } of captured)
      for (const form of forms) if (text.includes(form)) found.push(`${name} in ${where}: …${text.slice(Math.max(0, text.indexOf(form) - 80), text.indexOf(form) + 40)}…`);
  }
  return found;
}

describe('secrets under failure', () => {
  it('When a secret is written unredacted, Then the search finds it, as written and in base64 (the search itself works)', () => {
    const [name, secret] = secrets()[0]!;
    captured.push({ where: 'control', text: `Authorization: Basic ${Buffer.from(secret).toString('base64')}` });
    expect(leaks().filter((l) => l.includes(' in control'))).toEqual([expect.stringContaining(`${name} in control`)]);
    captured.pop();
  });

  it('When a week runs in process through every fake with 401s, 500s and timeouts, Then no log line, error or notice carries a secret', async () => {
    // Slack: a request signed with the wrong secret, and a Web API error on the first post.
    const body = slashCommand({ text: 'status', user: 'U1', channel: 'C_HOME', responseUrl: slackFake.responseUrl('forged') });
    expect((await sendSigned(`http://127.0.0.1:${slack.port}/slack/events`, body, { secret: 'wrong' })).status).toBe(401);
    slackFake.failNext('chat.postMessage', { error: 'internal_error' });

    const state = await app.run({ week: WEEK });
    expect(state.research?.sources.filter((s) => s.kind === 'llm').every((s) => !s.ok && /HTTP 401/.test(s.error ?? ''))).toBe(true);
    expect(state.pitches.get('GEMINI')?.error).toMatch(/HTTP 500/);
    expect(state.pitches.get('GROQ')?.error).toMatch(/timed out/);

    // The broker: one account's keys are unknown to it (401 on every call), and one order POST answers 500.
    alpaca.script({ method: 'POST', path: '/v2/orders', keyId: alpacaKeyId('CLAUDE'), status: 500, message: 'internal error' });
    const proposalId = state.proposal!.proposalId;
    await app.approve({ proposalId, by: 'cli:ops', via: 'cli' }).then(
      (r) => capture('approve result', JSON.stringify(r)),
      (error: Error) => capture('approve error', `${error.message}\n${error.stack}`),
    );
    capture('status', JSON.stringify(await app.status()));
    capture('notices', JSON.stringify(notices));
    capture('events', JSON.stringify(await partsOf(app).store.readAll()));

    // The failures really happened, so there was something to leak.
    expect(llm.requests.some((r) => r.headers.authorization === `Bearer ${secret('LLM_API_KEY')}`)).toBe(true);
    expect(alpaca.log.some((r) => r.keyId === alpacaKeyId(UNKNOWN_TO_BROKER))).toBe(true);
    expect(captured.some((c) => c.where === 'discord start error')).toBe(true);
    expect(captured.filter((c) => c.where === 'log').length).toBeGreaterThan(20);
    expect(captured.some((c) => c.where === 'log' && /"level":(50|40)/.test(c.text))).toBe(true);
    expect(leaks()).toEqual([]);
  });

  it("When Alpaca error bodies and a Slack API error echo the credentials they were sent, Then a non-approver's /council status shows each account's failure as a class and an error id, and no answer, log line, notice or event carries a secret", async () => {
    const slackUrl = `http://127.0.0.1:${slack.port}/slack/events`;
    const signed = (text: string, user: string, id: string) =>
      sendSigned(slackUrl, slashCommand({ text, user, channel: 'C_HOME', responseUrl: slackFake.responseUrl(id) }), { secret: secret('SLACK_SIGNING_SECRET') });
    // A proxy or an upstream that echoes what it was sent: the keys as written, URL-encoded, and in the Basic header.
    const echo = (a: string) =>
      `forbidden: APCA-API-KEY-ID=${alpacaKeyId(a)} APCA-API-SECRET-KEY=${encodeURIComponent(alpacaSecret(a))} Authorization: Basic ${Buffer.from(`${alpacaKeyId(a)}:${alpacaSecret(a)}`).toString('base64')}`;
    // Slack refuses the next post and echoes the bot token in its error.
    slackFake.failNext('chat.postMessage', { error: `invalid_auth: token ${secret('SLACK_BOT_TOKEN')} was revoked` });

    // The approver halts and resumes (each posted to the channel, the first post failing); a stranger
    // tries to approve (a refusal, recorded), then asks for the status.
    // (The halt is recorded and reaches every account, then says it is incomplete for the one Alpaca does not know.)
    await expect(app.halt('cli:ops', true)).rejects.toThrow(/could not be read or canceled/);
    await app.halt('cli:ops', false);
    for (const a of ACCOUNTS) if (a !== UNKNOWN_TO_BROKER) alpaca.script({ method: 'GET', path: '/v2/account', keyId: alpacaKeyId(a), status: 403, message: echo(a) });
    const proposalId = (await app.weekState(WEEK)).proposal!.proposalId;
    // An approve is acknowledged only once its outcome is recorded (issue 13, item 7): the refusal is the ack's own body.
    const approveAck = await signed(`approve ${proposalId}`, 'U_STRANGER', 'stranger-approve');
    expect(approveAck.status).toBe(200);
    const refusal = await approveAck.text();
    capture('slack approve refusal', refusal);
    expect(JSON.parse(refusal)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('may not approve') });
    expect((await partsOf(app).store.read(`refusals:${proposalId}`)).map((e) => e.data)).toEqual([
      expect.objectContaining({ by: 'slack:U_STRANGER', via: 'slack', action: 'approve' }),
    ]);
    expect((await signed('status', 'U_STRANGER', 'stranger-status')).status).toBe(200);
    const answer = await slackFake.waitFor(() => slackFake.responses.find((r) => r.id === 'stranger-status'), 'the status answer');
    const text = JSON.stringify(answer.body);
    capture('slack status answer', text);
    // What Slack was asked to show (its calls carry the bot token by design: that is how Slack is called).
    capture('slack messages', JSON.stringify([...slackFake.messages.values()]));
    capture('slack answers', JSON.stringify(slackFake.responses));
    capture('notices', JSON.stringify(notices));
    capture('events', JSON.stringify(await partsOf(app).store.readAll()));

    // The echoes really happened: Alpaca answered 403 with the keys, Slack refused with the token.
    expect(alpaca.log.filter((r) => r.path === '/v2/account' && r.status === 403).length).toBeGreaterThanOrEqual(ACCOUNTS.length - 1);
    expect(slackFake.calls.some((c) => c.method === 'chat.postMessage')).toBe(true);
    // Each failing account reads as a class and an error id, and that id finds the whole error in the log.
    const ids = [...text.matchAll(/PermissionError \(HTTP 403\) \(error id ([0-9a-f]{8})\)/g)].map((m) => m[1]!);
    expect(ids.length).toBe(ACCOUNTS.length - 1);
    for (const id of ids) expect(captured.some((c) => c.where === 'log' && c.text.includes(`"errorId":"${id}"`) && c.text.includes('forbidden'))).toBe(true);
    expect(text).not.toContain('forbidden');
    expect(leaks()).toEqual([]);
  });

  it('When the council command runs with every secret set, LOG_LEVEL=trace and failing services, Then neither its stdout nor its stderr carries one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'council-secrets-cli-'));
    // The command reads its timeouts from the council file: short ones, so the hung seat costs ~1 s, not 90.
    const file = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
    file.llm = { ...file.llm, timeoutMs: 300, retries: 1, maxRetryAfterMs: 5 };
    writeFileSync(join(dataDir, 'council.yaml'), stringify(file));
    const env = {
      ...secretEnv(dataDir),
      COUNCIL_CONFIG: join(dataDir, 'council.yaml'),
      // On PostgreSQL, the scenario's schema, through a URL that carries TEST_DATABASE_URL's password.
      ...(db.env.DATABASE_URL ? { DATABASE_URL: db.env.DATABASE_URL } : {}),
      SLACK_BOT_TOKEN: secret('SLACK_BOT_TOKEN'),
      SLACK_SIGNING_SECRET: secret('SLACK_SIGNING_SECRET'),
      SLACK_APP_TOKEN: secret('SLACK_APP_TOKEN'),
      SLACK_API_URL: slackFake.apiUrl,
      DISCORD_TOKEN: secret('DISCORD_TOKEN'),
      DISCORD_API_URL: discordFake.apiUrl,
      LOG_LEVEL: 'trace',
    };
    const run = await council(['run', '--week', '2024-03-11', '--json'], env);
    capture('cli run stdout', run.stdout);
    capture('cli run stderr', run.stderr);
    expect(run.code).toBe(0);
    const proposalId = (JSON.parse(run.stdout) as { proposal: { id: string } | null }).proposal?.id;
    if (proposalId) {
      const approve = await council(['approve', proposalId, '--json'], env);
      capture('cli approve stdout', approve.stdout);
      capture('cli approve stderr', approve.stderr);
    }
    const status = await council(['status', '--json'], env);
    capture('cli status stdout', status.stdout);
    capture('cli status stderr', status.stderr);
    // A database the command cannot reach, named with a password: the failure must not repeat the URL's password.
    const unreachable = await council(['status'], { ...env, DATABASE_URL: `postgres://council:${secret('DATABASE_PASSWORD')}@127.0.0.1:1/council?connect_timeout=2` });
    capture('cli unreachable-db stderr', unreachable.stderr);
    capture('cli unreachable-db stdout', unreachable.stdout);
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr.length).toBeGreaterThan(0);
    expect(leaks()).toEqual([]);
  });
});
