/**
 * Discord: whoever may run the council cannot hijack a week. Runs start only in DISCORD_CHANNEL_ID; a
 * /council run elsewhere is answered privately with where the council lives; a week already run answers
 * with links to its thread and decision and its real state; future weeks and runs while halted are refused.
 * The real discord.js client against the fake Discord gateway and REST API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weekStream } from '../../../src/pipeline/week.ts';
import { APPROVER, type DiscordHarness, STRANGER, callbackOf, decisionMessage, replyTo, startHarness, threadFor } from './support.ts';
import { partsOf } from '../../../src/compose.ts';

const ELSEWHERE = '1300000000000000999';
let h: DiscordHarness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const weekEvents = (week: string) => partsOf(h.app).store.read(weekStream(h.app.councilId, week));

describe('Discord: runs belong to the council channel', () => {
  it('When a member runs the council from another channel, Then only they are told where the council lives and nothing starts', async () => {
    const { token } = h.fake.slash('run', { week: '2024-03-04', query: 'take over' }, STRANGER, ELSEWHERE);
    expect(await callbackOf(h.fake, token)).toMatchObject({ type: 4, data: { flags: 64 } });
    await replyTo(h.fake, token, new RegExp(`council lives in <#${h.fake.channelId}>`));
    expect(await weekEvents('2024-03-04')).toEqual([]);
    expect(h.fake.messagesIn(ELSEWHERE)).toEqual([]);
  });

  it('When the week is run in the council channel and then asked for again after approval, Then the second asker gets links to its thread and decision and its executed state, and nothing reruns', async () => {
    const first = h.fake.slash('run', { week: '2024-03-04', query: 'is **tech** stretched?' }, STRANGER);
    await replyTo(h.fake, first.token, /Convening/);
    const thread = await threadFor(h.fake, '2024-03-04');
    await decisionMessage(h.fake, thread.id);
    const started = (await h.app.weekState('2024-03-04')).started!;
    expect(started).toMatchObject({ query: 'is **tech** stretched?', requestedBy: `discord:${STRANGER.id}`, via: 'discord' });
    const parent = await h.fake.waitFor('the parent with the question', () => {
      const m = h.fake.messages.get(thread.parentMessageId);
      return m?.content.includes('Question from the desk') ? m : undefined;
    });
    expect(parent.content).toContain('is \\*\\*tech\\*\\* stretched?'); // shown as text, not formatting

    const { proposal } = await h.app.weekState('2024-03-04');
    await h.app.approve({ proposalId: proposal!.proposalId, by: 'cli:ops', via: 'cli' });
    const before = (await weekEvents('2024-03-04')).length;
    const again = h.fake.slash('run', { week: '2024-03-04' }, APPROVER);
    const reply = await replyTo(h.fake, again.token, /already run/);
    expect(reply.content).toContain(`Proposal ${proposal!.proposalId}: EXECUTED (approved by cli:ops`);
    expect(reply.content).toContain(`[the week's thread](https://discord.com/channels/${h.fake.guildId}/${thread.id})`);
    expect(reply.content).toMatch(new RegExp(`\\[the decision\\]\\(https://discord.com/channels/${h.fake.guildId}/${thread.id}/\\d+\\)`));
    expect(await callbackOf(h.fake, again.token)).toEqual({ type: 5, data: { flags: 64 } });
    expect((await weekEvents('2024-03-04')).length).toBe(before);
  });

  it('When a future week is asked for, or any week while halted, Then the asker is refused privately with the reason and nothing starts', async () => {
    const future = h.fake.slash('run', { week: '2099-01-05' }, STRANGER);
    await replyTo(h.fake, future.token, /in the future/);
    expect(await weekEvents('2099-01-05')).toEqual([]);

    await h.app.halt(`discord:${APPROVER.id}`, true);
    const halted = h.fake.slash('run', { week: '2024-03-11' }, STRANGER);
    await replyTo(h.fake, halted.token, new RegExp(`halted \\(by discord:${APPROVER.id}`));
    expect(await weekEvents('2024-03-11')).toEqual([]);
    await h.app.halt(`discord:${APPROVER.id}`, false);
  });
});

describe('Discord without DISCORD_CHANNEL_ID', () => {
  let bare: DiscordHarness;
  beforeAll(async () => {
    bare = await startHarness({ councilChannel: false });
  });
  afterAll(async () => {
    await bare?.close();
  });

  it('When a member runs the council, Then they are told privately that runs from Discord are off until DISCORD_CHANNEL_ID is set, and nothing starts', async () => {
    const { token } = bare.fake.slash('run', { week: '2024-03-04' }, STRANGER);
    expect(await callbackOf(bare.fake, token)).toMatchObject({ type: 4, data: { flags: 64 } });
    await replyTo(bare.fake, token, /DISCORD_CHANNEL_ID/);
    expect(await partsOf(bare.app).store.read(weekStream(bare.app.councilId, '2024-03-04'))).toEqual([]);
    expect(bare.fake.threads.size).toBe(0);
  });
});
