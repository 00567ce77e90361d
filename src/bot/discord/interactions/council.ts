/**
 * `/council run | status | halt | resume`. Each handler defers first (Discord's 3-second rule), then
 * calls the same use case as every other channel and edits its reply with the outcome.
 */
import { type ChatInputCommandInteraction, escapeMarkdown, MessageFlags } from 'discord.js';
import type { StatusView } from '../../../app/index.ts';
import { CommandError } from '../../commands.ts';
import { dispatch, planRun, webAnswer } from '../../dispatch.ts';
import { BUSY } from '../../rate-limit.ts';
import type { CouncilSubcommand } from '../definition.ts';
import { statusEmbed, threadName } from '../render.ts';
import { type HandlerContext, answerPrivately, discordAuthoriser, principalOf, userMessage } from './context.ts';
import { DESK_HANDLERS } from './desk.ts';

type Handler = (i: ChatInputCommandInteraction, ctx: HandlerContext) => Promise<void>;

const WEEK = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Runs start in the council channel (DISCORD_CHANNEL_ID) only, and every answer to the asker is private:
 * where the council lives, a week already run (links and its state now), a refusal, or "convening".
 */
const run: Handler = async (i, ctx) => {
  const home = ctx.config.channelId;
  if (!home) throw new CommandError('Runs from Discord are off: no council channel is set. An operator sets DISCORD_CHANNEL_ID to the channel the council posts in.');
  if (i.channelId !== home) throw new CommandError(`The council lives in <#${home}>: run it there. Nothing was started.`);
  const weekOption = i.options.getString('week') ?? undefined;
  if (weekOption !== undefined && !WEEK.test(weekOption)) throw new CommandError('week needs a date like 2024-03-04');
  await i.deferReply({ flags: MessageFlags.Ephemeral });
  const query = i.options.getString('query') ?? undefined;
  const step = await planRun(ctx.app, { week: weekOption, query }, { by: principalOf(i), via: 'discord' });
  if (step.kind === 'done') {
    const links = i.guildId ? await ctx.sink.links(step.week, i.guildId) : { thread: null, decision: null };
    const where = [links.thread ? `[the week's thread](${links.thread})` : null, links.decision ? `[the decision](${links.decision})` : null].filter(Boolean);
    const lines = step.lines.map((l) => escapeMarkdown(l));
    await i.editReply({ content: [...lines, ...(where.length ? [`See ${where.join(' and ')}.`] : [])].join('\n'), allowedMentions: { parse: [] } });
    return;
  }
  const week = step.week;
  await i.editReply({
    content: `${step.kind === 'resume' ? 'Resuming' : 'Convening'} the council for the week of ${week}. Pitches, reviews and the decision follow in <#${home}>, thread **${threadName(week)}**.`,
    allowedMentions: { parse: [] },
  });
  // The run outlives the interaction; its progress and failures reach the thread as notices.
  ctx.track(
    step.start().catch(async (error: unknown) => {
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
    // The approver role may vouch for a user COUNCIL_APPROVERS does not list; anyone else is refused,
    // and recorded, by the use case.
    const outcome = await dispatch(ctx.app, { kind: halted ? 'halt' : 'resume' }, { by, via: 'discord', authoriser: discordAuthoriser(ctx, i) });
    const canceled = outcome.kind === 'halted' ? outcome.canceled : 0;
    await i.editReply(
      halted
        ? `Trading halted: ${canceled} orders that add risk canceled (stops and exits kept); approvals and scheduled runs are blocked until /council resume.`
        : 'Trading resumed.',
    );
  };

/** `/council web [revoke]`: the link (or the revocation) only the asker sees. */
const web: Handler = async (i, ctx) => {
  await i.deferReply({ flags: MessageFlags.Ephemeral });
  await i.editReply({ content: await webAnswer(ctx.app, i.options.getBoolean('revoke') === true, principalOf(i)), allowedMentions: { parse: [] } });
};

export const COUNCIL_HANDLERS: ReadonlyMap<CouncilSubcommand, Handler> = new Map<CouncilSubcommand, Handler>([
  ['run', run],
  ['status', status],
  ['halt', haltOrResume(true)],
  ['resume', haltOrResume(false)],
  ...(DESK_HANDLERS as [CouncilSubcommand, Handler][]),
  ['web', web],
]);
