/** What every Slack listener gets: the use cases, the sink it talks to, and the background tasks. */
import type { App } from '../../../app.ts';
import type { Logger } from '../../../logger.ts';
import { userErrorText } from '../../../redact.ts';
import { CommandError } from '../../commands.ts';
import type { SlackSink } from '../sink.ts';
import type { Tasks } from '../tasks.ts';

export interface ListenerContext {
  app: App;
  sink: SlackSink;
  tasks: Tasks;
  logger: Logger;
}

export const principal = (userId: string) => `slack:${userId}`;

/**
 * The text a user sees for a failure: a user error's own message (stable code, written for people),
 * anything else its class and an id that finds the logged details; never a secret (src/redact.ts).
 */
export function failureText(error: unknown, ctx: Pick<ListenerContext, 'app' | 'logger'>, what: string): string {
  const text = userErrorText(error, { logger: ctx.logger, redact: ctx.app.redactor }, `slack: ${what}`, [CommandError]);
  if (text.kind === 'user') return `:warning: ${text.message}`;
  return `:x: ${what} failed: ${text.summary} (error id \`${text.errorId}\`). Nothing else was changed.`;
}
