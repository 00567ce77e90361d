/**
 * The permanent Approve / Reject handlers, keyed by custom id `approve:<id>` / `reject:<id>`. They hold
 * nothing in memory: the proposal is loaded from the store, the clicker authorised here (approver list
 * or role), and the decider settles double clicks and clicks from other platforms to one execution.
 * Everyone but the clicker learns the outcome from the notices, which edit the decision message.
 * An approver's click on a pending proposal asks first (approval-steps.ts); these act on any other.
 */
import { type ButtonInteraction, MessageFlags } from 'discord.js';
import { approveUntilRecorded, dispatch } from '../../dispatch.ts';
import type { ProposalAction } from '../ids.ts';
import { actionable, askToApprove, askWhy } from './approval-steps.ts';
import { discordAuthoriser, type HandlerContext, principalOf } from './context.ts';

type Handler = (i: ButtonInteraction, ctx: HandlerContext, proposalId: string) => Promise<void>;

/** Deferred at once (Discord's 3 s), answered as soon as the approval is recorded, then again with the orders. */
const approve: Handler = async (i, ctx, proposalId) => {
  const pending = await actionable(i, ctx, proposalId, 'approve');
  if (pending) return askToApprove(i, pending);
  await i.deferReply({ flags: MessageFlags.Ephemeral });
  const { done } = await approveUntilRecorded(ctx.app, proposalId, { by: principalOf(i), via: 'discord', authoriser: discordAuthoriser(ctx, i) });
  await i.editReply(`You approved ${proposalId}: the approval is recorded and the orders are going out. The decision message shows the outcome.`);
  const { orders } = await done;
  const filled = orders.filter((o) => o.status === 'filled').length;
  await i.editReply(`You approved ${proposalId}: ${orders.length} orders placed, ${filled} filled so far. The decision message shows the outcome.`);
};

const reject: Handler = async (i, ctx, proposalId) => {
  const pending = await actionable(i, ctx, proposalId, 'reject');
  if (pending) return askWhy(i, pending);
  await i.deferReply({ flags: MessageFlags.Ephemeral });
  await dispatch(ctx.app, { kind: 'reject', proposalId, reason: undefined }, { by: principalOf(i), via: 'discord', authoriser: discordAuthoriser(ctx, i) });
  await i.editReply(`You rejected ${proposalId}. Nothing will be placed.`);
};

export const PROPOSAL_HANDLERS: ReadonlyMap<ProposalAction, Handler> = new Map<ProposalAction, Handler>([
  ['approve', approve],
  ['reject', reject],
]);
