/** The explicit registry of Slack listeners: one entry per command or action, no scanning. */
import type { App as BoltApp } from '@slack/bolt';
import { COMMAND, councilCommand } from './council-command.ts';
import type { ListenerContext } from './context.ts';
import { EXIT_ACTION, exitAction } from './desk-actions.ts';
import { FOREIGN_ACTION, foreignAction, PROPOSAL_ACTION, proposalAction } from './proposal-actions.ts';

export function registerListeners(bolt: BoltApp, ctx: ListenerContext): void {
  bolt.command(COMMAND, councilCommand(ctx));
  bolt.action({ type: 'block_actions', action_id: PROPOSAL_ACTION }, proposalAction(ctx));
  bolt.action({ type: 'block_actions', action_id: FOREIGN_ACTION }, foreignAction(ctx));
  bolt.action({ type: 'block_actions', action_id: EXIT_ACTION }, exitAction(ctx));
}
