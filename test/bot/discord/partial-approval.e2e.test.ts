/**
 * Discord asks before approving, approves only the accounts chosen, and asks why on Reject: the real
 * discord.js client against the fake Discord (select menus, update callbacks, modals and their submissions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusalStream } from '../../../src/pipeline/execution.ts';
import { proposalStream } from '../../../src/pipeline/run.ts';
import type { FakeMessage } from '../../fakes/discord.ts';
import { APPROVER, callbackOf, confirmationFor, type DiscordHarness, decisionMessage, events, menuOf, ofType, replyTo, STRANGER, startHarness, threadFor } from './support.ts';

let h: DiscordHarness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('Discord: confirming an approval, choosing its accounts, and rejecting with a reason', () => {
  let proposalId: string;
  let decision: FakeMessage;
  let confirmation: FakeMessage;
  let chosen: string[];

  it('When an approver clicks Approve, Then they are asked privately first, every account selected, and nothing is approved yet', async () => {
    const state = await h.app.run({ week: '2024-03-04' });
    proposalId = state.proposal!.proposalId;
    decision = await decisionMessage(h.fake, (await threadFor(h.fake, '2024-03-04')).id);

    const { token } = h.fake.click(`approve:${proposalId}`, APPROVER, decision.id);
    expect(await callbackOf(h.fake, token)).toMatchObject({ type: 4, data: { flags: 64 } }); // answered at once, privately
    confirmation = await confirmationFor(h.fake, token);
    const menu = menuOf(confirmation);
    expect(menu.offered).toHaveLength(6);
    expect(menu.selected).toEqual(menu.offered);
    expect(confirmation.components.flatMap((r) => r.components).map((c) => ('custom_id' in c ? c.custom_id : ''))).toEqual([`accounts:${proposalId}`, `confirm:${proposalId}`]);
    expect(confirmation.content).toContain(`Approve proposal ${proposalId}?`);
    expect(ofType(await events(h.app, proposalStream(proposalId)), 'ProposalApproved')).toEqual([]);
  });

  it('When someone who is not an approver confirms a partial approval, Then it is refused, recorded, and nothing is placed', async () => {
    const { token } = h.fake.click(`confirm:${proposalId}`, STRANGER, confirmation.id);
    await replyTo(h.fake, token, /may not approve/);
    expect(ofType(await events(h.app, refusalStream(proposalId)), 'ApprovalRefused').map((e) => e.data)).toEqual([
      expect.objectContaining({ by: `discord:${STRANGER.id}`, via: 'discord', action: 'approve', reason: 'not an approver' }),
    ]);
    expect(ofType(await events(h.app, proposalStream(proposalId)), 'OrderSubmitted')).toEqual([]);
  });

  it('When the approver selects two of six accounts and confirms, Then only those two are placed and the other four are recorded as declined', async () => {
    const traded = [...new Set((await h.app.proposal(proposalId)).orders.map((o) => o.account))];
    chosen = traded.slice(0, 2);
    const edits = confirmation.edits;
    h.fake.selectMenu(`accounts:${proposalId}`, chosen, APPROVER, confirmation.id);
    await h.fake.waitFor('the confirmation updated', () => h.fake.messages.get(confirmation.id)!.edits > edits);
    const menu = menuOf(h.fake.messages.get(confirmation.id)!);
    expect(menu.selected).toEqual(menu.offered.filter((a) => chosen.includes(a)));

    const { token } = h.fake.click(`confirm:${proposalId}`, APPROVER, confirmation.id);
    await replyTo(h.fake, token, /orders placed/);
    const stream = await events(h.app, proposalStream(proposalId));
    expect(ofType(stream, 'ProposalApproved').map((e) => e.data)).toEqual([
      expect.objectContaining({
        by: `discord:${APPROVER.id}`,
        accounts: menu.offered.filter((a) => chosen.includes(a)),
        declined: menu.offered.filter((a) => !chosen.includes(a)),
      }),
    ]);
    const placed = ofType(stream, 'OrderSubmitted').map((e) => (e.data as { account: string }).account);
    expect(placed.length).toBeGreaterThan(0);
    expect(new Set(placed)).toEqual(new Set(chosen));
    // The confirmation lost its components at once: it cannot be confirmed twice.
    expect(h.fake.messages.get(confirmation.id)!.components).toEqual([]);
  });

  it('When an approver clicks Reject, Then a modal asks why, and the reason is recorded and shown in the thread', async () => {
    const state = await h.app.run({ week: '2024-03-11' });
    const id = state.proposal!.proposalId;
    const thread = await threadFor(h.fake, '2024-03-11');
    const message = await decisionMessage(h.fake, thread.id);

    const { token } = h.fake.click(`reject:${id}`, APPROVER, message.id);
    const modal = await h.fake.waitFor('the reject modal', () => h.fake.modals.find((m) => m.token === token));
    expect(modal.data.custom_id).toBe(`why:${id}`);
    expect(ofType(await events(h.app, proposalStream(id)), 'ProposalRejected')).toEqual([]);

    const submitted = h.fake.submitModal(modal, { reason: 'Rates are the risk this week.' }, APPROVER);
    await replyTo(h.fake, submitted.token, /You rejected/);
    expect(ofType(await events(h.app, proposalStream(id)), 'ProposalRejected').map((e) => e.data)).toEqual([
      expect.objectContaining({ by: `discord:${APPROVER.id}`, via: 'discord', reason: 'Rates are the risk this week.' }),
    ]);
    await h.fake.waitFor('the reason in the thread', () => h.fake.messagesIn(thread.id).find((m) => m.content.includes('Rates are the risk this week.')));
    expect(ofType(await events(h.app, proposalStream(id)), 'OrderSubmitted')).toEqual([]);
  });
});
