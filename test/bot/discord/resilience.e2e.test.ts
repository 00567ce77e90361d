/**
 * What goes wrong on the wire: a gateway drop mid-run, REST errors, interactions the bot does not know,
 * and the other subcommands. Through the real discord.js client against the fake Discord.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlRefusalStream, controlStream } from '../../../src/pipeline/execution.ts';
import { proposalStream } from '../../../src/pipeline/run.ts';
import { APPROVER, type DiscordHarness, STRANGER, callbackOf, confirmationFor, decisionMessage, events, ofType, replyTo, startHarness, threadFor } from './support.ts';

let h: DiscordHarness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('Discord: when the wire misbehaves', () => {
  it('When the gateway drops mid-run, Then discord.js resumes the same session, the run carries on, and a confirmation sent during the outage is replayed and executed', async () => {
    const { token } = h.fake.slash('run', { week: '2024-03-04' }, STRANGER);
    await replyTo(h.fake, token, /Convening/);
    const thread = await threadFor(h.fake, '2024-03-04');

    h.fake.dropConnection();
    const message = await decisionMessage(h.fake, thread.id);
    const proposalId = (await h.app.weekState('2024-03-04')).proposal!.proposalId;
    const asked = h.fake.click(`approve:${proposalId}`, APPROVER, message.id);
    const confirmation = await confirmationFor(h.fake, asked.token);
    // Sent while the socket may still be down: the fake holds it for the resumed session.
    h.fake.dropConnection();
    const click = h.fake.click(`confirm:${proposalId}`, APPROVER, confirmation.id);

    // The first answer comes once the approval is recorded, the second once the orders are placed.
    await replyTo(h.fake, click.token, /orders placed/);
    expect(h.fake.gateway.identifies).toBe(1);
    expect(h.fake.gateway.resumes).toBeGreaterThanOrEqual(1);
    expect((await h.app.weekState('2024-03-04')).completed?.outcome).toBe('proposal');
    const stream = await events(h.app, proposalStream(proposalId));
    expect(ofType(stream, 'ProposalApproved')).toHaveLength(1);
    expect(ofType(stream, 'ExecutionCompleted')).toHaveLength(1);
  });

  it('When Discord answers a thread post with 500s, Then the failure is logged, the rest of the week still reaches Discord and the run completes', async () => {
    h.fake.failNext('POST', /^\/channels\/\d+\/messages$/, 500, 4); // discord.js retries a 500 three times
    const before = h.fake.requests.length;

    const state = await h.app.run({ week: '2024-02-26' });

    expect(state.completed?.outcome).toBe('proposal');
    const failed = h.fake.requests.slice(before).filter((r) => r.method === 'POST' && /^\/channels\/\d+\/messages$/.test(r.path));
    expect(failed.length).toBeGreaterThan(4);
    const thread = await threadFor(h.fake, '2024-02-26');
    await decisionMessage(h.fake, thread.id);
  });

  it('When a button or subcommand the bot does not know arrives, Then it is answered privately and nothing changes', async () => {
    const [message] = h.fake.messagesIn(h.fake.channelId);
    const button = h.fake.click('frobnicate:now', APPROVER, message!.id);
    const sub = h.fake.slash('dance', {}, APPROVER);

    expect((await replyTo(h.fake, button.token)).content).toBe('This button is no longer recognised; nothing was changed.');
    expect((await callbackOf(h.fake, button.token)).data?.flags).toBe(64);
    expect((await replyTo(h.fake, sub.token)).content).toContain('Unknown command /council dance');
  });

  it('When a click names a proposal that does not exist, Then the clicker is told so and the attempt leaves no approval', async () => {
    const [message] = h.fake.messagesIn(h.fake.channelId);
    const { token } = h.fake.click('approve:2099-01-05-abcdef', APPROVER, message!.id);

    expect((await replyTo(h.fake, token)).content).toContain('no proposal 2099-01-05-abcdef');
    expect(await events(h.app, proposalStream('2099-01-05-abcdef'))).toEqual([]);
  });

  it('When editing the deferred reply fails, Then the error is logged and the bot keeps answering later interactions', async () => {
    h.fake.failNext('PATCH', /^\/webhooks\//, 500, 8);
    const first = h.fake.slash('status', {}, STRANGER);
    await h.fake.waitFor('the failed edits', () => h.fake.interactionRequests(first.token).filter((r) => r.method === 'PATCH').length >= 4);

    const second = h.fake.slash('status', {}, STRANGER);
    const reply = await replyTo(h.fake, second.token, /Council status/);
    expect(reply.embeds[0]!.title).toBe('Council status');
    expect((await callbackOf(h.fake, second.token)).data?.flags).toBe(64);
  });

  it('When a stranger halts, Then they are refused; when an approver halts and resumes, Then the kill switch is recorded and announced in the channel', async () => {
    const refused = h.fake.slash('halt', {}, STRANGER);
    expect((await replyTo(h.fake, refused.token)).content).toContain(`discord:${STRANGER.id} may not halt trading`);

    const halt = h.fake.slash('halt', {}, APPROVER);
    await replyTo(h.fake, halt.token, /Trading halted/);
    const resume = h.fake.slash('resume', {}, APPROVER);
    await replyTo(h.fake, resume.token, /Trading resumed/);

    const refusals = await events(h.app, controlRefusalStream('main'));
    expect(refusals.map((e) => [e.type, (e.data as { by: string }).by])).toEqual([['HaltRefused', `discord:${STRANGER.id}`]]);
    const control = await events(h.app, controlStream('main'));
    expect(control.map((e) => [e.type, (e.data as { by: string }).by])).toEqual([
      ['Halted', `discord:${APPROVER.id}`],
      ['Resumed', `discord:${APPROVER.id}`],
    ]);
    const announced = await h.fake.waitFor('both announcements', () => {
      const texts = h.fake.messagesIn(h.fake.channelId).map((m) => m.content);
      return texts.some((t) => t.includes('Trading HALTED')) && texts.some((t) => t.includes('Trading resumed')) ? texts : undefined;
    });
    expect(announced.find((t) => t.includes('HALTED'))).toContain(`<@${APPROVER.id}>`);
  });
});
