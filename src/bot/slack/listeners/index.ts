/** The explicit registry of Slack listeners: one entry per command or action, no scanning. */
import type { App as BoltApp } from '@slack/bolt';
import { COMMAND, councilCommand } from './council-command.ts';
import { approveSubmission, rejectSubmission } from './approval-modal.ts';
import { homeOpened } from './app-home.ts';
import type { ListenerContext } from './context.ts';
import { APPROVE_MODAL, REJECT_MODAL } from '../modals.ts';
import { EXIT_ACTION, exitAction } from './desk-actions.ts';
import { FOREIGN_ACTION, foreignAction, PROPOSAL_ACTION, proposalAction } from './proposal-actions.ts';

export function registerListeners(bolt: BoltApp, ctx: ListenerContext): void {
  bolt.command(COMMAND, councilCommand(ctx));
  bolt.action({ type: 'block_actions', action_id: PROPOSAL_ACTION }, proposalAction(ctx));
  bolt.action({ type: 'block_actions', action_id: FOREIGN_ACTION }, foreignAction(ctx));
  bolt.view({ type: 'view_submission', callback_id: APPROVE_MODAL }, approveSubmission(ctx));
  bolt.view({ type: 'view_submission', callback_id: REJECT_MODAL }, rejectSubmission(ctx));
  bolt.event('app_home_opened', homeOpened(ctx));
  bolt.action({ type: 'block_actions', action_id: EXIT_ACTION }, exitAction(ctx));
}
