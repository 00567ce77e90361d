/**
 * The Slack channel end to end: the real Bolt app over HTTP with signed requests, the real App on
 * in-memory PGlite with the simulated broker, and a fake Slack Web API on loopback.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app/index.ts';
import { type SlackHandle, startSlack } from '../../../src/bot/slack/index.ts';
import { slackStream } from '../../../src/bot/slack/threads.ts';
import { type Config, loadConfig } from '../../../src/config/config.ts';
import { buildApp, partsOf } from '../../../src/compose.ts';
import { type FakeMessage, type FakeSlack, type FakeView, startFakeSlack } from '../../fakes/slack.ts';
import { LARGEST } from './largest.ts';
import { BOT_TOKEN, buttonClick, SIGNING_SECRET, sendPayload, sendSigned, slashCommand } from './support.ts';

const WEEK = '2024-03-04';
const HOME_CHANNEL = 'C_HOME';
/** Runs start only in the council channel (SLACK_CHANNEL_ID); the week's thread opens there. */
const RUN_CHANNEL = HOME_CHANNEL;
const APPROVER = 'UBOSS';
const APPROVER_2 = 'UDEPUTY';
const OUTSIDER = 'UNOBODY';
const logger = pino({ level: 'silent' });

let fake: FakeSlack;
let config: Config;
let app: App;
let slack: SlackHandle;
let url: string;
let responseIds = 0;

beforeAll(async () => {
  fake = await startFakeSlack({ token: BOT_TOKEN });
  config = loadConfig({
    COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-slack-')),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_CHANNEL_ID: HOME_CHANNEL,
    SLACK_PORT: '0',
    COUNCIL_APPROVERS: `slack:${APPROVER},slack:${APPROVER_2}`,
  });
  app = await buildApp(config, { memory: true, logger, clock: () => new Date('2024-03-04T12:00:00Z') });
  slack = await start();
});

afterAll(async () => {
  await slack?.stop();
  await app?.close();
  await fake?.close();
});

async function start(): Promise<SlackHandle> {
  const handle = await startSlack(app, config.slack!, logger, { host: '127.0.0.1', retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 0 } });
  url = `http://127.0.0.1:${handle.port}/slack/events`;
  return handle;
}

const command = (text: string, user: string, channel = RUN_CHANNEL) =>
  sendSigned(url, slashCommand({ text, user, channel, responseUrl: fake.responseUrl(`cmd-${++responseIds}`) }));

const click = (kind: 'approve' | 'reject', proposalId: string, user: string, message: FakeMessage, headers?: Record<string, string>) =>
  sendSigned(
    url,
    buttonClick({
      actionId: `${kind}:${proposalId}`,
      value: proposalId,
      user,
      channel: message.channel,
      messageTs: message.ts,
      responseUrl: fake.responseUrl(`act-${++responseIds}`),
    }),
    { headers },
  );

/** An approver's Approve click opens a modal (every account ticked); this waits for it. */
async function approveModal(proposalId: string, user: string, message: FakeMessage): Promise<FakeView> {
  const known = new Set(fake.views.keys());
  await click('approve', proposalId, user, message);
  return fake.waitFor(() => [...fake.views.values()].find((v) => !known.has(v.id) && v.privateMetadata.includes(proposalId)), 'the approve modal');
}
const submit = (view: FakeView, user: string) => sendPayload(url, fake.viewSubmission(view.id, user));

const events = async (stream: string) => partsOf(app).store.read(stream);
const ofType = async (stream: string, type: string) => (await events(stream)).filter((e) => e.type === type);
const ephemeralsTo = (user: string) => fake.calls.filter((c) => c.method === 'chat.postEphemeral' && c.args.user === user);
const hasButtons = (m: FakeMessage) => m.blocks.some((b) => b.type === 'actions');
const textOf = (m: FakeMessage) => JSON.stringify(m.blocks);
const messagesIn = (channel: string) => [...fake.messages.values()].filter((m) => m.channel === channel);

let proposalId: string;
let decision: FakeMessage;
let parent: FakeMessage;

