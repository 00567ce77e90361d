/**
 * Approve asks first, Reject asks why. An approver's Approve on a pending proposal is answered at once
 * with a private confirmation: a select menu of its accounts (all selected; those left out are
 * declined) and a Confirm button. The menu's choice is kept in the message itself (each choice
 * updates its defaults), so Confirm reads it from the message it is on: nothing is held in memory, and
 * a Confirm after a restart still approves what was chosen. An approver's Reject opens a modal asking
 * why (optional; recorded and shown in the thread). Anyone else, or a proposal no longer pending, goes
 * straight to the use case, which refuses and records as before (proposal-buttons.ts).
 */
import { type ButtonInteraction, ButtonStyle, ComponentType, MessageFlags, type ModalSubmitInteraction, type StringSelectMenuInteraction, TextInputStyle } from 'discord.js';
import { z } from 'zod';
import { type ProposalState, proposalAccounts } from '../../../domain/proposal.ts';
import { approveUntilRecorded, dispatch } from '../../dispatch.ts';
import { orderText, truncate } from '../../format.ts';
import { proposalCustomId } from '../ids.ts';
import { clampContent } from '../limits.ts';
import { discordAuthoriser, type HandlerContext, principalOf } from './context.ts';

/** Discord's select menu holds 25 options. */
const MAX_ACCOUNTS = 25;
const REASON_INPUT = 'reason';
const REASON_MAX = 500;

/** The proposal when the clicker may act on it and it is still pending; undefined sends the click to the use case. */
export async function actionable(i: ButtonInteraction, ctx: HandlerContext, proposalId: string, action: 'approve' | 'reject'): Promise<ProposalState | undefined> {
  if (!discordAuthoriser(ctx, i).mayApprove(principalOf(i), action)) return undefined;
  const proposal = await ctx.app.proposal(proposalId);
  if (!proposal.exists || proposal.status !== 'PENDING' || ctx.app.clock.now().getTime() >= Date.parse(proposal.expiresAt)) return undefined;
  return proposal;
}

const ordersOf = (p: ProposalState, account: string) =>
  p.orders
    .filter((o) => o.account === account)
    .map((o) => orderText(o).slice(account.length + 2))
    .join(', ') || 'no orders (holds its target)';

/** The confirmation: what each account would place, the accounts menu with `selected` as its defaults, and Confirm. */
export function confirmation(p: ProposalState, selected: readonly string[]) {
  const accounts = proposalAccounts(p).slice(0, MAX_ACCOUNTS);
  const chosen = accounts.filter((a) => selected.includes(a));
  const declined = accounts.filter((a) => !selected.includes(a));
  return {
    content: clampContent(
      [
        `**Approve proposal ${p.proposalId}?** Choose the accounts below (those left out are declined: nothing is placed there), then Confirm.`,
        `Approving: ${chosen.join(', ') || 'none'}${declined.length ? `. Declining: ${declined.join(', ')}` : ''}.`,
        'The orders are computed again from each book when you confirm.',
      ].join('\n'),
    ),
    components: [
      {
        type: ComponentType.ActionRow as const,
        components: [
          {
            type: ComponentType.StringSelect as const,
            custom_id: proposalCustomId('accounts', p.proposalId),
            placeholder: 'Accounts to approve',
            min_values: 1,
            max_values: accounts.length,
            options: accounts.map((a) => ({ label: a, value: a, description: truncate(ordersOf(p, a), 100), default: selected.includes(a) })),
          },
        ],
      },
      {
        type: ComponentType.ActionRow as const,
        components: [{ type: ComponentType.Button as const, style: ButtonStyle.Success, label: 'Confirm approval', custom_id: proposalCustomId('confirm', p.proposalId) }],
      },
    ],
    allowedMentions: { parse: [] },
  };
}

/** Approve, for an approver on a pending proposal: the private confirmation, every account selected. */
export async function askToApprove(i: ButtonInteraction, proposal: ProposalState): Promise<void> {
  await i.reply({ ...confirmation(proposal, proposalAccounts(proposal)), flags: MessageFlags.Ephemeral });
}

