/** What every Slack listener gets: the use cases, the sink it talks to, and the background tasks. */
import type { webApi } from '@slack/bolt';
import type { CouncilApp } from '../../../app/index.ts';
import type { Logger } from '../../../logger.ts';
import { userErrorText } from '../../../redact.ts';
import { withNyTimes } from '../../format.ts';
import type { ReadQueue } from '../../rate-limit.ts';
import type { AppHome } from '../app-home.ts';
import type { SlackSink } from '../sink.ts';
import type { Tasks } from '../tasks.ts';

export interface ListenerContext {
  app: CouncilApp;
  sink: SlackSink;
  tasks: Tasks;
  /** Status reads, a few at a time (see ReadQueue). */
  reads: ReadQueue;
  logger: Logger;
  /** SLACK_CHANNEL_ID: the council channel, the only one runs start from. */
  channelId: string | undefined;
  /** The Home tab (app-home.ts); absent, `app_home_opened` is ignored. */
  home?: AppHome;
}

export const principal = (userId: string) => `slack:${userId}`;

/**
 * The text a user sees for a failure: a user error's own message (stable code, written for people),
 * anything else its class and an id that finds the logged details; never a secret (src/redact.ts).
 */
export function failureText(error: unknown, ctx: Pick<ListenerContext, 'app' | 'logger'>, what: string): string {
  const text = userErrorText(error, { logger: ctx.logger, redact: ctx.app.redactor }, `slack: ${what}`);
  if (text.kind === 'user') return `:warning: ${withNyTimes(text.message)}`;
  return `:x: ${what} failed: ${text.summary} (error id \`${text.errorId}\`). Nothing else was changed.`;
}

/**
 * An ack that never throws: one that comes after Slack's 3 s (Bolt has answered 404 by then, and the
 * user was told it failed) is only logged, so the work it followed still reports its outcome.
 */
export function lateSafe<A extends unknown[]>(ack: (...args: A) => Promise<void>, logger: Logger): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await ack(...args);
    } catch (error) {
      logger.warn({ err: error }, 'slack: acknowledged after the deadline; what it acknowledged still stands');
    }
  };
}

/**
 * Tells one user something privately: an ephemeral message in the channel the request came from, or,
 * from the Home tab or a modal opened there (no channel), a direct message from the app. Never throws.
 */
export async function tellUser(client: webApi.WebClient, logger: Logger, to: { user: string; channel: string | null | undefined }, text: string): Promise<void> {
  const sent = to.channel ? client.chat.postEphemeral({ channel: to.channel, user: to.user, text }) : client.chat.postMessage({ channel: to.user, text });
  await sent.catch((error: unknown) => logger.warn({ err: error }, 'slack: could not answer a user privately'));
}
