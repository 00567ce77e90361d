/**
 * `/council run | status | halt | resume`. Each handler defers first (Discord's 3-second rule), then
 * calls the same use case as every other channel and edits its reply with the outcome.
 */
import { type ChatInputCommandInteraction, MessageFlags } from 'discord.js';
import type { StatusView } from '../../../app.ts';
import { CommandError } from '../../commands.ts';
import { BUSY } from '../../rate-limit.ts';
import type { CouncilSubcommand } from '../definition.ts';
import { statusEmbed, threadName } from '../render.ts';
import { type HandlerContext, answerPrivately, isDiscordApprover, principalOf, userMessage } from './context.ts';

type Handler = (i: ChatInputCommandInteraction, ctx: HandlerContext) => Promise<void>;

const WEEK = /^\d{4}-\d{2}-\d{2}$/;

const run: Handler = async (i, ctx) => {
  await i.deferReply();
  const weekOption = i.options.getString('week') ?? undefined;
  if (weekOption !== undefined && !WEEK.test(weekOption)) throw new CommandError('week needs a date like 2024-03-04');
  const query = i.options.getString('query')?.slice(0, 500) || undefined;
  const week = weekOption ?? (await ctx.app.defaultWeek());
  if (i.channelId) ctx.sink.expectRun(week, i.channelId);
  await i.editReply({ content: `Convening the council for the week of ${week}${query ? ` on "${query}"` : ''}. Pitches, reviews and the decision follow in the thread **${threadName(week)}**.`, allowedMentions: { parse: [] } });
  // The run outlives the interaction; its progress and failures reach the thread as notices.
  ctx.track(
    ctx.app.run({ week, query }).catch(async (error: unknown) => {
      await answerPrivately(i, `The council run for ${week} failed: ${userMessage(error, ctx, 'run')}`, ctx.logger);
    }),
  );
};

const status: Handler = async (i, ctx) => {
  await i.deferReply({ flags: MessageFlags.Ephemeral });
  // One at a time, as on Slack: a flood of statuses must not queue ahead of an Approve.
  const view = await new Promise<StatusView | undefined>((resolve, reject) => {
    if (!ctx.reads.offer(() => ctx.app.status().then(resolve, reject))) resolve(undefined);
  });
  if (!view) return void (await i.editReply(BUSY));
  await i.editReply({ embeds: [statusEmbed(view)], allowedMentions: { parse: [] } });
};

const haltOrResume =
  (halted: boolean): Handler =>
  async (i, ctx) => {
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    const by = principalOf(i);
    if (!isDiscordApprover(ctx, i)) {
      await ctx.app.refuseHalt(by, halted);
      throw new CommandError(`${by} may not ${halted ? 'halt' : 'resume'} trading; ask someone in COUNCIL_APPROVERS`);
    }
    // The role check above may vouch for a user COUNCIL_APPROVERS does not list.
    const canceled = await ctx.app.halt(by, halted, { authorised: true });
    await i.editReply(halted ? `Trading halted: ${canceled} open orders canceled; approvals and scheduled runs are blocked until /council resume.` : 'Trading resumed.');
  };

export const COUNCIL_HANDLERS: ReadonlyMap<CouncilSubcommand, Handler> = new Map<CouncilSubcommand, Handler>([
  ['run', run],
  ['status', status],
  ['halt', haltOrResume(true)],
  ['resume', haltOrResume(false)],
]);
