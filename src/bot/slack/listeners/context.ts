/** What every Slack listener gets: the use cases, the sink it talks to, and the background tasks. */
import { randomUUID } from 'node:crypto';
import type { App } from '../../../app.ts';
import { ProposalError } from '../../../domain/proposal.ts';
import type { Logger } from '../../../logger.ts';
import { DatabaseUnavailableError } from '../../../store/port.ts';
import { CommandError } from '../../commands.ts';
import type { SlackSink } from '../sink.ts';
import type { Tasks } from '../tasks.ts';

export interface ListenerContext {
  app: App;
  sink: SlackSink;
  tasks: Tasks;
  logger: Logger;
  /** SLACK_CHANNEL_ID: the council channel, the only one runs start from. */
  channelId: string | undefined;
}

export const principal = (userId: string) => `slack:${userId}`;

/**
 * The text a user sees for a failure: a user error's own message (stable code, written for people),
 * anything else a short line with an id that finds the logged details.
 */
export function failureText(error: unknown, logger: Logger, what: string): string {
  if (error instanceof ProposalError || error instanceof CommandError || error instanceof DatabaseUnavailableError) return `:warning: ${error.message}`;
  const errorId = randomUUID().slice(0, 8);
  logger.error({ err: error, errorId }, `slack: ${what} failed`);
  return `:x: ${what} failed (error id \`${errorId}\`). Nothing else was changed.`;
}
