/**
 * Every inbound Slack payload, validated with zod before anything acts on it (issue 13, item 5): a
 * slash command (form fields), a block action or a modal's submission (`payload=<JSON>`), or an Events
 * API callback (JSON: the Home tab opened). Ids must be strings of Slack's
 * alphabet (a `user.id` that is an array is refused, not read as an approver), and each request is
 * described once: who, from which workspace and channel, and whether it changes state.
 */
import { z } from 'zod';
import { CommandError, parseCouncilCommand } from '../commands.ts';
import { actionOf } from '../dispatch.ts';
import type { RefusedAction } from '../../app/index.ts';
import { APPROVE_MODAL, parseMetadata, REJECT_MODAL } from './modals.ts';

const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\w.-]+$/);

export const SlashCommandBody = z.looseObject({
  command: z.string().max(64),
  text: z.string().max(4_000).default(''),
  user_id: Id,
  channel_id: Id,
  team_id: Id,
  enterprise_id: Id.optional(),
  response_url: z.url().max(2_000),
  trigger_id: z.string().min(1).max(255),
});

export const BlockActionsBody = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({ id: Id, team_id: Id.optional() }),
  team: z.looseObject({ id: Id }).nullable(),
  enterprise: z.looseObject({ id: Id }).nullish(),
  channel: z.looseObject({ id: Id }).optional(),
  container: z.looseObject({ channel_id: Id.optional(), type: z.string().max(32).optional() }).optional(),
  actions: z
    .array(z.looseObject({ action_id: z.string().min(1).max(255), value: z.string().max(2_000).optional() }))
    .min(1)
    .max(5),
  response_url: z.url().max(2_000).optional(),
  trigger_id: z.string().min(1).max(255).optional(),
});

export const ViewSubmissionBody = z.looseObject({
  type: z.literal('view_submission'),
  user: z.looseObject({ id: Id, team_id: Id.optional() }),
  team: z.looseObject({ id: Id }).nullable(),
  enterprise: z.looseObject({ id: Id }).nullish(),
  trigger_id: z.string().min(1).max(255).optional(),
  view: z.looseObject({
    id: Id,
    callback_id: z.string().max(255),
    private_metadata: z.string().max(3_000),
    state: z.looseObject({ values: z.record(z.string(), z.unknown()) }),
  }),
});

/** The Events API: only the Home tab opening is subscribed (slack-manifest.yaml). */
export const EventCallbackBody = z.looseObject({
  type: z.literal('event_callback'),
  team_id: Id,
  enterprise_id: Id.optional(),
  event: z.looseObject({ type: z.string().max(64), user: Id.optional() }),
});

/** Bolt answers these itself (Slack's URL check); nothing of ours runs for them. */
const UrlVerification = z.looseObject({ type: z.literal('url_verification'), challenge: z.string().max(500) });

export const SlackBody = z.union([SlashCommandBody, BlockActionsBody, ViewSubmissionBody, EventCallbackBody, UrlVerification]);

export interface InboundRequest {
  principal: string;
  userId: string;
  teamId: string | undefined;
  enterpriseId: string | undefined;
  channelId: string | undefined;
  /** Slack's id for this one user action. */
  triggerId: string | undefined;
  /** The state-changing action it asks for, if any (a read, a help or a bad command: undefined). */
  action: RefusedAction | undefined;
  proposalId: string | undefined;
  slash: boolean;
  /** From one of this app's own views (the Home tab, a modal), which only this app receives: it has no channel of its own. */
  fromView: boolean;
}

/** Describes a payload, or undefined when it is not one this app handles. */
export function describe(body: unknown): InboundRequest | undefined {
  const slash = SlashCommandBody.safeParse(body);
  if (slash.success) {
    const b = slash.data;
    let action: RefusedAction | undefined;
    let proposalId: string | undefined;
    try {
      const parsed = parseCouncilCommand(b.text);
      action = actionOf(parsed);
      if (parsed.kind === 'approve' || parsed.kind === 'reject') proposalId = parsed.proposalId;
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
    }
    return {
      principal: `slack:${b.user_id}`,
      userId: b.user_id,
      teamId: b.team_id,
      enterpriseId: b.enterprise_id,
      channelId: b.channel_id,
      triggerId: b.trigger_id,
      action,
      proposalId,
      slash: true,
      fromView: false,
    };
  }
  const submission = ViewSubmissionBody.safeParse(body);
  if (submission.success) {
    const b = submission.data;
    const meta = parseMetadata(b.view.private_metadata);
    const action = b.view.callback_id === APPROVE_MODAL ? 'approve' : b.view.callback_id === REJECT_MODAL ? 'reject' : undefined;
    return {
      principal: `slack:${b.user.id}`,
      userId: b.user.id,
      teamId: b.team?.id ?? b.user.team_id,
      enterpriseId: b.enterprise?.id,
      // The channel the modal's button was in, when it was in one.
      channelId: meta?.channel ?? undefined,
      triggerId: b.trigger_id,
      action,
      proposalId: meta?.proposalId,
      slash: false,
      fromView: true,
    };
  }
  const event = EventCallbackBody.safeParse(body);
  if (event.success) {
    const b = event.data;
    const user = b.event.user ?? 'unknown';
    return {
      principal: `slack:${user}`,
      userId: user,
      teamId: b.team_id,
      enterpriseId: b.enterprise_id,
      channelId: undefined,
      triggerId: undefined,
      action: undefined,
      proposalId: undefined,
      slash: false,
      fromView: true,
    };
  }
  const click = BlockActionsBody.safeParse(body);
  if (!click.success) return undefined;
  const b = click.data;
  const match = /^(approve|reject):(.+)$/.exec(b.actions[0]?.action_id ?? '');
  return {
    principal: `slack:${b.user.id}`,
    userId: b.user.id,
    teamId: b.team?.id ?? b.user.team_id,
    enterpriseId: b.enterprise?.id,
    channelId: b.channel?.id ?? b.container?.channel_id,
    triggerId: b.trigger_id,
    // The desk's Close button (listeners/desk-actions.ts) is an exit: replays and strangers are caught as for Approve.
    action: match ? (match[1] as 'approve' | 'reject') : b.actions[0]?.action_id === 'exit:confirm' ? 'exit' : undefined,
    proposalId: match?.[2],
    slash: false,
    fromView: b.container?.type === 'view',
  };
}