describe('Slack: the council in a channel', () => {
  it('When /council run arrives, Then it is acknowledged with a private note and the parent, the thread and the decision with both buttons follow', async () => {
    const res = await command(`run --week ${WEEK} is tech stretched?`, OUTSIDER);
    expect(res.status).toBe(200);
    const note = await fake.waitFor(() => fake.responses.find((r) => JSON.stringify(r.body).includes('Convening')), 'the private note');
    expect(note.body).toMatchObject({ response_type: 'ephemeral' });

    decision = await fake.waitFor(() => messagesIn(RUN_CHANNEL).find(hasButtons), 'the decision message with buttons');
    const state = await app.weekState(WEEK);
    proposalId = state.proposal!.proposalId;
    parent = await fake.waitFor(() => messagesIn(RUN_CHANNEL).find((m) => m.threadTs === undefined && textOf(m).includes(proposalId)), 'the parent naming the proposal');

    // The parent was edited as the stages finished and now carries the decision.
    expect(parent.text).toBe(`Council, week of ${WEEK}`);
    expect(textOf(parent)).toContain('research done');
    expect(textOf(parent)).toContain('pitches 5/5');
    expect(textOf(parent)).toContain('reviews 5/5');
    expect(fake.calls.filter((c) => c.method === 'chat.update' && c.args.ts === parent.ts).length).toBeGreaterThanOrEqual(4);

    // Research, pitches, reviews and the decision are replies in its thread; the decision is also in the channel.
    const thread = messagesIn(RUN_CHANNEL).filter((m) => m.threadTs === parent.ts);
    expect(thread.map((m) => m.text)).toEqual([
      `Research for the week of ${WEEK}`,
      '5 pitches, anonymised until the decision',
      'Blind peer review scores',
      expect.stringContaining(`Proposal ${proposalId} awaits approval`),
    ]);
    expect(decision.threadTs).toBe(parent.ts);
    expect(decision.broadcast).toBe(true);

    // Pitches are anonymised; identities appear only with the decision.
    const pitches = thread[1]!;
    for (const seat of config.file.seats) expect(textOf(pitches)).not.toContain(seat.id);
    for (const seat of config.file.seats) expect(textOf(decision)).toContain(seat.id);

    // Approve (primary; its modal lists the orders, no dialog first) and Reject (danger), keyed by the proposal.
    const buttons = decision.blocks.find((b) => b.type === 'actions')!.elements as { action_id: string; style: string; value: string; confirm?: unknown }[];
    expect(buttons.map((b) => [b.action_id, b.style, b.value])).toEqual([
      [`approve:${proposalId}`, 'primary', proposalId],
      [`reject:${proposalId}`, 'danger', proposalId],
    ]);
    expect(buttons[0]!.confirm).toBeUndefined();
    expect(textOf(decision)).toMatch(/LLM cost/);

    // The thread mapping is an event, so it survives a restart.
    expect((await events(slackStream(app.councilId, WEEK))).map((e) => e.type)).toEqual(['SlackThreadOpened', 'SlackDecisionPosted']);
    expect(fake.violations).toEqual([]);
  });

  it('When someone outside COUNCIL_APPROVERS clicks Approve, Then they get a private refusal, the attempt is recorded and nothing is placed', async () => {
    const res = await click('approve', proposalId, OUTSIDER, decision);
    expect(res.status).toBe(200);
    const [refusal] = await fake.waitFor(() => (ephemeralsTo(OUTSIDER).length ? ephemeralsTo(OUTSIDER) : undefined), 'an ephemeral refusal');
    expect(refusal!.args).toMatchObject({ channel: RUN_CHANNEL, user: OUTSIDER, text: expect.stringContaining('may not approve') });

    const refused = await ofType(`refusals:${proposalId}`, 'ApprovalRefused');
    expect(refused.map((e) => e.data)).toEqual([expect.objectContaining({ by: `slack:${OUTSIDER}`, via: 'slack', action: 'approve', reason: 'not an approver' })]);
    expect(await ofType(`proposal:${proposalId}`, 'OrderSubmitted')).toEqual([]);
    expect(hasButtons(fake.messages.get(decision.ts)!)).toBe(true);
  });

  it('When /council halt is used, Then only an approver may halt, the channel is told, and a following approve places nothing until /council resume', async () => {
    const denied = await command('halt', OUTSIDER);
    expect(await denied.json()).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Only approvers') });

    expect((await command('halt', APPROVER)).status).toBe(200);
    await fake.waitFor(() => messagesIn(HOME_CHANNEL).find((m) => m.text === 'Trading HALTED'), 'the halt message');
    expect((await ofType(`control:${app.councilId}`, 'Halted')).map((e) => e.data)).toEqual([expect.objectContaining({ by: `slack:${APPROVER}` })]);

    const blocked = await submit(await approveModal(proposalId, APPROVER, decision), APPROVER);
    expect(await blocked.json()).toEqual({ response_action: 'errors', errors: { 'accounts:0': expect.stringContaining('halted') } });
    expect(await ofType(`proposal:${proposalId}`, 'ProposalApproved')).toEqual([]);
    expect(await ofType(`proposal:${proposalId}`, 'OrderSubmitted')).toEqual([]);

    await command('resume', APPROVER);
    await fake.waitFor(() => messagesIn(HOME_CHANNEL).find((m) => m.text === 'Trading resumed'), 'the resume message');
  });

  it('When an approver clicks Approve, Then the orders execute once on the simulated broker and the decision message is settled in place without buttons', async () => {
    expect((await submit(await approveModal(proposalId, APPROVER, decision), APPROVER)).status).toBe(200);
    const settled = await fake.waitFor(() => {
      const m = fake.messages.get(decision.ts)!;
      return !hasButtons(m) && textOf(m).includes('filled at') ? m : undefined;
    }, 'the settled decision message');

    expect(textOf(settled)).toContain(`Approved* by <@${APPROVER}> (slack)`);
    expect(textOf(settled)).toContain('Rationale'); // still the decision, not a replacement
    const orders = (await app.weekState(WEEK)).proposal!.orders;
    const submitted = await ofType(`proposal:${proposalId}`, 'OrderSubmitted');
    expect(submitted).toHaveLength(orders.length);
    for (const order of orders) {
      const atBroker = await partsOf(app).broker.findByClientOrderId(order.account, order.clientOrderId);
      expect(atBroker).toMatchObject({ symbol: order.symbol, side: order.side, filledQty: order.qty });
    }
    expect(await ofType(`proposal:${proposalId}`, 'ProposalApproved')).toHaveLength(1);
  });

  it('When the approver clicks again and Slack redelivers the click, Then nothing more is placed and the clicker is told why', async () => {
    const before = (await events(`proposal:${proposalId}`)).length;
    const seen = ephemeralsTo(APPROVER).length;
    await click('approve', proposalId, APPROVER, decision);
    await click('approve', proposalId, APPROVER, decision, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    const replies = await fake.waitFor(() => (ephemeralsTo(APPROVER).length >= seen + 2 ? ephemeralsTo(APPROVER).slice(seen) : undefined), 'two ephemeral replies');
    for (const r of replies) expect(r.args.text).toContain('already approved');
    expect((await events(`proposal:${proposalId}`)).length).toBe(before);
  });

  it('When two approvers click Approve at the same moment, Then exactly one approval executes', async () => {
    const week = '2024-03-11';
    await app.run({ week }); // not started from Slack: its thread opens in SLACK_CHANNEL_ID
    const other = (await app.weekState(week)).proposal!.proposalId;
    const message = await fake.waitFor(() => messagesIn(HOME_CHANNEL).find((m) => hasButtons(m) && textOf(m).includes(other)), 'the second decision');
    const first = await approveModal(other, APPROVER, message);
    const second = await approveModal(other, APPROVER_2, message);

    const answers = await Promise.all([submit(first, APPROVER), submit(second, APPROVER_2)].map(async (r) => (await r).text()));
    // One modal closes (an empty acknowledgement); the other stays open saying why.
    expect(answers.filter((a) => a === '')).toHaveLength(1);
    expect(answers.find((a) => a !== '')).toMatch(/already approved|too busy/);
    await fake.waitFor(() => (textOf(fake.messages.get(message.ts)!).includes('filled at') ? true : undefined), 'the settled message');

    expect(await ofType(`proposal:${other}`, 'ProposalApproved')).toHaveLength(1);
    const orders = (await app.weekState(week)).proposal!.orders;
    expect(await ofType(`proposal:${other}`, 'OrderSubmitted')).toHaveLength(orders.length);
    expect(new Set((await ofType(`proposal:${other}`, 'OrderSubmitted')).map((e) => (e.data as { clientOrderId: string }).clientOrderId)).size).toBe(orders.length);
  });

  it('When /council status is used, Then anyone gets it privately through the response_url', async () => {
    const res = await command('status', OUTSIDER);
    expect(res.status).toBe(200);
    const reply = await fake.waitFor(() => fake.responses.find((r) => textOfBody(r.body).includes('Council status')), 'the status reply');
    expect(reply.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(textOfBody(reply.body)).toContain('CHATGPT');
  });

  it('When a request has a bad signature or a timestamp older than 5 minutes, Then Bolt answers 401 and nothing happens', async () => {
    const calls = fake.calls.length;
    const body = slashCommand({ text: 'halt', user: APPROVER, channel: RUN_CHANNEL, responseUrl: fake.responseUrl('forged') });
    expect((await sendSigned(url, body, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await sendSigned(url, body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })).status).toBe(401);
    expect(await ofType(`control:${app.councilId}`, 'Halted')).toHaveLength(1); // only the real halt above
    expect(fake.calls.length).toBe(calls);
  });

  it('When a button carries an action this bot never made, Then the clicker is told and nothing is recorded', async () => {
    const seen = ephemeralsTo(APPROVER).length;
    await sendSigned(
      url,
      buttonClick({ actionId: `approve:${'x'.repeat(200)}`, value: 'x', user: APPROVER, channel: RUN_CHANNEL, messageTs: decision.ts, responseUrl: fake.responseUrl('odd') }),
    );
    const [reply] = await fake.waitFor(() => (ephemeralsTo(APPROVER).length > seen ? ephemeralsTo(APPROVER).slice(seen) : undefined), 'the reply');
    expect(reply!.args.text).toContain('not one this bot made');
    expect(await partsOf(app).store.streams(`proposal:${'x'.repeat(200)}`)).toEqual([]);
  });

  it('When Slack rate-limits a post, Then the client waits the retry-after and the notice still arrives; when Slack refuses one, Then the bot carries on', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    await app.sink.publish({ type: 'halt_changed', halted: false, by: 'cli:ops', at: '2024-03-04T15:00:00Z', canceledOrders: 0 });
    const posts = fake.calls.filter((c) => c.method === 'chat.postMessage' && c.args.text === 'Trading resumed');
    expect(posts.length).toBeGreaterThanOrEqual(2); // the refused attempt and the retry
    expect(messagesIn(HOME_CHANNEL).filter((m) => m.text === 'Trading resumed')).toHaveLength(2); // /council resume earlier, and this one

    fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    await expect(app.sink.publish({ type: 'halt_changed', halted: true, by: 'cli:ops', at: '2024-03-04T15:01:00Z', canceledOrders: 0 })).resolves.toBeUndefined();
    await app.sink.publish({ type: 'halt_changed', halted: false, by: 'cli:ops', at: '2024-03-04T15:02:00Z', canceledOrders: 0 });
    expect(messagesIn(HOME_CHANNEL).filter((m) => m.text === 'Trading resumed')).toHaveLength(3);
  });

  it('When the bot restarts, Then a later notice for the week still goes into the same thread', async () => {
    await slack.stop();
    slack = await start();
    await app.sink.publish({ type: 'run_failed', week: WEEK, runId: null, errorId: 'abc12345', message: 'a later failure' });
    const failure = messagesIn(RUN_CHANNEL).find((m) => m.text.includes('abc12345'))!;
    expect(failure.threadTs).toBe(parent.ts);
    expect(fake.violations).toEqual([]);
  });

  it('When the weekly postmortem arrives with charts, Then its table goes into the week’s thread and each chart is uploaded there through the three files.uploadV2 steps', async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const charts = [
      { fileName: 'equity.png', title: 'Equity curves', png, path: null },
      { fileName: 'drawdown.png', title: 'Drawdowns', png, path: null },
    ];
    await app.sink.publish({ ...LARGEST.postmortem_ready, week: WEEK, charts });

    const summary = messagesIn(RUN_CHANNEL).find((m) => m.text === `Postmortem, week of ${WEEK}`)!;
    expect(summary.threadTs).toBe(parent.ts);
    const steps = fake.calls.filter((c) => c.method.startsWith('files.'));
    expect(steps.map((c) => c.method)).toEqual(['files.getUploadURLExternal', 'files.getUploadURLExternal', 'files.completeUploadExternal']);
    expect(steps.slice(0, 2).map((c) => [c.args.filename, Number(c.args.length)])).toEqual([
      ['equity.png', png.length],
      ['drawdown.png', png.length],
    ]);
    expect(fake.uploads.map((u) => u.bytes)).toEqual([png.length, png.length]);
    expect(steps[2]!.args).toMatchObject({ channel_id: RUN_CHANNEL, thread_ts: parent.ts });
    expect(JSON.parse(String(steps[2]!.args.files)).map((f: { title: string }) => f.title)).toEqual(['Equity curves', 'Drawdowns']);
  });
});

function textOfBody(body: Record<string, unknown>): string {
  return JSON.stringify(body);
}
