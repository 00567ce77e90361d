/**
 * What every Slack request passes before a listener runs (issue 13, items 4, 5 and 8), in HTTP and
 * Socket Mode alike, in this order:
 * 1. the payload is one this app handles (zod, see inbound.ts);
 * 2. it comes from the installed workspace (`team_id`, and `enterprise_id` when either side has one,
 *    against what `auth.test` said at start);
 * 3. it was not seen before: a request this process already saw is refused from memory (a read is
 *    only ever checked there: repeating one changes nothing);
 * 4. its user has a token left in their bucket (else a polite private "slow down");
 * 5. a request that changes state is claimed in the shared `seen_requests` table (the HTTP signature,
 *    or Slack's trigger id in Socket Mode), so a replay reaching any replica acts once;
 * 6. every request that changes state but a run (halt, resume, approve, reject, and the desk's exit, pause
 *    and unpause) comes from the council channel (SLACK_CHANNEL_ID) when one is set, or from this app's
 *    own views without a channel (the Home tab, a modal opened there). A run has rules of its own (it is
 *    answered with where the council lives, see council-command.ts).
 * Refusals are answered privately; those of state-changing requests are recorded (CouncilApp.refuseRequest).
 */
import type { AllMiddlewareArgs, AnyMiddlewareArgs, RespondFn } from '@slack/bolt';
import type { CouncilApp, RefusedAction } from '../../../app/index.ts';
import type { Logger } from '../../../logger.ts';
import type { SeenRequests } from '../../../store/seen-requests.ts';
import { type RateLimiter, SLOW_DOWN } from '../../rate-limit.ts';
import { describe, type InboundRequest } from '../inbound.ts';
import { failureText } from './context.ts';

export interface Workspace {
  teamId: string | undefined;
  enterpriseId: string | undefined;
}

export interface TrustContext {
  app: CouncilApp;
  seen: SeenRequests;
  limiter: RateLimiter;
  workspace: Workspace;
  /** SLACK_CHANNEL_ID: where the council lives. */
  channelId: string | undefined;
  logger: Logger;
}

type Args = AnyMiddlewareArgs & AllMiddlewareArgs;
/** Slash commands and actions carry these; Bolt's union types them per kind. */
type Answers = { ack?: (response?: { response_type: 'ephemeral'; text: string }) => Promise<void>; respond?: RespondFn };

/** Set by the HTTP receiver (customPropertiesExtractor): the request's signature. */
export const REQUEST_KEY = 'requestSignature';

/** Every state-changing action but a run (council-command.ts answers a run from elsewhere itself). */
const CHANNEL_BOUND = new Set<RefusedAction>(['halt', 'resume', 'approve', 'reject', 'exit', 'pause', 'unpause']);

export function trustMiddleware(ctx: TrustContext) {
  return async (args: Args): Promise<void> => {
    const { body, context, next } = args;
    const answers = args as Answers;
    const ack = async (text?: string) => {
      try {
        await answers.ack?.(text === undefined ? undefined : { response_type: 'ephemeral', text });
      } catch (error) {
        ctx.logger.warn({ err: error }, 'slack: could not acknowledge a refused request');
      }
    };
    const request = describe(body);
    if (!request) {
      // Only Socket Mode gets here: the HTTP front door answers these with 400.
      ctx.logger.warn('slack: refused a payload this app does not handle');
      await ack();
      return;
    }
    // A slash command's ack carries the answer; a click is acknowledged, then answered through its response_url.
    const refuse = async (text: string, options: { quietly?: boolean } = {}) => {
      if (request.slash) return ack(text);
      await ack();
      if (!options.quietly && answers.respond)
        await answers
          .respond({ response_type: 'ephemeral', replace_original: false, text })
          .catch((error: unknown) => ctx.logger.warn({ err: error }, 'slack: could not answer a refused click'));
    };
    const record = async (reason: string) => {
      if (!request.action) return;
      await ctx.app
        .refuseRequest({ by: request.principal, via: 'slack', action: request.action, proposalId: request.proposalId, reason })
        .catch((error: unknown) => ctx.logger.warn({ err: error, reason }, 'slack: a refused request could not be recorded'));
    };

    const foreign = foreignWorkspace(request, ctx.workspace);
    if (foreign) {
      ctx.logger.warn({ principal: request.principal, team: request.teamId, enterprise: request.enterpriseId }, 'slack: refused a request from another workspace');
      await refuse(':no_entry: This council serves one Slack workspace; requests from any other are refused.');
      await record(foreign);
      return;
    }
    const key = typeof context[REQUEST_KEY] === 'string' ? `slack:sig:${context[REQUEST_KEY]}` : request.triggerId ? `slack:trigger:${request.triggerId}` : undefined;
    // A repeat this process already saw costs nothing, not even the user's token.
    if (key && (request.action ? ctx.seen.seenHere(key) : !ctx.seen.claimLocally(key))) {
      await replayed(request, ctx, refuse);
      if (request.action) await record('replayed request');
      return;
    }
    if (!ctx.limiter.take(request.principal)) return refuse(SLOW_DOWN);
    if (key && request.action) {
      let first: boolean;
      try {
        first = await ctx.seen.claim(key);
      } catch (error) {
        // Without the shared record a replay could act: act on nothing.
        return refuse(failureText(error, ctx, 'Checking the request'));
      }
      if (!first) {
        await replayed(request, ctx, refuse);
        await record('replayed request');
        return;
      }
    }
    const ownView = request.fromView && request.channelId === undefined;
    if (request.action && CHANNEL_BOUND.has(request.action) && ctx.channelId && request.channelId !== ctx.channelId && !ownView) {
      await refuse(`:no_entry: The council lives in <#${ctx.channelId}>: ${request.action} is taken there, not here. Nothing was done.`);
      await record(`not the council channel (${request.channelId ?? 'none'})`);
      return;
    }
    await next();
  };
}

async function replayed(request: InboundRequest, ctx: TrustContext, refuse: (text: string, o?: { quietly?: boolean }) => Promise<void>): Promise<void> {
  ctx.logger.warn({ principal: request.principal, action: request.action ?? 'read', proposalId: request.proposalId }, 'slack: refused a replayed request');
  // The original request was answered already; its user is not told again.
  await refuse('This request was already received; a request acts once. Nothing was done.', { quietly: true });
}

/** Why a request is not from the installed workspace, or undefined when it is. */
export function foreignWorkspace(request: InboundRequest, workspace: Workspace): string | undefined {
  if (!workspace.teamId && !workspace.enterpriseId) return undefined;
  if (request.enterpriseId !== workspace.enterpriseId && (request.enterpriseId || workspace.enterpriseId)) return `another enterprise (${request.enterpriseId ?? 'none'})`;
  if (workspace.teamId && request.teamId !== workspace.teamId) return `another workspace (${request.teamId ?? 'none'})`;
  return undefined;
}
