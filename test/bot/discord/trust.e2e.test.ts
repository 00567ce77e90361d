/**
 * What the Discord channel trusts (issue 13, items 4, 5, 7 and 8), through the real discord.js client on
 * the fake gateway: two replicas logged in with one token (each receives every interaction) act once,
 * a redelivered interaction acts once, only DISCORD_GUILD_ID and the council channel (or its threads)
 * may change state, a flooding user is told to slow down, and Approve is answered once it is recorded.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app/index.ts';
import { startDiscord } from '../../../src/bot/discord/index.ts';
import { type Config, loadConfig } from '../../../src/config/config.ts';
import { buildApp, partsOf } from '../../../src/compose.ts';
import { controlRefusalStream, controlStream, isHalted } from '../../../src/pipeline/execution.ts';
import { proposalStream } from '../../../src/pipeline/run.ts';
import { type FakeDiscord, type FakeMessage, startFakeDiscord } from '../../fakes/discord.ts';
import { APPROVER, confirmationFor, decisionMessage, replyTo, threadFor } from './support.ts';

const WEEK = '2024-03-04';
const OTHER_GUILD = '1299999999999999999';
const OTHER_CHANNEL = '1399999999999999999';
const logger = pino({ level: 'silent' });

let fake: FakeDiscord;
let config: Config;
let app: App;
let replicas: { stop(): Promise<void> }[] = [];
let limiterNow = 0;
let proposalId: string;
let decision: FakeMessage;

beforeAll(async () => {
  fake = await startFakeDiscord();
  config = loadConfig({
    COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-discord-trust-')),
    COUNCIL_APPROVERS: `discord:${APPROVER.id}`,
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_GUILD_ID: fake.guildId,
    DISCORD_CHANNEL_ID: fake.channelId,
    DISCORD_API_URL: fake.apiUrl,
  });
  app = await buildApp(config, { memory: true, logger, clock: () => new Date('2024-03-04T12:00:00Z') });
  const options = { rateLimit: { burst: 5, perSecond: 1, clock: () => limiterNow } };
  // Two replicas, one token: the gateway delivers every interaction to both.
  replicas = [await startDiscord(app, config.discord!, logger, options), await startDiscord(app, config.discord!, logger, options)];
  const { token } = fake.slash('run', { week: WEEK }, APPROVER);
  await replyTo(fake, token, /Convening/);
  decision = await decisionMessage(fake, (await threadFor(fake, WEEK)).id);
  proposalId = (await app.weekState(WEEK)).proposal!.proposalId;
});

afterAll(async () => {
  for (const r of replicas) await r.stop();
  await app?.close();
  await fake?.close();
});

beforeEach(() => {
  limiterNow += 3_600_000;
});

const control = async (type: string) =>
  [...(await partsOf(app).store.read(controlStream(app.councilId))), ...(await partsOf(app).store.read(controlRefusalStream(app.councilId)))]
    .filter((e) => e.type === type)
    .map((e) => e.data as Record<string, unknown>);
const proposalEvents = async (type: string) =>
  (await partsOf(app).store.read(proposalStream(proposalId))).filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);
const repliesTo = (token: string) => [...fake.messages.values()].filter((m) => m.channelId === `interaction:${token}`);

describe('Discord: what an interaction must show before it acts', () => {
  it('When /council run reached both replicas, Then one council week ran and one answer went out', async () => {
    expect((await partsOf(app).store.streams(`week:${app.councilId}:`)).map((s) => s.stream)).toEqual([`week:${app.councilId}:${WEEK}`]);
    expect(fake.requests.filter((r) => r.path.endsWith('/callback') && r.method === 'POST')).toHaveLength(1);
  });

  it('When /council resume reaches both replicas and is then delivered again, Then the kill switch is lifted once and stays on after the next halt', async () => {
    await app.halt('cli:ops', true);
    const { id, token } = fake.slash('resume', {}, APPROVER);
    await replyTo(fake, token, /Trading resumed/);
    expect(await control('Resumed')).toHaveLength(1);
    await app.halt('cli:ops', true);

    fake.redeliver(id);
    // A later interaction's answer shows the redelivered one went through the router first.
    const later = fake.slash('status', {}, APPROVER);
    await replyTo(fake, later.token);
    expect((await isHalted(partsOf(app).store, app.councilId)).halted).toBe(true);
    expect(await control('Resumed')).toHaveLength(1);
    expect(repliesTo(token)).toHaveLength(1);
    expect(await control('HaltRefused')).toEqual([]); // a redelivery is not somebody's attempt
    await app.halt('cli:ops', false);
  });

  it('When an approver acts from another server, Then it is refused privately and recorded', async () => {
    const { token } = fake.slash('halt', {}, APPROVER, fake.channelId, { guildId: OTHER_GUILD });
    await replyTo(fake, token, /serves one Discord server/);
    await waitUntil(async () => (await control('HaltRefused')).length === 1); // recorded after the answer
    expect((await control('HaltRefused')).at(-1)).toMatchObject({ by: `discord:${APPROVER.id}`, action: 'halt', reason: `another server (${OTHER_GUILD})` });
    expect(await control('Halted')).toHaveLength(2); // the CLI's two
  });

  it('When an approver halts from a channel other than the council’s, Then it is refused privately with where the council lives, and recorded', async () => {
    const { token } = fake.slash('halt', {}, APPROVER, OTHER_CHANNEL);
    await replyTo(fake, token, new RegExp(`<#${fake.channelId}>`));
    await waitUntil(async () => (await control('HaltRefused')).length === 2);
    expect((await control('HaltRefused')).at(-1)).toMatchObject({ action: 'halt', reason: `not the council channel (${OTHER_CHANNEL})` });
    expect(await control('Halted')).toHaveLength(2);
  });

  it('When an approver pauses, unpauses or exits from a channel other than the council’s, Then each is refused privately with where the council lives, recorded, and trading is as it was', async () => {
    const asks = [
      fake.slash('pause', {}, APPROVER, OTHER_CHANNEL),
      fake.slash('unpause', {}, APPROVER, OTHER_CHANNEL),
      fake.slash('exit', { account: 'all' }, APPROVER, OTHER_CHANNEL),
    ];
    for (const { token } of asks) await replyTo(fake, token, new RegExp(`<#${fake.channelId}>`));
    await waitUntil(async () => (await control('RequestRefused')).length === 3);
    expect((await control('RequestRefused')).map((r) => [r.by, r.action, r.reason]).sort()).toEqual(
      ['exit', 'pause', 'unpause'].map((action) => [`discord:${APPROVER.id}`, action, `not the council channel (${OTHER_CHANNEL})`]),
    );
    expect(await app.tradingState()).toEqual({ state: 'running' });
    expect(await control('Paused')).toEqual([]);
  });

  it('When one user sends more than their burst, Then the rest are told privately to slow down', async () => {
    const tokens = Array.from({ length: 7 }, () => fake.slash('status', {}, { id: '2777', name: 'flood' }).token);
    const replies = await Promise.all(tokens.map((t) => replyTo(fake, t)));
    expect(replies.filter((m) => m.content.includes('Slow down'))).toHaveLength(2);
  });

  it('When an approver clicks Approve in the week’s thread and confirms, Then the first answer says it is recorded, and it is', async () => {
    const asked = fake.click(`approve:${proposalId}`, APPROVER, decision.id);
    const { token } = fake.click(`confirm:${proposalId}`, APPROVER, (await confirmationFor(fake, asked.token)).id);
    await replyTo(fake, token, /approval is recorded|orders placed/);
    expect(await proposalEvents('ProposalApproved')).toEqual([expect.objectContaining({ by: `discord:${APPROVER.id}` })]);
    await replyTo(fake, token, /orders placed/);
    expect(await proposalEvents('ProposalApproved')).toHaveLength(1);
  });
});

/** Re-checks as the App's own work lands; a guard, not a timing assertion. */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition never held');
}