/** A choice in the accounts menu: the confirmation again, with the choice as its defaults (where Confirm reads it). */
export async function chooseAccounts(i: StringSelectMenuInteraction, ctx: HandlerContext, proposalId: string): Promise<void> {
  const proposal = await ctx.app.proposal(proposalId);
  await i.update(confirmation(proposal, i.values));
}

const MenuRow = z.looseObject({
  components: z.array(
    z.looseObject({ type: z.number(), custom_id: z.string().optional(), options: z.array(z.looseObject({ value: z.string(), default: z.boolean().optional() })).optional() }),
  ),
});

/** The accounts selected in the confirmation's menu, as the message carries them. */
function selectedIn(i: ButtonInteraction, proposalId: string): string[] {
  const menuId = proposalCustomId('accounts', proposalId);
  return i.message.components.flatMap((row) => {
    const parsed = MenuRow.safeParse(row.toJSON());
    if (!parsed.success) return [];
    return parsed.data.components.flatMap((c) =>
      c.type === ComponentType.StringSelect && c.custom_id === menuId ? (c.options ?? []).filter((o) => o.default).map((o) => o.value) : [],
    );
  });
}

/**
 * Confirm: approves the selected accounts. The confirmation is replaced at once (no second Confirm), then
 * says what happened. Anyone who may not approve is refused (and recorded) by the use case, the
 * confirmation left as it was.
 */
export async function confirmApproval(i: ButtonInteraction, ctx: HandlerContext, proposalId: string): Promise<void> {
  const accounts = selectedIn(i, proposalId);
  const by = principalOf(i);
  if (!discordAuthoriser(ctx, i).mayApprove(by, 'approve')) {
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    await ctx.app.approve({ proposalId, by, via: 'discord', accounts, authoriser: discordAuthoriser(ctx, i) });
    return;
  }
  await i.update({ content: `Approving ${proposalId} for ${accounts.join(', ') || 'no account'}…`, components: [] });
  const { done } = await approveUntilRecorded(ctx.app, proposalId, { by: principalOf(i), via: 'discord', authoriser: discordAuthoriser(ctx, i) }, accounts);
  await i.editReply(`You approved ${proposalId} for ${accounts.join(', ')}: the approval is recorded and the orders are going out. The decision message shows the outcome.`);
  const { orders, state } = await done;
  const filled = orders.filter((o) => o.status === 'filled').length;
  const declined = state.declined.length ? ` Declined: ${state.declined.join(', ')}.` : '';
  await i.editReply(
    `You approved ${proposalId} for ${accounts.join(', ')}: ${orders.length} orders placed, ${filled} filled so far.${declined} The decision message shows the outcome.`,
  );
}

/** Reject, for an approver on a pending proposal: a modal asking why. */
export async function askWhy(i: ButtonInteraction, proposal: ProposalState): Promise<void> {
  await i.showModal({
    custom_id: proposalCustomId('why', proposal.proposalId),
    title: truncate(`Reject ${proposal.proposalId}`, 45),
    components: [
      {
        type: ComponentType.Label,
        label: 'Why? (optional)',
        description: 'Recorded with the rejection and shown in the thread.',
        component: { type: ComponentType.TextInput, custom_id: REASON_INPUT, style: TextInputStyle.Paragraph, required: false, max_length: REASON_MAX },
      },
    ],
  });
}

/** The reject modal submitted: the proposal is rejected with the reason given, if any. */
export async function rejectWithReason(i: ModalSubmitInteraction, ctx: HandlerContext, proposalId: string): Promise<void> {
  await i.deferReply({ flags: MessageFlags.Ephemeral });
  const reason = i.fields.getTextInputValue(REASON_INPUT).trim() || undefined;
  await dispatch(ctx.app, { kind: 'reject', proposalId, reason }, { by: principalOf(i), via: 'discord', authoriser: discordAuthoriser(ctx, i) });
  await i.editReply(`You rejected ${proposalId}${reason ? ` (${reason})` : ''}. Nothing will be placed.`);
}
