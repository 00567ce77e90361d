/**
 * The approval modals' submissions (modals.ts): Approve places the ticked accounts' orders and declines
 * the rest; Reject records the reason typed (shown in the week's thread). Each is acknowledged once it is
 * recorded, which closes the modal; a refusal keeps the modal open with the reason under its input (and
 * a non-approver's attempt is recorded by the use case, as a click's is).
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { approveUntilRecorded, dispatch } from '../../dispatch.ts';
import { ACCOUNTS_BLOCK, checkedAccounts, parseMetadata, REASON_BLOCK, typedReason } from '../modals.ts';
import { failureText, type ListenerContext, lateSafe, principal, tellUser } from './context.ts';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** Slack shows at most this much of an input's error. */
const ERROR_MAX = 150;

const errors = (block: string, text: string) => ({ response_action: 'errors' as const, errors: { [block]: text.replace(/^:\w+: /, '').slice(0, ERROR_MAX) } });

export function approveSubmission(ctx: ListenerContext) {
  return async ({ ack: boltAck, body, view, client }: Args): Promise<void> => {
    const ack = lateSafe(boltAck, ctx.logger);
    const meta = parseMetadata(view.private_metadata);
    const firstBlock = `${ACCOUNTS_BLOCK}:0`;
    if (!meta) return ack(errors(firstBlock, 'This form is not one this bot made; nothing was done.'));
    const user = body.user.id;
    const accounts = checkedAccounts(view.state.values);
    try {
      const { done } = await approveUntilRecorded(ctx.app, meta.proposalId, { by: principal(user), via: 'slack' }, accounts);
      await ack();
      ctx.tasks.run('approve', async () => {
        await done.catch((error: unknown) => tellUser(client, ctx.logger, { user, channel: meta.channel }, failureText(error, ctx, 'Approve')));
      });
    } catch (error) {
      await ack(errors(firstBlock, failureText(error, ctx, 'Approve')));
    }
  };
}

export function rejectSubmission(ctx: ListenerContext) {
  return async ({ ack: boltAck, body, view }: Args): Promise<void> => {
    const ack = lateSafe(boltAck, ctx.logger);
    const meta = parseMetadata(view.private_metadata);
    if (!meta) return ack(errors(REASON_BLOCK, 'This form is not one this bot made; nothing was done.'));
    try {
      await dispatch(ctx.app, { kind: 'reject', proposalId: meta.proposalId, reason: typedReason(view.state.values) ?? undefined }, { by: principal(body.user.id), via: 'slack' });
      await ack();
    } catch (error) {
      await ack(errors(REASON_BLOCK, failureText(error, ctx, 'Reject')));
    }
  };
}
