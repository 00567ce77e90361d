/**
 * The desk's confirm button: `/council exit …` answers privately with what it would close and a
 * "Close now" button (with Slack's confirm dialog); the click carries the request, checked with zod,
 * and closes through the same use case as every channel. Stateless: a click after a restart works.
 */
import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import type { DeskPosition } from '../../../app/index.ts';
import type { CouncilCommand } from '../../commands.ts';
import { exitConfirmText, exitResultLines } from '../../desk-text.ts';
import { dispatch } from '../../dispatch.ts';
import { actions, type Block, codeBlock, esc, section, type SlackMessage } from '../blocks.ts';
import { type ListenerContext, failureText, lateSafe, principal } from './context.ts';

type Args = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

export const EXIT_ACTION = 'exit:confirm';

/** What the button carries: the exit as asked (no principal: the clicker is who acts). */
const ExitValue = z.object({
  account: z.string().regex(/^[\w-]{1,40}$/),
  symbol: z
    .string()
    .regex(/^[A-Z][A-Z.]{0,9}$/)
    .optional(),
  reason: z.string().max(500).optional(),
});

/** The private answer to an unconfirmed exit: what it would close, and the button that closes it. */
export function exitConfirmMessage(command: Extract<CouncilCommand, { kind: 'exit' }>, positions: readonly DeskPosition[]): SlackMessage {
  const text = exitConfirmText(positions, command.reason);
  const value = JSON.stringify({
    account: command.account,
    ...(command.symbol ? { symbol: command.symbol } : {}),
    ...(command.reason ? { reason: command.reason.slice(0, 150) } : {}),
  });
  const blocks: Block[] = [
    section(esc(text)),
    actions('desk-exit', [
      {
        text: 'Close now',
        actionId: EXIT_ACTION,
        value,
        style: 'danger',
        confirm: { title: 'Close positions?', text: esc(text).slice(0, 300), confirm: 'Close now', deny: 'Keep them' },
      },
    ]),
  ];
  return { text, blocks };
}

/** A button's value as JSON, or null when it is none (a signed click may still carry anything). */
function jsonOrNull(value: unknown): unknown {
  if (typeof value !== 'string') return null;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}

export function exitAction(ctx: ListenerContext) {
  return async ({ ack: boltAck, body, action, respond }: Args): Promise<void> => {
    const ack = lateSafe(boltAck, ctx.logger);
    await ack();
    const reply = (text: string) => respond({ response_type: 'ephemeral', replace_original: true, text });
    const parsed = ExitValue.safeParse(jsonOrNull((action as { value?: unknown }).value));
    if (!parsed.success) {
      await reply(':warning: That button is not one this bot made; nothing was done.');
      return;
    }
    const command = { kind: 'exit' as const, account: parsed.data.account, symbol: parsed.data.symbol, reason: parsed.data.reason, confirmed: true };
    ctx.tasks.run('exit', async () => {
      try {
        const outcome = await dispatch(ctx.app, command, { by: principal(body.user.id), via: 'slack' });
        if (outcome.kind === 'exited')
          await respond({ response_type: 'ephemeral', replace_original: true, text: 'Exits ordered', blocks: codeBlock(exitResultLines(outcome.result).map(esc)) });
      } catch (error) {
        await reply(failureText(error, ctx, 'Exit'));
      }
    });
  };
}
