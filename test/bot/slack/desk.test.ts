/**
 * The desk in Slack (issue 18): the real Bolt app over HTTP with signed requests, the real App on
 * in-memory PGlite with the simulated broker, and a fake Slack Web API on loopback. Reads answer the
 * asker privately; exit and pause are for approvers, and an exit is confirmed with a button first.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../../src/app/index.ts';
import { EXIT_ACTION } from '../../../src/bot/slack/listeners/desk-actions.ts';
import { type SlackHandle, startSlack } from '../../../src/bot/slack/index.ts';
import { type Config, loadConfig } from '../../../src/config/config.ts';
import { buildApp } from '../../../src/compose.ts';
import { nyDateTime } from '../../../src/market/time.ts';
import { streams } from '../../../src/pipeline/streams.ts';
import { type FakeSlack, startFakeSlack } from '../../fakes/slack.ts';
import { BOT_TOKEN, buttonClick, SIGNING_SECRET, sendSigned, slashCommand } from './support.ts';

const HOME = 'C_HOME';
const APPROVER = 'UBOSS';
const OUTSIDER = 'UNOBODY';
const logger = pino({ level: 'silent' });

let fake: FakeSlack;
let config: Config;
let app: App;
let slack: SlackHandle;
let url: string;
let ids = 0;

beforeAll(async () => {
  fake = await startFakeSlack({ token: BOT_TOKEN });
  config = loadConfig({
    COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-slack-desk-')),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_CHANNEL_ID: HOME,
    SLACK_PORT: '0',
    COUNCIL_APPROVERS: `slack:${APPROVER}`,
  });
  app = await buildApp(config, { memory: true, logger, clock: () => new Date('2026-11-24T15:00:00Z') });
  slack = await startSlack(app, config.slack!, logger, { host: '127.0.0.1', retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 0 } });
  url = `http://127.0.0.1:${slack.port}/slack/events`;
  // The week runs with Slack on, so it has a thread in the council channel.
  const state = await app.run({ week: '2024-03-04', by: 'cli:ada', via: 'cli' });
  await app.approve({ proposalId: state.proposal!.proposalId, by: 'cli:ada', via: 'cli' });
  await app.checkpoint(nyDateTime('2024-03-05', '12:00'));
}, 60_000);

afterAll(async () => {
  await slack?.stop();
  await app?.close();
  await fake?.close();
});

/** Sends `/council <text>` as `user` and waits for the answer on its response_url. */
async function ask(text: string, user: string): Promise<{ body: Record<string, unknown>; text: string }> {
  const id = `desk-${++ids}`;
  const res = await sendSigned(url, slashCommand({ text, user, channel: HOME, responseUrl: fake.responseUrl(id) }));
  expect(res.status).toBe(200);
  const ack = await res.text();
  if (ack) return { body: JSON.parse(ack) as Record<string, unknown>, text: ack };
  const answer = await fake.waitFor(() => fake.responses.find((r) => r.id === id), `the answer to ${text}`);
  return { body: answer.body as Record<string, unknown>, text: JSON.stringify(answer.body) };
}

