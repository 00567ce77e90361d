/**
 * The Approve and Reject buttons: permanent, stateless handlers keyed by `approve:<id>` /
 * `reject:<id>`. Everything comes from the event store, so a click hours later or after a restart
 * works the same; the proposal decider makes a second click or a redelivery place nothing. An
 * approver's click on a pending proposal is acknowledged at once and opens a modal from its trigger id
 * (Approve: which accounts; Reject: why), whose submission acts (approval-modal.ts). Any other click
 * goes straight to the use case, which refuses it (and records a non-approver's attempt); it is
 * acknowledged only after that is recorded. The buttons work the same from the Home tab (app-home.ts).
 */
import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { approveUntilRecorded, dispatch } from '../../dispatch.ts';
import { approveModal, type ModalView, rejectModal } from '../modals.ts';
import { type ListenerContext, failureText, lateSafe, principal, tellUser } from './context.ts';

type Args = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

/** Matches the action ids the decision message carries; zod then checks the whole action. */
export const PROPOSAL_ACTION = /^(approve|reject):/;

const ProposalAction = z.object({
  action_id: z
    .string()
    .max(255)
    .regex(/^(approve|reject):[\w-]{4,64}$/),
  value: z.string().max(255).optional(),
});

/** Every other action id: buttons this bot never made (an old app's, or a forged payload). */
export const FOREIGN_ACTION = /^(?!(approve|reject|exit):)/;

/** Answers a button this bot never made at once (not after Bolt's 3 s wait), privately, and logs it. */
export function foreignAction(ctx: ListenerContext) {
  return async ({ ack, body, action, client }: Args): Promise<void> => {
    await ack();
    const channel = body.channel?.id ?? body.container?.channel_id;
    ctx.logger.warn({ user: body.user.id, actionId: (action as { action_id?: unknown }).action_id }, 'slack: a button this bot never made');
    if (channel) await client.chat.postEphemeral({ channel, user: body.user.id, text: ':warning: That button is not one this bot made; nothing was done.' });
  };
}

export function parseProposalAction(action: unknown): { kind: 'approve' | 'reject'; proposalId: string } | undefined {
  const parsed = ProposalAction.safeParse(action);
  if (!parsed.success) return undefined;
  const [kind, proposalId] = parsed.data.action_id.split(':') as ['approve' | 'reject', string];
  return { kind, proposalId };
}

export function proposalAction(ctx: ListenerContext) {
  return async ({ ack: boltAck, body, action, client, context }: Args): Promise<void> => {
    const ack = lateSafe(boltAck, ctx.logger);
    const user = body.user.id;
    const channel = body.channel?.id ?? body.container?.channel_id;
    const ephemeral = (text: string) => tellUser(client, ctx.logger, { user, channel }, text);
    const parsed = parseProposalAction(action);
    if (!parsed) {
      await ack();
      await ephemeral(':warning: That button is not one this bot made; nothing was done.');
      return;
    }
    const by = principal(user);
    // Authorised and, when refused, recorded by the app, so every channel's refusals look alike.
    if (context.retryNum) ctx.logger.info({ retryNum: context.retryNum, retryReason: context.retryReason, proposalId: parsed.proposalId }, 'slack: redelivered click');
    const what = parsed.kind === 'approve' ? 'Approve' : 'Reject';
    const modal = body.trigger_id ? await modalFor(ctx, parsed, by, channel ?? null).catch(() => undefined) : undefined;
    if (modal && body.trigger_id) {
      await ack();
      await client.views.open({ trigger_id: body.trigger_id, view: modal }).catch((error: unknown) => ephemeral(failureText(error, ctx, what)));
      return;
    }
    // Acknowledged once the click is recorded (Slack waits 3 s; recording takes milliseconds), never before.
    try {
      if (parsed.kind === 'approve') {
        const { done } = await approveUntilRecorded(ctx.app, parsed.proposalId, { by, via: 'slack' });
        await ack();
        ctx.tasks.run('approve', async () => {
          await done.catch((error: unknown) => ephemeral(failureText(error, ctx, what)));
        });
      } else {
        await dispatch(ctx.app, { kind: 'reject', proposalId: parsed.proposalId, reason: undefined }, { by, via: 'slack' });
        await ack();
      }
    } catch (error) {
      await ack();
      await ephemeral(failureText(error, ctx, what));
    }
  };
}

/**
 * The modal an approver's click opens on a pending proposal, or undefined when the click should go
 * straight to the use case: a non-approver (refused and recorded there) or a proposal no longer pending
 * (answered with what happened to it).
 */
async function modalFor(ctx: ListenerContext, parsed: { kind: 'approve' | 'reject'; proposalId: string }, by: string, channel: string | null): Promise<ModalView | undefined> {
  if (!ctx.app.isApprover(by)) return undefined;
  const proposal = await ctx.app.proposal(parsed.proposalId);
  if (!proposal.exists || proposal.status !== 'PENDING' || ctx.app.clock.now().getTime() >= Date.parse(proposal.expiresAt)) return undefined;
  return parsed.kind === 'approve' ? approveModal(proposal, channel) : rejectModal(proposal, channel);
}
