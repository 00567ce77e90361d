/**
 * What the Slack channel trusts (issue 13, items 4, 5, 7 and 8), through the real Bolt receiver over HTTP
 * with signed requests: a replayed signed request acts once (on either of two replicas), only the installed
 * workspace and the council channel may change state, malformed signed payloads get 400 at once, a
 * flooding user is told to slow down, and an Approve is acknowledged only once it is recorded.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app/index.ts';
import { type SlackHandle, startSlack } from '../../../src/bot/slack/index.ts';
import { type Config, loadConfig } from '../../../src/config/config.ts';
import { buildApp, partsOf } from '../../../src/compose.ts';
import { controlRefusalStream, controlStream, isHalted, refusalStream } from '../../../src/pipeline/execution.ts';
import { proposalStream } from '../../../src/pipeline/run.ts';
import { type FakeMessage, type FakeSlack, startFakeSlack } from '../../fakes/slack.ts';
import { BOT_TOKEN, buttonClick, SIGNING_SECRET, sendPayload, sendSigned, slashCommand } from './support.ts';

const WEEK = '2024-03-04';
const HOME = 'C_HOME';
const ELSEWHERE = 'C_ELSEWHERE';
const APPROVER = 'UBOSS';
const logger = pino({ level: 'silent' });

let fake: FakeSlack;
let config: Config;
let app: App;
let slack: SlackHandle;
let replica: SlackHandle;
let url: string;
let replicaUrl: string;
let limiterNow = 0;
let responses = 0;
let proposalId: string;
let decision: FakeMessage;

beforeAll(async () => {
  fake = await startFakeSlack({ token: BOT_TOKEN });
  config = loadConfig({
    COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-slack-trust-')),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_CHANNEL_ID: HOME,
    SLACK_PORT: '0',
    COUNCIL_APPROVERS: `slack:${APPROVER}`,
  });
  app = await buildApp(config, { memory: true, logger, clock: () => new Date('2024-03-04T12:00:00Z') });
  const options = { host: '127.0.0.1', retryConfig: { retries: 0 }, rateLimit: { burst: 5, perSecond: 1, clock: () => limiterNow } };
  slack = await startSlack(app, config.slack!, logger, options);
  url = `http://127.0.0.1:${slack.port}/slack/events`;
  // A second replica on the same database: its own memory, the same seen_requests table.
  replica = await startSlack(app, config.slack!, logger, options);
  replicaUrl = `http://127.0.0.1:${replica.port}/slack/events`;
  proposalId = (await app.run({ week: WEEK })).proposal!.proposalId;
  decision = await fake.waitFor(() => [...fake.messages.values()].find((m) => JSON.stringify(m.blocks).includes(`approve:${proposalId}`)), 'the decision');
});

afterAll(async () => {
  await replica?.stop();
  await slack?.stop();
  await app?.close();
  await fake?.close();
});

// Every test starts with full buckets; within a test the limiter's clock stands still.
beforeEach(() => {
  limiterNow += 3_600_000;
});

const slash = (text: string, user = APPROVER, extra: { channel?: string; team?: string; enterprise?: string } = {}) =>
  slashCommand({ text, user, channel: extra.channel ?? HOME, responseUrl: fake.responseUrl(`r-${++responses}`), team: extra.team, enterprise: extra.enterprise });
const click = (kind: 'approve' | 'reject', user: string, channel = decision.channel) =>
  buttonClick({ actionId: `${kind}:${proposalId}`, value: proposalId, user, channel, messageTs: decision.ts, responseUrl: fake.responseUrl(`r-${++responses}`) });
const control = async (type: string) =>
  [...(await partsOf(app).store.read(controlStream(app.councilId))), ...(await partsOf(app).store.read(controlRefusalStream(app.councilId)))]
    .filter((e) => e.type === type)
    .map((e) => e.data as Record<string, unknown>);
const proposalEvents = async (type: string) =>
  [...(await partsOf(app).store.read(proposalStream(proposalId))), ...(await partsOf(app).store.read(refusalStream(proposalId)))]
    .filter((e) => e.type === type)
    .map((e) => e.data as Record<string, unknown>);
const ackText = async (res: Response) => {
  const body = await res.text();
  return body ? String((JSON.parse(body) as { text?: unknown }).text) : '';
};

describe('Slack: what a request must show before it acts', () => {
  it('When the bot starts, Then it asks auth.test once, for the token and the installed workspace', () => {
    // Two replicas started: one call each.
    expect(fake.calls.filter((c) => c.method === 'auth.test')).toHaveLength(2);
  });

  it('When a captured signed /council resume is replayed within Slack’s 5 minutes, to the same replica or another, Then the kill switch stays on and the replays are recorded', async () => {
    await app.halt('cli:ops', true);
    const body = slash('resume');
    const ts = Math.floor(Date.now() / 1000);
    const first = await sendSigned(url, body, { timestamp: ts });
    expect(first.status).toBe(200);
    await waitUntil(async () => (await control('Resumed')).length === 1);
    expect((await isHalted(partsOf(app).store, app.councilId)).halted).toBe(false);

    await app.halt('cli:ops', true);
    for (const target of [url, replicaUrl]) {
      const replay = await sendSigned(target, body, { timestamp: ts });
      expect(replay.status).toBe(200);
      expect(await ackText(replay)).toContain('already received');
    }
    expect((await isHalted(partsOf(app).store, app.councilId)).halted).toBe(true);
    expect(await control('Resumed')).toHaveLength(1);
    expect((await control('HaltRefused')).map((r) => [r.by, r.action, r.reason])).toEqual([
      [`slack:${APPROVER}`, 'resume', 'replayed request'],
      [`slack:${APPROVER}`, 'resume', 'replayed request'],
    ]);
    await app.halt('cli:ops', false);
  });

  it('When a signed payload is null, has an array for user.id, or lacks its team, Then it gets 400 at once and nothing is recorded', async () => {
    const events = (await partsOf(app).store.readAll()).length;
    const good = JSON.parse(new URLSearchParams(click('approve', APPROVER)).get('payload')!);
    const bodies = {
      null: 'payload=null',
      'user.id array': `payload=${encodeURIComponent(JSON.stringify({ ...good, user: { id: [APPROVER] } }))}`,
      'no team': `payload=${encodeURIComponent(JSON.stringify({ ...good, team: undefined }))}`,
      'slash without user': new URLSearchParams({
        command: '/council',
        text: 'halt',
        team_id: 'T1',
        channel_id: HOME,
        response_url: fake.responseUrl('x'),
        trigger_id: 't',
      }).toString(),
    };
    for (const [name, body] of Object.entries(bodies)) expect((await sendSigned(url, body)).status, name).toBe(400);
    expect((await partsOf(app).store.readAll()).length).toBe(events);
  });

  it('When an approver’s request comes from another workspace or enterprise, Then it is refused privately, recorded, and changes nothing', async () => {
    const team = await sendSigned(url, slash('halt', APPROVER, { team: 'T2' }));
    expect(await ackText(team)).toContain('serves one Slack workspace');
    const enterprise = await sendSigned(url, slash('halt', APPROVER, { enterprise: 'E9' }));
    expect(await ackText(enterprise)).toContain('serves one Slack workspace');
    const status = await sendSigned(url, slash('status', APPROVER, { team: 'T2' }));
    expect(await ackText(status)).toContain('serves one Slack workspace');
    expect((await control('HaltRefused')).slice(-2).map((r) => r.reason)).toEqual(['another workspace (T2)', 'another enterprise (E9)']);
    expect(await control('Halted')).toHaveLength(2); // only the CLI's halts above
  });

  it('When an approver halts or approves from a channel other than the council’s, Then it is refused privately with where the council lives, and recorded', async () => {
    const halt = await sendSigned(url, slash('halt', APPROVER, { channel: ELSEWHERE }));
    expect(await ackText(halt)).toContain(`<#${HOME}>`);
    const seen = fake.responses.length;
    expect((await sendSigned(url, click('approve', APPROVER, ELSEWHERE))).status).toBe(200);
    const reply = await fake.waitFor(() => fake.responses.slice(seen).find((r) => JSON.stringify(r.body).includes(`<#${HOME}>`)), 'the private refusal');
    expect(reply.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect((await control('HaltRefused')).at(-1)).toMatchObject({ action: 'halt', reason: `not the council channel (${ELSEWHERE})` });
    await waitUntil(async () => (await proposalEvents('ApprovalRefused')).length > 0); // recorded after the answer
    expect(await proposalEvents('ApprovalRefused')).toEqual([
      expect.objectContaining({ by: `slack:${APPROVER}`, action: 'approve', reason: `not the council channel (${ELSEWHERE})` }),
    ]);
    expect(await control('Halted')).toHaveLength(2);
    expect(await proposalEvents('ProposalApproved')).toEqual([]);
  });

  it('When an approver pauses, unpauses or exits from a channel other than the council’s, Then each is refused privately with where the council lives, recorded, and trading is as it was', async () => {
    for (const text of ['pause', 'unpause', 'exit all --yes']) {
      const res = await sendSigned(url, slash(text, APPROVER, { channel: ELSEWHERE }));
      expect(await ackText(res), text).toContain(`<#${HOME}>`);
    }
    expect((await control('RequestRefused')).slice(-3).map((r) => [r.by, r.action, r.reason])).toEqual(
      ['pause', 'unpause', 'exit'].map((action) => [`slack:${APPROVER}`, action, `not the council channel (${ELSEWHERE})`]),
    );
    expect(await app.tradingState()).toEqual({ state: 'running' });
    expect(await control('Paused')).toEqual([]);
  });

  it('When one user sends more than their burst, Then the rest are told privately to slow down and nobody else is held up', async () => {
    const acks = [];
    for (let i = 0; i < 7; i++) acks.push(await ackText(await sendSigned(url, slash('status', 'UFLOOD'))));
    expect(acks.slice(0, 5)).toEqual(['', '', '', '', '']);
    expect(acks.slice(5)).toEqual([expect.stringContaining('Slow down'), expect.stringContaining('Slow down')]);
    expect(await ackText(await sendSigned(url, slash('status', 'UCALM')))).toBe('');
  });

  it('When an approver clicks Approve and submits the modal it opens, Then Slack’s acknowledgement of the submission comes only after the approval is recorded', async () => {
    const known = new Set(fake.views.keys());
    const res = await sendSigned(url, click('approve', APPROVER));
    expect(res.status).toBe(200);
    expect(await proposalEvents('ProposalApproved')).toEqual([]); // the click opens the modal, nothing more
    const modal = await fake.waitFor(() => [...fake.views.values()].find((v) => !known.has(v.id) && v.privateMetadata.includes(proposalId)), 'the approve modal');
    expect((await sendPayload(url, fake.viewSubmission(modal.id, APPROVER))).status).toBe(200);
    expect(await proposalEvents('ProposalApproved')).toEqual([expect.objectContaining({ by: `slack:${APPROVER}` })]);
  });
});

/** Re-checks after each of the App's own events land; a guard, not a timing assertion. */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition never held');
}