describe('Slack: the desk', () => {
  it('When anyone in the channel asks for positions, profit, history, leaderboard and cost, Then each answer is private to the asker and reads in signed dollars and percentages', async () => {
    for (const [command, heading] of [
      ['positions', 'Positions at '],
      ['profit all', 'Profit over the whole record'],
      ['history 2', 'Week of 2024-03-04'],
      ['leaderboard all', 'Leaderboard over the whole record'],
      ['cost all', 'LLM cost over the whole record'],
    ] as const) {
      const answer = await ask(command, OUTSIDER);
      expect(answer.body.response_type, command).toBe('ephemeral');
      expect(answer.text, command).toContain(heading);
    }
    expect((await ask('profit all', OUTSIDER)).text).toMatch(/[+-]\$[\d,]+\.\d\d/);
    // History links each week to its thread, outside the code block so Slack makes it clickable.
    expect((await ask('history', OUTSIDER)).text).toMatch(/<https?:[^|>]+\|The week of 2024-03-04 in its thread>/);
    expect(fake.violations).toEqual([]);
  });

  it('When someone outside COUNCIL_APPROVERS asks to exit or pause, Then they are refused privately and the attempts are recorded', async () => {
    expect((await ask('exit all', OUTSIDER)).text).toContain('may not exit positions');
    expect((await ask('pause', OUTSIDER)).text).toContain('may not pause trading');
    const refused = (await streams.controlRefusals(app.councilId).read(app.ports.store)).map((r) => [r.data.action, r.data.by]);
    expect(refused).toEqual([
      ['exit', `slack:${OUTSIDER}`],
      ['pause', `slack:${OUTSIDER}`],
    ]);
    expect((await app.tradingState()).state).toBe('running');
  });

  it('When an approver asks to exit an account, Then a private confirmation with a Close button comes first, and the click closes it as an exit approved by that approver', async () => {
    const book = await app.positions();
    const account = book.accounts.find((a) => a.positions.length > 0)!.account;
    const asked = await ask(`exit ${account} all trimming risk`, APPROVER);
    expect(asked.body.response_type).toBe('ephemeral');
    expect(asked.text).toContain(`Close 1 position now: ${account} `);
    const blocks = asked.body.blocks as { type: string; elements?: { action_id: string; value: string; confirm?: unknown; style?: string }[] }[];
    const button = blocks.find((b) => b.type === 'actions')!.elements![0]!;
    expect(button).toMatchObject({ action_id: EXIT_ACTION, style: 'danger', confirm: expect.any(Object) });
    expect(JSON.parse(button.value)).toEqual({ account, reason: 'trimming risk' });
    // Nothing is closed before the click.
    expect((await app.positions()).accounts.find((a) => a.account === account)!.positions.every((p) => !p.exiting)).toBe(true);

    const id = `desk-${++ids}`;
    const click = buttonClick({
      actionId: button.action_id,
      value: button.value,
      user: APPROVER,
      channel: HOME,
      messageTs: '1709550000.000100',
      responseUrl: fake.responseUrl(id),
    });
    const ts = Math.floor(Date.now() / 1000);
    const res = await sendSigned(url, click, { timestamp: ts });
    expect(res.status).toBe(200);
    const done = await fake.waitFor(() => fake.responses.find((r) => r.id === id && JSON.stringify(r.body).includes('Exits ordered')), 'the exit report');
    expect(JSON.stringify(done.body)).toContain('closed by an approver: trimming risk (slack:UBOSS via slack)');
    const exits = (await app.positions()).accounts.find((a) => a.account === account)!.positions;
    expect(exits.every((p) => p.exiting)).toBe(true);
    // The same signed click, replayed, acts on nothing and is recorded as a refused exit.
    const replay = await sendSigned(url, click, { timestamp: ts });
    expect(replay.status).toBe(200);
    await vi.waitFor(async () => {
      const refused = await streams.controlRefusals(app.councilId).read(app.ports.store);
      expect(refused.some((r) => r.data.action === 'exit' && r.data.reason === 'replayed request')).toBe(true);
    });
  });

  it('When a signed Close click carries a value that is not JSON, or JSON that is no exit, Then the clicker is told the button is not one this bot made, and nothing closes', async () => {
    const before = JSON.stringify((await app.positions()).accounts);
    for (const value of ['{not json', '"COUNCIL"', JSON.stringify({ account: ['COUNCIL'] })]) {
      const id = `desk-${++ids}`;
      const click = buttonClick({ actionId: EXIT_ACTION, value, user: APPROVER, channel: HOME, messageTs: '1709550000.000200', responseUrl: fake.responseUrl(id) });
      expect((await sendSigned(url, click)).status, value).toBe(200);
      const answer = await fake.waitFor(() => fake.responses.find((r) => r.id === id), `the answer to ${value}`);
      expect(JSON.stringify(answer.body), value).toContain('not one this bot made');
    }
    expect(JSON.stringify((await app.positions()).accounts)).toBe(before);
  });

  it('When an approver pauses and unpauses, Then the reply says who paused and when in New York time, and status shows it', async () => {
    expect((await ask('pause', APPROVER)).text).toMatch(/Trading PAUSED by slack:UBOSS at \w{3} \d{4}-\d{2}-\d{2} \d\d:\d\d ET/);
    expect((await app.status()).trading).toMatchObject({ state: 'paused', by: `slack:${APPROVER}` });
    // The whole channel learns of it, as of a halt.
    await fake.waitFor(() => [...fake.messages.values()].find((m) => m.channel === HOME && JSON.stringify(m.blocks).includes('Trading PAUSED')), 'the pause in the channel');
    expect((await ask('unpause', APPROVER)).text).toContain('Trading: running; new entries allowed.');
  });
});
