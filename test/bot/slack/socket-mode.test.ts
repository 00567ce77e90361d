/**
 * Socket Mode: the same listeners over Slack's WebSocket instead of HTTP. The fake hands out the
 * socket URL from apps.connections.open (with the app-level token) and sends envelopes the bot acks.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app/index.ts';
import { type SlackHandle, startSlack } from '../../../src/bot/slack/index.ts';
import { loadConfig } from '../../../src/config/config.ts';
import { buildApp, partsOf } from '../../../src/compose.ts';
import { type FakeSlack, startFakeSlack } from '../../fakes/slack.ts';
import { BOT_TOKEN } from './support.ts';

const APP_TOKEN = 'xapp-test-app-token';
const logger = pino({ level: 'silent' });
let fake: FakeSlack;
let app: App;
let slack: SlackHandle;

beforeAll(async () => {
  fake = await startFakeSlack({ token: BOT_TOKEN, appToken: APP_TOKEN });
  const config = loadConfig({
    COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-slack-socket-')),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_APP_TOKEN: APP_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    // The council channel: notices go only here, and halt is taken only from here.
    SLACK_CHANNEL_ID: 'C1',
    COUNCIL_APPROVERS: 'slack:UBOSS',
  });
  app = await buildApp(config, { memory: true, logger, clock: () => new Date('2024-03-04T12:00:00Z') });
  slack = await startSlack(app, config.slack!, logger, { retryConfig: { retries: 0 } });
});

afterAll(async () => {
  await slack?.stop();
  await app?.close();
  await fake?.close();
});

describe('Slack in Socket Mode', () => {
  it('When the bot starts with SLACK_APP_TOKEN, Then it opens the socket with the app-level token and listens on no port', () => {
    const open = fake.calls.find((c) => c.method === 'apps.connections.open');
    expect(open?.token).toBe(APP_TOKEN);
    expect(slack.port).toBeUndefined();
  });

  it('When /council status arrives over the socket, Then the envelope is acked and the status comes back privately', async () => {
    const ack = await fake.sendEnvelope('slash_commands', {
      token: 'legacy',
      team_id: 'T1',
      channel_id: 'C1',
      user_id: 'UANY',
      command: '/council',
      text: 'status',
      api_app_id: 'A1',
      response_url: fake.responseUrl('socket-status'),
      trigger_id: 't1',
    });
    expect(ack.envelope_id).toMatch(/^env-/);
    const reply = await fake.waitFor(() => fake.responses.find((r) => r.id === 'socket-status'), 'the status reply');
    expect(reply.body).toMatchObject({ response_type: 'ephemeral', text: 'Council status' });
  });

  it('When someone clicks Approve for an unknown proposal over the socket, Then the same permanent handler answers privately', async () => {
    await fake.sendEnvelope('interactive', {
      type: 'block_actions',
      user: { id: 'UNOBODY', team_id: 'T1' },
      team: { id: 'T1' },
      api_app_id: 'A1',
      channel: { id: 'C1' },
      container: { type: 'message', channel_id: 'C1', message_ts: '1.1' },
      message: { ts: '1.1', text: '' },
      response_url: fake.responseUrl('socket-click'),
      trigger_id: 't2',
      actions: [{ type: 'button', action_id: 'approve:2024-03-04-abcdef', block_id: 'proposal_actions', value: '2024-03-04-abcdef', action_ts: '1' }],
    });
    const refusal = await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.postEphemeral' && c.args.user === 'UNOBODY'), 'the refusal');
    expect(refusal.args).toMatchObject({ channel: 'C1', text: expect.stringContaining('no proposal 2024-03-04-abcdef') });
    expect(await partsOf(app).store.streams('proposal:2024-03-04-abcdef')).toEqual([]);
  });

  it('When an envelope carrying /council halt is delivered twice (one trigger id), Then the kill switch is thrown once and the repeat is refused', async () => {
    const halt = {
      command: '/council',
      text: 'halt',
      team_id: 'T1',
      channel_id: 'C1',
      user_id: 'UBOSS',
      response_url: fake.responseUrl('halt'),
      trigger_id: 't-halt-1',
    };
    await fake.sendEnvelope('slash_commands', halt);
    const again = await fake.sendEnvelope('slash_commands', halt);
    expect(again.payload).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('already received') });
    await fake.waitFor(() => (fake.calls.some((c) => c.method === 'chat.postMessage' && c.args.text === 'Trading HALTED') ? true : undefined), 'the halt notice');
    const control = async () => [...(await partsOf(app).store.read(`control:${app.councilId}`)), ...(await partsOf(app).store.read(`refusals:control:${app.councilId}`))];
    // The repeat's refusal is recorded just after it is answered: re-check as the App's work lands (a guard, not a timing).
    for (let i = 0; i < 2_000 && !(await control()).some((e) => e.type === 'HaltRefused'); i++) await new Promise((resolve) => setImmediate(resolve));
    expect((await control()).filter((e) => e.type === 'Halted')).toHaveLength(1);
    expect((await control()).filter((e) => e.type === 'HaltRefused').map((e) => (e.data as { reason: string }).reason)).toEqual(['replayed request']);
  });
});
