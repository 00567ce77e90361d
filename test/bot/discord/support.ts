/** An App on in-memory PGlite wired to the real discord.js client, which talks to the fake Discord. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { App } from '../../../src/app/index.ts';
import { startDiscord } from '../../../src/bot/discord/index.ts';
import { loadConfig } from '../../../src/config/config.ts';
import { buildApp, partsOf } from '../../../src/compose.ts';
import type { StoredEvent } from '../../../src/store/port.ts';
import { type FakeDiscord, type FakeMessage, buttonIds, startFakeDiscord } from '../../fakes/discord.ts';

export const APPROVER = { id: '2001', name: 'alice' };
export const ROLE_APPROVER = { id: '2002', name: 'bob', roles: ['3001'] };
export const STRANGER = { id: '2999', name: 'mallory' };

export interface DiscordHarness {
  fake: FakeDiscord;
  app: App;
  discord: { stop(): Promise<void> };
  close(): Promise<void>;
}

/** `now`: the App's clock (default Monday 2024-03-04, the week the tests convene; later to see the week's bars). */
/** `councilChannel: false`: no DISCORD_CHANNEL_ID. */
export async function startHarness(options: { now?: string; councilChannel?: false } = {}): Promise<DiscordHarness> {
  const fake = await startFakeDiscord();
  const config = loadConfig({
    COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-discord-')),
    COUNCIL_APPROVERS: `discord:${APPROVER.id}`,
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.applicationId,
    ...(options.councilChannel === false ? {} : { DISCORD_CHANNEL_ID: fake.channelId }),
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_APPROVER_ROLE_ID: '3001',
  });
  const logger = pino({ level: 'silent' });
  const app = await buildApp(config, { memory: true, logger, clock: () => new Date(options.now ?? '2024-03-04T12:00:00Z') });
  const discord = await startDiscord(app, config.discord!, logger);
  return {
    fake,
    app,
    discord,
    async close() {
      await discord.stop();
      await app.close();
      await fake.close();
    },
  };
}

export const events = (app: App, stream: string): Promise<StoredEvent[]> => partsOf(app).store.read(stream);
export const ofType = (list: StoredEvent[], type: string) => list.filter((e) => e.type === type);

/** The thread the bot opened for a week, once it exists. */
export const threadFor = (fake: FakeDiscord, week: string) =>
  fake.waitFor(`the thread for ${week}`, () => [...fake.threads.values()].find((t) => t.name === `Council, week of ${week}`));

/** The message with a proposal's buttons, once posted. */
export const decisionMessage = (fake: FakeDiscord, threadId: string) =>
  fake.waitFor('the decision message with buttons', () => fake.messagesIn(threadId).find((m) => buttonIds(m).some((id) => id.startsWith('approve:'))));

/** The text the user saw as the (deferred) reply to an interaction, once it says something. */
export const replyTo = (fake: FakeDiscord, token: string, matching: RegExp = /./) =>
  fake.waitFor(`the reply to ${token}`, () => {
    const m = [...fake.messages.values()].find((x: FakeMessage) => x.channelId === `interaction:${token}`);
    return m && matching.test(m.content + JSON.stringify(m.embeds)) ? m : undefined;
  });

/** The interaction's first callback: how it was acknowledged (type 5 = deferred, flags 64 = ephemeral). */
export const callbackOf = (fake: FakeDiscord, token: string) =>
  fake.waitFor(`the callback for ${token}`, () => fake.interactionRequests(token).find((r) => r.path.endsWith('/callback'))?.body as { type: number; data?: { flags?: number } });

/** The private confirmation an approver's Approve is answered with (a select menu of accounts and Confirm), once shown. */
export const confirmationFor = (fake: FakeDiscord, token: string) =>
  fake.waitFor(`the confirmation for ${token}`, () =>
    [...fake.messages.values()].find((m) => m.channelId === `interaction:${token}` && m.components.some((r) => r.components.some((c) => c.type === 3))),
  );

/** The accounts the confirmation's menu offers and which of them are selected now. */
export function menuOf(message: FakeMessage): { offered: string[]; selected: string[] } {
  const menu = message.components.flatMap((r) => r.components).find((c) => c.type === 3);
  const options = menu && 'options' in menu ? menu.options : [];
  return { offered: options.map((o) => o.value), selected: options.filter((o) => o.default).map((o) => o.value) };
}
