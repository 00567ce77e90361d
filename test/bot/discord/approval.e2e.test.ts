/**
 * The council in a Discord channel, end to end through the real discord.js client against the fake
 * Discord: /council run, the thread and its embeds, the buttons, refusals and exactly-once execution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveEverything } from '../../../src/app/authoriser.ts';
import { chatStream } from '../../../src/bot/discord/threads.ts';
import { refusalStream } from '../../../src/pipeline/execution.ts';
import { proposalStream } from '../../../src/pipeline/run.ts';
import { buttonIds, type FakeMessage } from '../../fakes/discord.ts';
import {
  APPROVER,
  type DiscordHarness,
  ROLE_APPROVER,
  STRANGER,
  callbackOf,
  confirmationFor,
  decisionMessage,
  events,
  ofType,
  replyTo,
  startHarness,
  threadFor,
} from './support.ts';

let h: DiscordHarness;
let threadId: string;
let decision: FakeMessage;
let proposalId: string;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('Discord: a council week from /council run to execution', () => {
  it('When /council run is typed, Then the reply is deferred privately, a thread opens for the week, pitches, reviews and the decision arrive as embeds with Approve and Reject buttons, and the parent message shows the outcome', async () => {
    const { token } = h.fake.slash('run', { week: '2024-03-04', query: 'Is the rally stretched?' }, STRANGER);

    expect(await callbackOf(h.fake, token)).toEqual({ type: 5, data: { flags: 64 } }); // deferred, private to the asker
    await replyTo(h.fake, token, /Convening the council for the week of 2024-03-04/);
    const thread = await threadFor(h.fake, '2024-03-04');
    threadId = thread.id;
    expect(thread.parent_id).toBe(h.fake.channelId);
    decision = await decisionMessage(h.fake, threadId);
    const parent = await h.fake.waitFor('the parent message with the outcome', () => {
      const m = h.fake.messages.get(thread.parentMessageId);
      return m?.content.includes('Outcome') ? m : undefined;
    });

    expect(parent.channelId).toBe(h.fake.channelId);
    expect(parent.content).toContain('**Question from the desk:** Is the rally stretched?');
    expect(parent.content).toContain(`run by <@${STRANGER.id}>`);
    expect(parent.content).toContain('✅ Research · ✅ Pitches · ✅ Review · ✅ Decision');
    expect(parent.edits).toBeGreaterThan(3);

    const posted = h.fake.messagesIn(threadId);
    const titles = posted.flatMap((m) => m.embeds.map((e) => e.title ?? ''));
    expect(titles[0]).toBe('Research, week of 2024-03-04');
    const pitches = posted.flatMap((m) => m.embeds).filter((e) => e.title?.startsWith('Pitch '));
    expect(pitches.map((e) => e.title?.slice(0, 8))).toEqual(['Pitch A:', 'Pitch B:', 'Pitch C:', 'Pitch D:', 'Pitch E:']);
    // Anonymised until the decision: no seat or model names in the pitches.
    expect(JSON.stringify(pitches)).not.toMatch(/CHATGPT|GEMINI|CLAUDE|builtin:/);
    for (const p of pitches) expect(p.color).toBe(p.title?.includes('LONG') ? 0x2ecc71 : p.title?.includes('SHORT') ? 0xe74c3c : 0x95a5a6);
    expect(titles).toContain('Blind peer review (scores 1-10, averaged over reviewers)');
    expect(titles.some((t) => t.startsWith('Council decision, week of 2024-03-04'))).toBe(true);

    const state = await h.app.weekState('2024-03-04');
    proposalId = state.proposal!.proposalId;
    expect(buttonIds(decision)).toEqual([`approve:${proposalId}`, `reject:${proposalId}`]);
    expect(decision.components[0]!.components.map((b) => (b as { style?: number }).style)).toEqual([3, 4]); // Success, Danger
    const fields = decision.embeds[0]!.fields!.map((f) => f.name);
    expect(fields).toEqual([
      'Who pitched what (revealed now)',
      `Targets: what each account holds afterwards (${state.proposal!.targets!.length})`,
      `Orders (${state.proposal!.orders.length})`,
      'Cost',
    ]);

    const chat = await events(h.app, chatStream('main', '2024-03-04'));
    expect(chat.map((e) => e.type)).toEqual(['DiscordThreadOpened', 'DiscordDecisionPosted']);
    expect(chat[0]!.data).toEqual({ channelId: h.fake.channelId, parentId: thread.parentMessageId, threadId });
    expect(chat[1]!.data).toEqual({ proposalId, messageId: decision.id });
  });

  it('When someone who is not an approver clicks Approve, Then they alone are told no, the refusal is recorded as ApprovalRefused and nothing is placed', async () => {
    const { token } = h.fake.click(`approve:${proposalId}`, STRANGER, decision.id);

    expect(await callbackOf(h.fake, token)).toEqual({ type: 5, data: { flags: 64 } }); // deferred, ephemeral
    const reply = await replyTo(h.fake, token, /may not approve/);
    expect(reply.content).toContain(`discord:${STRANGER.id} may not approve proposals`);

    const stream = await events(h.app, proposalStream(proposalId));
    expect(ofType(await events(h.app, refusalStream(proposalId)), 'ApprovalRefused').map((e) => e.data)).toEqual([
      { by: `discord:${STRANGER.id}`, at: '2024-03-04T12:00:00.000Z', via: 'discord', action: 'approve', reason: 'not an approver' },
    ]);
    expect(ofType(stream, 'ProposalApproved')).toEqual([]);
    expect(ofType(stream, 'OrderSubmitted')).toEqual([]);
    expect(buttonIds(h.fake.messages.get(decision.id)!)).toHaveLength(2);
  });

  it('When an approver clicks Approve and confirms, Then every order executes once on the simulated broker and the decision message loses its buttons and shows the outcome', async () => {
    const asked = h.fake.click(`approve:${proposalId}`, APPROVER, decision.id);
    const confirmation = await confirmationFor(h.fake, asked.token);
    const { token } = h.fake.click(`confirm:${proposalId}`, APPROVER, confirmation.id);

    await replyTo(h.fake, token, /You approved/);
    const updated = await h.fake.waitFor('the decision message marked executed', () => {
      const m = h.fake.messages.get(decision.id);
      return m?.content.includes('Executed') ? m : undefined;
    });
    expect(updated.components).toEqual([]);
    expect(updated.content).toContain(`approved by <@${APPROVER.id}> via discord`);
    expect(updated.embeds).toEqual(decision.embeds);

    const stream = await events(h.app, proposalStream(proposalId));
    const orders = (await h.app.weekState('2024-03-04')).proposal!.orders;
    expect(ofType(stream, 'ProposalApproved').map((e) => e.data)).toEqual([expect.objectContaining({ by: `discord:${APPROVER.id}`, via: 'discord' })]);
    expect(ofType(stream, 'OrderSubmitted')).toHaveLength(orders.length);
    expect(ofType(stream, 'OrderFilled')).toHaveLength(orders.length);
    expect(ofType(stream, 'ExecutionCompleted')).toHaveLength(1);
    await h.fake.waitFor('the execution report in the thread', () =>
      h.fake.messagesIn(threadId).some((m) => m.embeds.some((e) => e.title === `Orders for proposal ${proposalId}`)),
    );
  });

  it('When Approve is clicked a second time, Then nothing more is placed and the clicker is told it was already approved', async () => {
    const before = await events(h.app, proposalStream(proposalId));
    const { token } = h.fake.click(`approve:${proposalId}`, APPROVER, decision.id);

    const reply = await replyTo(h.fake, token, /already approved/);
    expect(reply.content).toContain(`was already approved by discord:${APPROVER.id}`);
    const after = await events(h.app, proposalStream(proposalId));
    expect(after.length).toBe(before.length);
  });

  it('When Slack and a Discord role approver approve the same proposal at once, Then it executes exactly once', async () => {
    // The next week's proposal, started by the schedule or the CLI, not from Discord: it gets its own thread
    // (a later week: simulated time only moves forward, and its targets account for the book week 1 left).
    const state = await h.app.run({ week: '2024-03-11' });
    const id = state.proposal!.proposalId;
    const thread = await threadFor(h.fake, '2024-03-11');
    const message = await decisionMessage(h.fake, thread.id);

    const asked = h.fake.click(`approve:${id}`, ROLE_APPROVER, message.id);
    const confirmation = await confirmationFor(h.fake, asked.token);
    const { token } = h.fake.click(`confirm:${id}`, ROLE_APPROVER, confirmation.id);
    const slack = h.app.approve({ proposalId: id, by: 'slack:U1', via: 'slack', authoriser: approveEverything }).then(
      () => 'approved',
      (e: Error) => e.message,
    );
    const [slackOutcome, discordReply] = await Promise.all([slack, replyTo(h.fake, token, /You approved|already approved/)]);

    const stream = await events(h.app, proposalStream(id));
    const approvals = ofType(stream, 'ProposalApproved');
    expect(approvals).toHaveLength(1);
    const winner = (approvals[0]!.data as { by: string }).by;
    expect([`discord:${ROLE_APPROVER.id}`, 'slack:U1']).toContain(winner);
    expect(winner === 'slack:U1' ? discordReply.content : slackOutcome).toMatch(/already approved/);
    const submitted = ofType(stream, 'OrderSubmitted').map((e) => (e.data as { clientOrderId: string }).clientOrderId);
    expect(submitted).toHaveLength(state.proposal!.orders.length);
    expect(new Set(submitted).size).toBe(submitted.length);
    expect(ofType(stream, 'ApprovalRefused')).toEqual([]);
  });
});
