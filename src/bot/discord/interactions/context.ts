/** What every interaction handler gets, and how a failure is answered to the user. */
import { type ButtonInteraction, type ChatInputCommandInteraction, MessageFlags, type ModalSubmitInteraction, type StringSelectMenuInteraction } from 'discord.js';
import { type Authoriser, extendAuthoriser } from '../../../app/authoriser.ts';
import type { CouncilApp } from '../../../app/index.ts';
import type { Config } from '../../../config/config.ts';
import type { Logger } from '../../../logger.ts';
import { withNyTimes } from '../../format.ts';
import { userErrorText } from '../../../redact.ts';
import type { SeenRequests } from '../../../store/seen-requests.ts';
import type { RateLimiter, ReadQueue } from '../../rate-limit.ts';
import { clampContent } from '../limits.ts';
import type { DiscordSink } from '../sink.ts';

export interface HandlerContext {
  app: CouncilApp;
  config: NonNullable<Config['discord']>;
  sink: DiscordSink;
  logger: Logger;
  /** Work that outlives the handler (a council run); stop() waits for it. */
  track(work: Promise<unknown>): void;
  /** Interactions already acted on, shared by every replica. */
  seen: SeenRequests;
  /** Interactions per user. */
  limiter: RateLimiter;
  /** Status reads, one at a time (see ReadQueue). */
  reads: ReadQueue;
}

export type Answerable = ChatInputCommandInteraction | ButtonInteraction | StringSelectMenuInteraction | ModalSubmitInteraction;

/** The principal of whoever clicked or typed: `discord:<userId>`. */
export const principalOf = (i: Answerable): string => `discord:${i.user.id}`;

/** The app's authoriser, extended by the configured approver role on the member who acted. */
export function discordAuthoriser(ctx: HandlerContext, i: Answerable): Authoriser {
  return extendAuthoriser(ctx.app.authoriser, { mayApprove: () => hasApproverRole(ctx, i) });
}

function hasApproverRole(ctx: HandlerContext, i: Answerable): boolean {
  const role = ctx.config.approverRoleId;
  const roles = i.member?.roles;
  if (!role || !roles) return false;
  // A cached guild gives a GuildMember; an uncached one the raw member with role ids.
  return Array.isArray(roles) ? roles.includes(role) : roles.cache.has(role);
}

/**
 * User errors are shown as they are (redacted); anything else is logged and shown as its class and an
 * id, never an upstream's text (src/redact.ts).
 */
export function userMessage(error: unknown, ctx: Pick<HandlerContext, 'app' | 'logger'>, where: string): string {
  const text = userErrorText(error, { logger: ctx.logger, redact: ctx.app.redactor }, `discord: ${where}`);
  if (text.kind === 'user') return withNyTimes(text.message);
  return `Something went wrong: ${text.summary} (error id ${text.errorId}). Nothing else was changed; the operators can look it up in the logs.`;
}

/** Answers privately, whatever state the interaction is in; a failure to answer is only logged. */
export async function answerPrivately(i: Answerable, content: string, logger: Logger): Promise<void> {
  try {
    const body = { content: clampContent(content), allowedMentions: { parse: [] } };
    if (i.deferred || i.replied) await i.editReply(body);
    else await i.reply({ ...body, flags: MessageFlags.Ephemeral });
  } catch (error) {
    logger.error({ err: error, interaction: i.id }, 'discord: could not answer an interaction');
  }
}
