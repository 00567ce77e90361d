/**
 * `/council web` through the real Slack and Discord channels (Bolt over signed HTTP, discord.js over
 * the fake gateway): the asker alone gets a link bound to their chat identity, and it signs them in.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { type SlackHandle, startSlack } from '../../src/bot/slack/index.ts';
import { loadConfig } from '../../src/config/config.ts';
import { buildApp } from '../../src/compose.ts';
import { type FakeSlack, startFakeSlack } from '../fakes/slack.ts';
import { callbackOf, type DiscordHarness, replyTo, STRANGER, startHarness } from '../bot/discord/support.ts';
import { BOT_TOKEN, SIGNING_SECRET, sendSigned, slashCommand } from '../bot/slack/support.ts';
import { type Dashboard, redeem, startDashboard } from './support.ts';

const linkIn = (text: string) => /(http:\/\/127\.0\.0\.1:\d+\/signin\?token=[\w.-]+)/.exec(text)?.[1];

/** Signs in with a link and answers who the dashboard says you are. */
async function whoSignsIn(dashboard: Dashboard, url: string): Promise<string> {
  const res = await redeem(url);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const me = (await (await fetch(`${dashboard.server.url}/api/session`, { headers: { cookie } })).json()) as { principal: string };
  return me.principal;
}

describe('Slack: /council web', () => {
  let fake: FakeSlack;
  let app: App;
  let slack: SlackHandle;
  let dashboard: Dashboard;

  beforeAll(async () => {
    fake = await startFakeSlack({ token: BOT_TOKEN });
    const config = loadConfig({
      COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-web-slack-')),
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      SLACK_CHANNEL_ID: 'C_HOME',
      SLACK_PORT: '0',
    });
    app = await buildApp(config, { memory: true, logger: pino({ level: 'silent' }), clock: () => new Date('2024-03-04T12:00:00Z') });
    dashboard = await startDashboard(app, { start: new Date() });
    slack = await startSlack(app, config.slack!, pino({ level: 'silent' }), { host: '127.0.0.1' });
  }, 60_000);

  afterAll(async () => {
    await slack?.stop();
    await dashboard?.close();
    await app?.close();
    await fake?.close();
  });

  it('When a user asks, Then only they get a link (ephemeral, through the response_url) that signs them in as slack:<id>; revoke answers how many ended', async () => {
    const url = `http://127.0.0.1:${slack.port}/slack/events`;
    const res = await sendSigned(url, slashCommand({ text: 'web', user: 'UREADER', channel: 'C_ELSEWHERE', responseUrl: fake.responseUrl('web-1') }));
    expect(res.status).toBe(200);
    const reply = await fake.waitFor(() => fake.responses.find((r) => r.id === 'web-1'), 'the link');
    expect(reply.body).toMatchObject({ response_type: 'ephemeral' });
    const link = linkIn(JSON.stringify(reply.body));
    expect(link).toBeDefined();
    expect(await whoSignsIn(dashboard, link!)).toBe('slack:UREADER');
    expect(fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(0);

    await sendSigned(url, slashCommand({ text: 'web revoke', user: 'UREADER', channel: 'C_ELSEWHERE', responseUrl: fake.responseUrl('web-2') }));
    const revoked = await fake.waitFor(() => fake.responses.find((r) => r.id === 'web-2'), 'the revocation');
    expect(JSON.stringify(revoked.body)).toContain('Ended 1 dashboard session of slack:UREADER');
  });
});

describe('Discord: /council web', () => {
  let h: DiscordHarness;
  let dashboard: Dashboard;

  beforeAll(async () => {
    h = await startHarness();
    dashboard = await startDashboard(h.app, { start: new Date() });
  }, 60_000);

  afterAll(async () => {
    await dashboard?.close();
    await h?.close();
  });

  it('When a member asks, Then the ephemeral reply carries a link that signs them in as discord:<id>', async () => {
    const { token } = h.fake.slash('web', {}, STRANGER);
    expect((await callbackOf(h.fake, token)).data?.flags).toBe(64);
    const reply = await replyTo(h.fake, token, /signin\?token=/);
    const link = linkIn(reply.content);
    expect(link).toBeDefined();
    expect(await whoSignsIn(dashboard, link!)).toBe(`discord:${STRANGER.id}`);
  });
});
