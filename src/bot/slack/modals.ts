/**
 * The approval modals: Approve opens one with a checkbox per account (all ticked; the unticked are
 * declined), Reject one asking why (optional). Each carries its proposal and the channel it was opened
 * from in `private_metadata`, read back with zod when it is submitted; nothing is held in memory between
 * the click and the submission, which may come minutes later to another replica.
 */
import type { types } from '@slack/bolt';
import { z } from 'zod';
import { type ProposalState, proposalAccounts } from '../../domain/proposal.ts';
import { Direction } from '../../domain/schemas.ts';
import { orderText, TARGETS_NOTE, targetText, truncate, view } from '../format.ts';
import { type Block, esc, section } from './blocks.ts';

export const APPROVE_MODAL = 'approve_proposal';
export const REJECT_MODAL = 'reject_proposal';
/** Checkboxes hold ten options at most: the accounts go in blocks of ten, `accounts:0`, `accounts:1`, ... */
export const ACCOUNTS_BLOCK = 'accounts';
const ACCOUNTS_ACTION = 'accounts';
export const REASON_BLOCK = 'reason';
const REASON_ACTION = 'reason';
const REASON_MAX = 500;

export type ModalView = types.ModalView;

const Metadata = z.object({
  proposalId: z
    .string()
    .min(4)
    .max(64)
    .regex(/^[\w-]+$/),
  /** The channel the button was in; null from the Home tab. */
  channel: z
    .string()
    .max(64)
    .regex(/^[\w-]+$/)
    .nullable(),
});
export type ModalMetadata = z.infer<typeof Metadata>;

export function parseMetadata(raw: string): ModalMetadata | undefined {
  try {
    const parsed = Metadata.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const plain = (text: string, max: number) => ({ type: 'plain_text' as const, text: truncate(text, max) });

function heading(p: ProposalState): Block {
  const d = p.decision;
  const direction = Direction.safeParse(d?.direction);
  const what = d && direction.success ? `: ${esc(view(d.instrument, direction.data, d.conviction))}` : '';
  return section(`*Proposal \`${esc(p.proposalId)}\`*${what}, week of ${esc(p.week)}.`);
}

/** One option per account: its name and the orders it would place (as shown; recomputed at the approval). */
function accountOption(p: ProposalState, account: string): types.Option {
  const orders = p.orders.filter((o) => o.account === account).map((o) => orderText(o).slice(account.length + 2));
  return { text: plain(`${account}: ${orders.length ? orders.join(', ') : 'no orders (holds its target)'}`, 150), value: account };
}

export function approveModal(p: ProposalState, channel: string | null): ModalView {
  const accounts = proposalAccounts(p);
  const chunks: string[][] = [];
  for (let i = 0; i < accounts.length; i += 10) chunks.push(accounts.slice(i, i + 10));
  const inputs = chunks.map((chunk, i): types.InputBlock => {
    const options = chunk.map((a) => accountOption(p, a));
    return {
      type: 'input',
      block_id: `${ACCOUNTS_BLOCK}:${i}`,
      // Every block optional: an empty choice is answered with a clear error, not Slack's "required".
      optional: true,
      label: plain(i === 0 ? 'Accounts to approve' : 'More accounts', 2000),
      element: { type: 'checkboxes', action_id: ACCOUNTS_ACTION, options, initial_options: options },
    };
  });
  return {
    type: 'modal',
    callback_id: APPROVE_MODAL,
    private_metadata: JSON.stringify({ proposalId: p.proposalId, channel } satisfies ModalMetadata),
    title: plain('Approve proposal', 24),
    submit: plain('Approve and place', 24),
    close: plain('Cancel', 24),
    blocks: [
      heading(p),
      ...(p.targets?.length ? [section(truncate(['Targets, what each account holds afterwards:', ...p.targets.map((t) => `• ${esc(targetText(t))}`)].join('\n'), 3_000))] : []),
      section(`Untick an account to decline it: nothing is placed there. ${TARGETS_NOTE}`),
      ...inputs,
    ],
  };
}

export function rejectModal(p: ProposalState, channel: string | null): ModalView {
  return {
    type: 'modal',
    callback_id: REJECT_MODAL,
    private_metadata: JSON.stringify({ proposalId: p.proposalId, channel } satisfies ModalMetadata),
    title: plain('Reject proposal', 24),
    submit: plain('Reject', 24),
    close: plain('Cancel', 24),
    blocks: [
      heading(p),
      {
        type: 'input',
        block_id: REASON_BLOCK,
        optional: true,
        label: plain('Why? (optional; shown in the thread)', 2000),
        element: { type: 'plain_text_input', action_id: REASON_ACTION, multiline: true, max_length: REASON_MAX },
      },
    ],
  };
}

const Values = z.record(z.string(), z.record(z.string(), z.looseObject({ type: z.string() })));
const Checked = z.object({ selected_options: z.array(z.object({ value: z.string().max(150) })).max(10) });
const Typed = z.object({ value: z.string().max(REASON_MAX).nullish() });

/** The accounts ticked in a submitted approve modal, in the order shown. */
export function checkedAccounts(values: unknown): string[] {
  const parsed = Values.safeParse(values);
  if (!parsed.success) return [];
  return Object.entries(parsed.data)
    .filter(([block]) => block.startsWith(`${ACCOUNTS_BLOCK}:`))
    .sort(([a], [b]) => Number(a.split(':')[1]) - Number(b.split(':')[1]))
    .flatMap(([, actions]) => Checked.safeParse(actions[ACCOUNTS_ACTION]).data?.selected_options.map((o) => o.value) ?? []);
}

/** The reason typed in a submitted reject modal, or null when none was. */
export function typedReason(values: unknown): string | null {
  const parsed = Values.safeParse(values);
  const reason = parsed.success ? Typed.safeParse(parsed.data[REASON_BLOCK]?.[REASON_ACTION]).data?.value?.trim() : undefined;
  return reason ? reason : null;
}
