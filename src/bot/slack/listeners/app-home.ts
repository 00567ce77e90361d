/** The Home tab opened (`app_home_opened`): its view is published for that user (app-home.ts). */
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { ListenerContext } from './context.ts';

type Args = SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs;

export function homeOpened(ctx: ListenerContext) {
  return async ({ event }: Args): Promise<void> => {
    // Slack sends this for the Messages tab too; only the Home tab has a view to publish.
    if (event.tab !== 'home' || !ctx.home) return;
    await ctx.home.opened(event.user).catch((error: unknown) => ctx.logger.warn({ err: error }, 'slack: could not publish the Home tab'));
  };
}
