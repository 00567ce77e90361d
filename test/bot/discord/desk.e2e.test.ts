/**
 * The desk in Discord (issue 18), through the real discord.js client against the fake Discord: the
 * reads answer privately, exit and pause are for approvers (refusals recorded), and an exit answers
 * with a Close button first; the click closes it as an exit approved by the clicker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNCIL_COMMAND } from '../../../src/bot/discord/definition.ts';
import { nyDateTime } from '../../../src/market/time.ts';
import { streams } from '../../../src/pipeline/streams.ts';
import { buttonIds } from '../../fakes/discord.ts';
import { APPROVER, type DiscordHarness, STRANGER, callbackOf, replyTo, startHarness } from './support.ts';

let h: DiscordHarness;
beforeAll(async () => {
  h = await startHarness({ now: '2026-11-24T15:00:00Z' });
  const state = await h.app.run({ week: '2024-03-04', by: 'cli:ada', via: 'cli' });
  await h.app.approve({ proposalId: state.proposal!.proposalId, by: 'cli:ada', via: 'cli' });
  await h.app.checkpoint(nyDateTime('2024-03-05', '12:00'));
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('Discord: the desk', () => {
  it('When the registration is uploaded, Then it carries every desk subcommand', () => {
    const names = (COUNCIL_COMMAND.options ?? []).map((o) => o.name);
    expect(names).toEqual(expect.arrayContaining(['positions', 'profit', 'history', 'leaderboard', 'cost', 'exit', 'pause', 'unpause']));
  });

  it('When anyone asks for positions, profit, history, leaderboard and cost, Then each reply is deferred privately and shows the desk in a code block', async () => {
    for (const [sub, options, heading] of [
      ['positions', {}, /Positions at \w{3} \d{4}-\d{2}-\d{2} \d\d:\d\d ET/],
      ['profit', { window: 'all' }, /Profit over the whole record/],
      ['history', {}, /Week of 2024-03-04/],
      ['leaderboard', { window: 'all' }, /Leaderboard over the whole record/],
      ['cost', { window: 'all' }, /LLM cost over the whole record/],
    ] as const) {
      const { token } = h.fake.slash(sub, options, STRANGER);
      expect(await callbackOf(h.fake, token), sub).toEqual({ type: 5, data: { flags: 64 } });
      const reply = await replyTo(h.fake, token, heading);
      expect(reply.content.startsWith('```'), sub).toBe(true);
      // History links the week's thread below the code block, where Discord makes it clickable.
      if (sub === 'history') expect(reply.content).toMatch(/```\nWeek of 2024-03-04: https:\/\/discord\.com\/channels\/\d+\/\d+/);
    }
  });

  it('When a stranger asks to exit or pause, Then they are told no privately and the attempts are recorded', async () => {
    const exit = h.fake.slash('exit', { account: 'all' }, STRANGER);
    expect((await replyTo(h.fake, exit.token, /may not exit positions/)).content).toContain(`discord:${STRANGER.id}`);
    const pause = h.fake.slash('pause', {}, STRANGER);
    await replyTo(h.fake, pause.token, /may not pause trading/);
    const refused = (await streams.controlRefusals(h.app.councilId).read(h.app.ports.store)).map((r) => [r.data.action, r.data.by]);
    expect(refused).toEqual([
      ['exit', `discord:${STRANGER.id}`],
      ['pause', `discord:${STRANGER.id}`],
    ]);
  });

  it('When an approver asks to exit an account, Then a Close button comes first, and the click closes it as an exit approved by the clicker, once', async () => {
    const account = (await h.app.positions()).accounts.find((a) => a.positions.length > 0)!.account;
    const asked = h.fake.slash('exit', { account, reason: 'cutting risk' }, APPROVER);
    const confirm = await replyTo(h.fake, asked.token, /Close 1 position now/);
    expect(buttonIds(confirm)).toEqual([`exit:${account}:*:cutting risk`]);

    const clicked = h.fake.click(`exit:${account}:*:cutting risk`, APPROVER, confirm.id);
    const done = await replyTo(h.fake, clicked.token, /Exits ordered/);
    expect(done.content).toContain(`closed by an approver: cutting risk (discord:${APPROVER.id} via discord)`);
    expect((await h.app.positions()).accounts.find((a) => a.account === account)!.positions.every((p) => p.exiting)).toBe(true);

    // A second click finds nothing left to close: nothing is sold twice.
    const again = h.fake.click(`exit:${account}:*:cutting risk`, APPROVER, confirm.id);
    await replyTo(h.fake, again.token, /nothing to exit/);
  });

  it('When an approver pauses and unpauses, Then the reply says who paused and when, in New York time, and the channel is told', async () => {
    const { token } = h.fake.slash('pause', {}, APPROVER);
    await replyTo(h.fake, token, new RegExp(`Trading PAUSED by discord:${APPROVER.id} at \\w{3} \\d{4}-\\d{2}-\\d{2} \\d\\d:\\d\\d ET`));
    expect((await h.app.tradingState()).state).toBe('paused');
    // The whole channel learns of it, as of a halt.
    await h.fake.waitFor('the pause in the channel', () => h.fake.messagesIn(h.fake.channelId).find((m) => m.content.includes('Trading PAUSED by')));
    const unpause = h.fake.slash('unpause', {}, APPROVER);
    await replyTo(h.fake, unpause.token, /Trading: running; new entries allowed\./);
    expect((await h.app.tradingState()).state).toBe('running');
  });
});
