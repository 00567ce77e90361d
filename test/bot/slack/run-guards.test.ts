/**
 * Slack: whoever may run the council cannot hijack a week. Runs start only in the council channel
 * (SLACK_CHANNEL_ID), a command elsewhere is answered privately with where the council lives and moves no
 * notice; a week already run answers with links to its thread and decision and its real state; future
 * weeks and runs while halted are refused. The desk's question is shown cleaned in the week's thread.
 * The real Bolt receiver over HTTP with signed requests, the fake Slack Web API on loopback.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app/index.ts';
import { type SlackHandle, startSlack } from '../../../src/bot/slack/index.ts';
import { type Config, loadConfig } from '../../../src/config/config.ts';
import { buildApp, partsOf } from '../../../src/compose.ts';
import { weekStream } from '../../../src/pipeline/week.ts';
import { type FakeSlack, startFakeSlack } from '../../fakes/slack.ts';
import { BOT_TOKEN, SIGNING_SECRET, sendSigned, slashCommand } from './support.ts';

const COUNCIL = 'C_COUNCIL';
const ELSEWHERE = 'C_RANDOM';
const APPROVER = 'UBOSS';
const MEMBER = 'UMEMBER';
const logger = pino({ level: 'silent' });

interface Harness {
  fake: FakeSlack;
  config: Config;
  app: App;
  slack: SlackHandle;
  url: string;
}

async function harness(channel: string | undefined): Promise<Harness> {
  const fake = await startFakeSlack({ token: BOT_TOKEN });
  const config = loadConfig({
    COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-slack-guards-')),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    ...(channel ? { SLACK_CHANNEL_ID: channel } : {}),
    SLACK_PORT: '0',
    COUNCIL_APPROVERS: `slack:${APPROVER}`,
  });
  const app = await buildApp(config, { memory: true, logger, clock: () => new Date('2024-03-04T12:00:00Z') });
  const slack = await startSlack(app, config.slack!, logger, { host: '127.0.0.1', retryConfig: { retries: 0 } });
  return { fake, config, app, slack, url: `http://127.0.0.1:${slack.port}/slack/events` };
}

const close = async (h: Harness | undefined) => {
  await h?.slack.stop();
  await h?.app.close();
  await h?.fake.close();
};

let ids = 0;
async function command(h: Harness, text: string, user: string, channel: string): Promise<{ ack: string; id: string }> {
  const id = `guard-${++ids}`;
  const res = await sendSigned(h.url, slashCommand({ text, user, channel, responseUrl: h.fake.responseUrl(id) }));
  expect(res.status).toBe(200);
  return { ack: await res.text(), id };
}
const privateReply = (h: Harness, id: string, matching: RegExp) =>
  h.fake.waitFor(() => h.fake.responses.find((r) => r.id === id && matching.test(JSON.stringify(r.body))), `the private reply ${id}`);
const posts = (h: Harness) => h.fake.calls.filter((c) => c.method === 'chat.postMessage');

describe('Slack: runs belong to the council channel', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(COUNCIL);
  });
  afterAll(async () => close(h));

  it('When a member runs the council from another channel, Then only they are told where the council lives, nothing starts, and no notice moves there', async () => {
    const { ack } = await command(h, 'run --week 2024-03-04 take over', MEMBER, ELSEWHERE);
    expect(JSON.parse(ack)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining(`<#${COUNCIL}>`) });
    expect(await partsOf(h.app).store.read(weekStream(h.app.councilId, '2024-03-04'))).toEqual([]);

    // A status from elsewhere used to make that channel the home of halts: no more.
    await command(h, 'status', MEMBER, ELSEWHERE);
    await h.app.halt('cli:ops', true);
    await h.app.halt('cli:ops', false);
    await h.fake.waitFor(() => h.fake.messages.size >= 2 || undefined, 'the halt notices');
    expect(new Set(posts(h).map((c) => c.args.channel))).toEqual(new Set([COUNCIL]));
  });

  it('When a member runs it in the council channel with a question, Then the thread opens there showing the cleaned question and who asked, and the run records both', async () => {
    const { id } = await command(h, 'run --week 2024-03-04 is tech <@U1> stretched?\u200b', MEMBER, COUNCIL);
    await privateReply(h, id, /Convening/);
    const parent = await h.fake.waitFor(
      () => [...h.fake.messages.values()].find((m) => m.threadTs === undefined && JSON.stringify(m.blocks).includes('Decision')),
      'the parent with its decision',
    );
    expect(parent.channel).toBe(COUNCIL);
    const blocks = JSON.stringify(parent.blocks);
    expect(blocks).toContain('Question from the desk:* is tech &lt;@U1&gt; stretched?');
    expect(blocks).toContain(`run by <@${MEMBER}>`);
    const started = (await h.app.weekState('2024-03-04')).started!;
    expect(started).toMatchObject({ query: 'is tech <@U1> stretched?', requestedBy: `slack:${MEMBER}`, via: 'slack' });
    expect(new Set(posts(h).map((c) => c.args.channel))).toEqual(new Set([COUNCIL]));
  });

  it('When the week is run again after it was approved, Then the asker is answered privately with links to its thread and decision and its executed state, and nothing reruns', async () => {
    const state = await h.app.weekState('2024-03-04');
    await h.app.approve({ proposalId: state.proposal!.proposalId, by: 'cli:ops', via: 'cli' });
    const before = (await partsOf(h.app).store.read(weekStream(h.app.councilId, '2024-03-04'))).length;
    const postsBefore = posts(h).length;

    const { id } = await command(h, 'run --week 2024-03-04 again please', MEMBER, COUNCIL);
    const reply = await privateReply(h, id, /already run/);
    const text = String(reply.body.text);
    expect(reply.body).toMatchObject({ response_type: 'ephemeral' });
    expect(text).toContain(`Proposal ${state.proposal!.proposalId}: EXECUTED (approved by cli:ops`);
    expect(text).toMatch(/<https:\/\/fake\.slack\.com\/archives\/C_COUNCIL\/p\d+\|the week's thread>/);
    expect(text).toMatch(/<https:\/\/fake\.slack\.com\/archives\/C_COUNCIL\/p\d+\|the decision>/);
    expect(text).toContain(`by slack:${MEMBER} via slack`);
    expect((await partsOf(h.app).store.read(weekStream(h.app.councilId, '2024-03-04'))).length).toBe(before);
    expect(posts(h).length).toBe(postsBefore);
  });

  it('When a future week is asked for, or any week while halted, Then the asker is refused privately with the reason and nothing starts', async () => {
    const future = await command(h, 'run --week 2099-01-05', MEMBER, COUNCIL);
    await privateReply(h, future.id, /in the future/);
    expect(await partsOf(h.app).store.read(weekStream(h.app.councilId, '2099-01-05'))).toEqual([]);

    await h.app.halt(`slack:${APPROVER}`, true);
    const halted = await command(h, 'run --week 2024-03-11', MEMBER, COUNCIL);
    const reply = await privateReply(h, halted.id, /halted/);
    expect(String(reply.body.text)).toContain(`halted (by slack:${APPROVER}`);
    expect(await partsOf(h.app).store.read(weekStream(h.app.councilId, '2024-03-11'))).toEqual([]);
    await h.app.halt(`slack:${APPROVER}`, false);
  });
});

describe('Slack without SLACK_CHANNEL_ID', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(undefined);
  });
  afterAll(async () => close(h));

  it('When a member runs the council, Then they are told runs from Slack are off until SLACK_CHANNEL_ID is set, and nothing starts', async () => {
    const { ack } = await command(h, 'run --week 2024-03-04', MEMBER, ELSEWHERE);
    expect(JSON.parse(ack)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('SLACK_CHANNEL_ID') });
    expect(await partsOf(h.app).store.read(weekStream(h.app.councilId, '2024-03-04'))).toEqual([]);
    expect(posts(h)).toEqual([]);
  });
});
