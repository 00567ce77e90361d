/**
 * Hostile chat input (issue 9, item 5): one App with both chat channels attached, the real Bolt receiver
 * over HTTP and the real discord.js client on the fake gateway. Forged, stale, replayed, oversized and
 * malformed requests, buttons the bot never made, and a stranger at the approve button and the kill
 * switch: each gets a 4xx or a refusal, refusals are recorded, and nothing is ever executed.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { startDiscord } from '../../src/bot/discord/index.ts';
import { type SlackHandle, startSlack } from '../../src/bot/slack/index.ts';
import { loadConfig } from '../../src/config/config.ts';
import { buildApp, partsOf } from '../../src/compose.ts';
import { controlRefusalStream, controlStream, refusalStream } from '../../src/pipeline/execution.ts';
import { proposalStream } from '../../src/pipeline/run.ts';
import { buttonIds, type FakeDiscord, type FakeMessage as DiscordMessage, startFakeDiscord } from '../fakes/discord.ts';
import { type FakeMessage as SlackMessage, type FakeSlack, startFakeSlack } from '../fakes/slack.ts';
import { BOT_TOKEN, buttonClick, SIGNING_SECRET, sendSigned, slashCommand } from '../bot/slack/support.ts';
import { scenarioDatabase, type ScenarioDatabase } from './support/database.ts';

const WEEK = '2024-03-04';
const SLACK_HOME = 'C_HOME';
const SLACK_APPROVER = 'UBOSS';
const SLACK_STRANGER = 'UMALLORY';
const DISCORD_APPROVER = { id: '2001', name: 'alice' };
const DISCORD_STRANGER = { id: '2999', name: 'mallory' };
const logger = pino({ level: 'silent' });

let db: ScenarioDatabase;
let slackFake: FakeSlack;
let discordFake: FakeDiscord;
let app: App;
let slack: SlackHandle;
let discord: { stop(): Promise<void> };
let url: string;
let proposalId: string;
let slackDecision: SlackMessage;
let discordDecision: DiscordMessage;
let responses = 0;

beforeAll(async () => {
  db = await scenarioDatabase('chat');
  slackFake = await startFakeSlack({ token: BOT_TOKEN });
  discordFake = await startFakeDiscord();
  const config = loadConfig({
    ...db.env,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slackFake.apiUrl,
    SLACK_CHANNEL_ID: SLACK_HOME,
    SLACK_PORT: '0',
    DISCORD_TOKEN: discordFake.token,
    DISCORD_APPLICATION_ID: discordFake.applicationId,
    DISCORD_CHANNEL_ID: discordFake.channelId,
    DISCORD_API_URL: discordFake.apiUrl,
    COUNCIL_APPROVERS: `slack:${SLACK_APPROVER},discord:${DISCORD_APPROVER.id}`,
  });
  app = await buildApp(config, {
    ...(db.kind === 'postgres' ? { db: await db.open() } : { memory: true }),
    logger,
    clock: () => new Date('2024-03-04T12:00:00Z'),
  });
  slack = await startSlack(app, config.slack!, logger, { host: '127.0.0.1', retryConfig: { retries: 0, minTimeout: 0, maxTimeout: 0 } });
  url = `http://127.0.0.1:${slack.port}/slack/events`;
  discord = await startDiscord(app, config.discord!, logger);

  proposalId = (await app.run({ week: WEEK })).proposal!.proposalId;
  slackDecision = await slackFake.waitFor(() => [...slackFake.messages.values()].find((m) => JSON.stringify(m.blocks).includes(`approve:${proposalId}`)), 'the Slack decision');
  discordDecision = await discordFake.waitFor('the Discord decision', () => [...discordFake.messages.values()].find((m) => buttonIds(m).includes(`approve:${proposalId}`)));
});

afterAll(async () => {
  await slack?.stop();
  await discord?.stop();
  await app?.close();
  await slackFake?.close();
  await discordFake?.close();
  await db?.dispose();
});

// Refusals have streams of their own (refusals:<proposal>, refusals:control:<council>), so they never contend with a decision.
const proposalEvents = async (type: string) =>
  (await partsOf(app).store.read(type === 'ApprovalRefused' ? refusalStream(proposalId) : proposalStream(proposalId))).filter((e) => e.type === type);
const controlEvents = async (type: string) =>
  (await partsOf(app).store.read(type === 'HaltRefused' ? controlRefusalStream(app.councilId) : controlStream(app.councilId))).filter((e) => e.type === type);
const ephemeralsTo = (user: string) => slackFake.calls.filter((c) => c.method === 'chat.postEphemeral' && c.args.user === user);
const nextEphemeral = (user: string, seen: number) =>
  slackFake.waitFor(() => (ephemeralsTo(user).length > seen ? ephemeralsTo(user)[seen] : undefined), `an ephemeral reply to ${user}`);
const click = (actionId: string, user: string) =>
  buttonClick({ actionId, value: proposalId, user, channel: slackDecision.channel, messageTs: slackDecision.ts, responseUrl: slackFake.responseUrl(`hostile-${++responses}`) });
const discordReply = (token: string, matching: RegExp) =>
  discordFake.waitFor(`the reply to ${token}`, () => {
    const m = [...discordFake.messages.values()].find((x) => x.channelId === `interaction:${token}`);
    return m && matching.test(m.content) ? m : undefined;
  });

describe('Slack under hostile requests (real Bolt over HTTP)', () => {
  it('When a request is forged, stale, future-dated or unsigned, Then Bolt answers 401 and the bot neither records nor posts anything', async () => {
    const calls = slackFake.calls.length;
    const events = (await partsOf(app).store.readAll()).length;
    const body = slashCommand({ text: 'halt', user: SLACK_APPROVER, channel: SLACK_HOME, responseUrl: slackFake.responseUrl('forged') });
    expect((await sendSigned(url, body, { secret: 'not-the-signing-secret' })).status).toBe(401);
    expect((await sendSigned(url, body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })).status).toBe(401);
    expect((await sendSigned(url, body, { timestamp: Math.floor(Date.now() / 1000) + 6 * 60 })).status).toBe(401);
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(unsigned.status).toBe(401);
    expect((await partsOf(app).store.readAll()).length).toBe(events);
    expect(slackFake.calls.length).toBe(calls);
  });

  it('When a stranger clicks Approve and the same signed request is replayed, Then the click is refused privately, the replay is refused as a replay, both are recorded, and nothing is placed', async () => {
    const seen = ephemeralsTo(SLACK_STRANGER).length;
    const body = click(`approve:${proposalId}`, SLACK_STRANGER);
    const ts = Math.floor(Date.now() / 1000);
    expect((await sendSigned(url, body, { timestamp: ts })).status).toBe(200);
    expect((await sendSigned(url, body, { timestamp: ts })).status).toBe(200);
    expect((await nextEphemeral(SLACK_STRANGER, seen)).args.text).toContain('may not approve');
    await until(async () => (await proposalEvents('ApprovalRefused')).length === 2);
    expect((await proposalEvents('ApprovalRefused')).map((e) => e.data)).toEqual([
      expect.objectContaining({ by: `slack:${SLACK_STRANGER}`, via: 'slack', action: 'approve', reason: 'not an approver' }),
      expect.objectContaining({ by: `slack:${SLACK_STRANGER}`, via: 'slack', action: 'approve', reason: 'replayed request' }),
    ]);
    expect(ephemeralsTo(SLACK_STRANGER)).toHaveLength(seen + 1); // the replay is not answered to the stranger again
  });

  it('When a stranger clicks Reject, Then it is refused and recorded, and the proposal stays pending', async () => {
    const seen = ephemeralsTo(SLACK_STRANGER).length;
    await sendSigned(url, click(`reject:${proposalId}`, SLACK_STRANGER));
    expect((await nextEphemeral(SLACK_STRANGER, seen)).args.text).toContain('may not reject');
    expect((await proposalEvents('ApprovalRefused')).map((e) => (e.data as { action: string }).action)).toContain('reject');
    expect(await proposalEvents('ProposalRejected')).toEqual([]);
  });

  it('When a stranger types /council halt and /council resume, Then each is refused and recorded as HaltRefused, and trading is not halted', async () => {
    for (const sub of ['halt', 'resume']) {
      const res = await sendSigned(url, slashCommand({ text: sub, user: SLACK_STRANGER, channel: SLACK_HOME, responseUrl: slackFake.responseUrl(`halt-${++responses}`) }));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Only approvers') });
    }
    expect((await controlEvents('HaltRefused')).map((e) => e.data)).toEqual([
      { by: `slack:${SLACK_STRANGER}`, at: '2024-03-04T12:00:00.000Z', action: 'halt', reason: 'not an approver' },
      { by: `slack:${SLACK_STRANGER}`, at: '2024-03-04T12:00:00.000Z', action: 'resume', reason: 'not an approver' },
    ]);
    expect(await controlEvents('Halted')).toEqual([]);
  });

  it('When a button carries an id this bot never made or a proposal that does not exist, Then the clicker is told and nothing is recorded', async () => {
    const ghost = randomUUID();
    const cases: [string, RegExp][] = [
      [`approve:${ghost}`, new RegExp(`no proposal ${ghost}`)],
      [`approve:${'x'.repeat(200)}`, /not one this bot made/],
      ['approve:../../control:main', /not one this bot made|no proposal/],
    ];
    for (const [actionId, expected] of cases) {
      const seen = ephemeralsTo(SLACK_APPROVER).length;
      expect((await sendSigned(url, click(actionId, SLACK_APPROVER))).status).toBe(200);
      expect((await nextEphemeral(SLACK_APPROVER, seen)).args.text, actionId).toMatch(expected);
    }
    // A button id of no kind this bot makes is answered at once, privately.
    const seen = ephemeralsTo(SLACK_APPROVER).length;
    expect((await sendSigned(url, click('launch:missiles', SLACK_APPROVER))).status).toBe(200);
    expect((await nextEphemeral(SLACK_APPROVER, seen)).args.text).toMatch(/not one this bot made/);
    // Longer than Slack's own 255-character limit on an action id: not a payload Slack sends.
    expect((await sendSigned(url, click(`approve:${'x'.repeat(300)}`, SLACK_APPROVER))).status).toBe(400);
    expect(await partsOf(app).store.streams(`proposal:${ghost}`)).toEqual([]);
    expect(await proposalEvents('ProposalApproved')).toEqual([]);
  });

  it('When a signed payload is broken JSON, misses its fields, or is over 1 MB, Then it gets a 4xx and changes nothing', async () => {
    const events = (await partsOf(app).store.readAll()).length;
    const bodies: [string, string][] = [
      ['broken JSON', `payload=${encodeURIComponent('{"type":"block_actions","user":{"id":')}`],
      ['no fields', `payload=${encodeURIComponent('{}')}`],
      ['a block action without user or actions', `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions' }))}`],
      ['not a form at all', '\u0000\u0001binary'],
      ['1 MB', slashCommand({ text: `run ${'A'.repeat(1024 * 1024)}`, user: SLACK_APPROVER, channel: SLACK_HOME, responseUrl: slackFake.responseUrl('huge') })],
    ];
    const statuses = Object.fromEntries(await Promise.all(bodies.map(async ([name, body]) => [name, (await sendSigned(url, body)).status] as const)));
    // Each is refused at once: zod checks every signed payload before Bolt (issue 13, item 5).
    expect(statuses).toEqual({ 'broken JSON': 400, 'no fields': 400, 'a block action without user or actions': 400, 'not a form at all': 400, '1 MB': 413 });
    expect((await partsOf(app).store.readAll()).length).toBe(events);
  });
});

describe('Discord under hostile interactions (real discord.js on the fake gateway)', () => {
  it('When a stranger clicks Approve twice and Reject once, Then each is refused privately and recorded, and nothing is placed', async () => {
    const before = (await proposalEvents('ApprovalRefused')).length;
    for (const id of [`approve:${proposalId}`, `approve:${proposalId}`, `reject:${proposalId}`]) {
      const { token } = discordFake.click(id, DISCORD_STRANGER, discordDecision.id);
      await discordReply(token, /may not (approve|reject)/);
    }
    const refusals = (await proposalEvents('ApprovalRefused')).slice(before).map((e) => e.data as { by: string; via: string; action: string });
    expect(refusals.map((r) => [r.by, r.via, r.action])).toEqual([
      [`discord:${DISCORD_STRANGER.id}`, 'discord', 'approve'],
      [`discord:${DISCORD_STRANGER.id}`, 'discord', 'approve'],
      [`discord:${DISCORD_STRANGER.id}`, 'discord', 'reject'],
    ]);
    expect(buttonIds(discordFake.messages.get(discordDecision.id)!)).toHaveLength(2);
  });

  it('When a stranger uses /council halt and /council resume, Then each is refused and recorded as HaltRefused, and trading is not halted', async () => {
    for (const sub of ['halt', 'resume']) {
      const { token } = discordFake.slash(sub, {}, DISCORD_STRANGER);
      await discordReply(token, new RegExp(`may not ${sub} trading`));
    }
    const refused = (await controlEvents('HaltRefused')).map((e) => e.data as { by: string; action: string }).filter((r) => r.by.startsWith('discord:'));
    expect(refused.map((r) => [r.by, r.action])).toEqual([
      [`discord:${DISCORD_STRANGER.id}`, 'halt'],
      [`discord:${DISCORD_STRANGER.id}`, 'resume'],
    ]);
    expect(await controlEvents('Halted')).toEqual([]);
  });

  it('When a button carries an id this bot never made or a proposal that does not exist, Then the clicker is told and nothing is recorded', async () => {
    const ghost = randomUUID();
    const cases: [string, RegExp][] = [
      [`approve:${ghost}`, new RegExp(`no proposal ${ghost}`)],
      ['launch:missiles', /no longer recognised/],
      [`approve:${'x'.repeat(99 - 'approve:'.length)}`, /no longer recognised|no proposal/],
      ['', /no longer recognised/],
    ];
    for (const [customId, expected] of cases) {
      const { token } = discordFake.click(customId, DISCORD_APPROVER, discordDecision.id);
      await discordReply(token, expected);
    }
    expect(await partsOf(app).store.streams(`proposal:${ghost}`)).toEqual([]);
  });
});

describe('after every hostile request', () => {
  it('Then nothing was executed anywhere: no approval, no order, the proposal still pending', async () => {
    expect(await partsOf(app).store.readAll({ types: ['ProposalApproved', 'OrderSubmitted', 'OrderFilled'] })).toEqual([]);
    expect((await app.weekState(WEEK)).proposal?.proposalId).toBe(proposalId);
    const pending = (await app.status()).pending.map((p) => p.proposalId);
    expect(pending).toContain(proposalId);
  });
});

/** Re-checks as the App's own work lands (refusals are recorded after the answer); a guard, not a timing assertion. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition never held');
}
