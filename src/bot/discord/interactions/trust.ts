/**
 * What every interaction passes before its handler runs (issue 13, items 4, 5 and 8):
 * 1. it was not seen before: an interaction this process already saw is dropped from memory (a gateway
 *    resume may deliver it again; it was answered the first time);
 * 2. its user has a token left in their bucket (else a polite private "slow down");
 * 3. it is claimed by its interaction id in the shared `seen_requests` table, so it is handled once
 *    across replicas (each replica logged in with the token receives every interaction; the others
 *    drop it quietly);
 * 4. it comes from DISCORD_GUILD_ID when that is set (not another server, not a DM);
 * 5. every interaction that changes state but a run (halt, resume, approve, reject, and the desk's exit,
 *    pause and unpause) comes from the council channel (DISCORD_CHANNEL_ID), or a thread in it, when one
 *    is set. A run has rules of its own (it is answered with where the council lives, see council.ts).
 * Refusals are answered privately; those of state-changing interactions are recorded (CouncilApp.refuseRequest).
 */
import type { RefusedAction } from '../../../app/index.ts';
import { SLOW_DOWN } from '../../rate-limit.ts';
import { chatStream } from '../threads.ts';
import { type Answerable, answerPrivately, type HandlerContext, principalOf, userMessage } from './context.ts';

export interface Intent {
  action: RefusedAction | undefined;
  proposalId: string | undefined;
}

/** Every state-changing action but a run (council.ts answers a run from elsewhere itself). */
const CHANNEL_BOUND = new Set<RefusedAction>(['halt', 'resume', 'approve', 'reject', 'exit', 'pause', 'unpause']);

/** true when the handler may run; otherwise the interaction was answered (or dropped) here. */
export async function admit(i: Answerable, intent: Intent, ctx: HandlerContext): Promise<boolean> {
  const by = principalOf(i);
  const record = async (reason: string) => {
    if (!intent.action) return;
    await ctx.app
      .refuseRequest({ by, via: 'discord', action: intent.action, proposalId: intent.proposalId, reason })
      .catch((error: unknown) => ctx.logger.warn({ err: error, reason }, 'discord: a refused interaction could not be recorded'));
  };
  const key = `discord:interaction:${i.id}`;
  if (ctx.seen.seenHere(key)) return dropReplay(i, ctx);
  if (!ctx.limiter.take(by)) {
    await answerPrivately(i, SLOW_DOWN, ctx.logger);
    return false;
  }
  // Claimed before anything is answered or recorded: of the replicas that received it, one handles it.
  let first: boolean;
  try {
    first = await ctx.seen.claim(key);
  } catch (error) {
    await answerPrivately(i, userMessage(error, ctx, 'checking the interaction'), ctx.logger);
    return false;
  }
  // Not a refusal to record: replicas logged in with one token each receive every interaction.
  if (!first) return dropReplay(i, ctx);
  const guild = ctx.config.guildId;
  if (guild && i.guildId !== guild) {
    ctx.logger.warn({ principal: by, guild: i.guildId }, 'discord: refused an interaction from another server');
    await answerPrivately(i, 'This council serves one Discord server; interactions from anywhere else are refused. Nothing was done.', ctx.logger);
    await record(`another server (${i.guildId ?? 'direct message'})`);
    return false;
  }
  const home = ctx.config.channelId;
  if (home && intent.action && CHANNEL_BOUND.has(intent.action) && !(await inChannel(i, home, ctx))) {
    await answerPrivately(i, `The council lives in <#${home}>: ${intent.action} is taken there, not here. Nothing was done.`, ctx.logger);
    await record(`not the council channel (${i.channelId ?? 'none'})`);
    return false;
  }
  return true;
}

function dropReplay(i: Answerable, ctx: HandlerContext): false {
  // The first delivery was answered; Discord accepts one answer per interaction.
  ctx.logger.warn({ interaction: i.id, principal: principalOf(i) }, 'discord: dropped an interaction already received');
  return false;
}

/** Threads known to be in the council channel (they never move). */
const councilThreads = new WeakMap<HandlerContext, Set<string>>();

/**
 * The channel itself, or a thread in it: one discord.js has cached with its parent, or one of the weeks'
 * threads this bot opened there (recorded as DiscordThreadOpened).
 */
async function inChannel(i: Answerable, channelId: string, ctx: HandlerContext): Promise<boolean> {
  if (!i.channelId) return false;
  if (i.channelId === channelId) return true;
  const channel = i.channel;
  if (channel?.isThread()) return channel.parentId === channelId;
  const known = councilThreads.get(ctx) ?? new Set<string>();
  councilThreads.set(ctx, known);
  if (known.has(i.channelId)) return true;
  const opened = await ctx.app.ports.store.readAll({ streamPrefix: chatStream(ctx.app.councilId, ''), types: ['DiscordThreadOpened'] });
  for (const e of opened) {
    const t = e.data as { channelId: string; threadId: string };
    if (t.channelId === channelId) known.add(t.threadId);
  }
  return known.has(i.channelId);
}
