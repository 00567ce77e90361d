/**
 * The desk's subcommands (`positions`, `profit`, `history`, `leaderboard`, `cost`, `exit`, `pause`,
 * `unpause`) and the exit's confirm button. Each defers privately (account data is the asker's), calls
 * the dispatch every channel shares, and edits its reply. An exit first answers with what it would
 * close and a "Close now" button whose custom id carries the request (`exit:<account>:<symbol|*>:<why>`),
 * so a click after a restart still works.
 */
import { ActionRowBuilder, type ButtonInteraction, ButtonBuilder, ButtonStyle, type ChatInputCommandInteraction, MessageFlags } from 'discord.js';
import { z } from 'zod';
import type { CouncilCommand } from '../../commands.ts';
import { costLines, exitConfirmText, exitResultLines, historyLines, leaderboardLines, positionsLines, profitLines, tradingStateText } from '../../desk-text.ts';
import { dispatch, type Outcome } from '../../dispatch.ts';
import { LIMITS } from '../limits.ts';
import { codeReply } from '../render.ts';
import { discordAuthoriser, type HandlerContext, principalOf } from './context.ts';

type Handler = (i: ChatInputCommandInteraction, ctx: HandlerContext) => Promise<void>;

function deskLines(outcome: Outcome): string[] {
  switch (outcome.kind) {
    case 'positions':
      return positionsLines(outcome.view);
    case 'profit':
      return profitLines(outcome.view);
    case 'history':
      return historyLines(outcome.view);
    case 'leaderboard':
      return leaderboardLines(outcome.view);
    case 'cost':
      return costLines(outcome.view);
    case 'exited':
      return exitResultLines(outcome.result);
    case 'paused':
      return [tradingStateText(outcome.trading)];
    default:
      return [`(no answer for ${outcome.kind})`];
  }
}

const read =
  (command: (i: ChatInputCommandInteraction) => CouncilCommand): Handler =>
  async (i, ctx) => {
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    const outcome = await dispatch(ctx.app, command(i), { by: principalOf(i), via: 'discord', authoriser: discordAuthoriser(ctx, i) });
    if (outcome.kind === 'history' && i.guildId) {
      // Thread links are kept out of the code block, so Discord makes them clickable.
      const guildId = i.guildId;
      const links = await Promise.all(outcome.view.weeks.map(async (w) => [w.week, (await ctx.sink.links(w.week, guildId)).thread] as const));
      const where = links.filter(([, link]) => link).map(([week, link]) => `Week of ${week}: ${link}`);
      await i.editReply({ content: [codeReply(deskLines(outcome)), ...where].join('\n'), allowedMentions: { parse: [] } });
      return;
    }
    await i.editReply({ content: codeReply(deskLines(outcome)), allowedMentions: { parse: [] } });
  };

const windowOption = <W extends string>(i: ChatInputCommandInteraction, allowed: readonly W[], fallback: W): W => {
  const value = i.options.getString('window');
  return allowed.find((w) => w === value) ?? fallback;
};

const ExitId = z
  .string()
  .max(LIMITS.customId)
  .regex(/^exit:[\w-]{1,40}:([A-Z][A-Z.]{0,9}|\*):/)
  .transform((s) => {
    const [, account = '', symbol = '*', ...why] = s.split(':');
    return { account, symbol: symbol === '*' ? undefined : symbol, reason: why.join(':') || undefined };
  });

/** The confirm button's custom id: the exit as asked, the reason cut to what fits. */
export function exitCustomId(command: { account: string; symbol: string | undefined; reason: string | undefined }): string {
  const head = `exit:${command.account}:${command.symbol ?? '*'}:`;
  return `${head}${(command.reason ?? '').slice(0, LIMITS.customId - head.length)}`;
}

export function parseExitId(customId: string): { account: string; symbol: string | undefined; reason: string | undefined } | undefined {
  const parsed = ExitId.safeParse(customId);
  return parsed.success ? parsed.data : undefined;
}

const exit: Handler = async (i, ctx) => {
  await i.deferReply({ flags: MessageFlags.Ephemeral });
  const symbol = i.options.getString('symbol')?.toUpperCase();
  const command = {
    kind: 'exit' as const,
    account: i.options.getString('account', true),
    symbol: symbol && symbol !== 'ALL' ? symbol : undefined,
    reason: i.options.getString('reason') ?? undefined,
    confirmed: false,
  };
  const outcome = await dispatch(ctx.app, command, { by: principalOf(i), via: 'discord', authoriser: discordAuthoriser(ctx, i) });
  if (outcome.kind !== 'exit_confirm') return void (await i.editReply({ content: codeReply(deskLines(outcome)), allowedMentions: { parse: [] } }));
  const button = new ButtonBuilder().setCustomId(exitCustomId(outcome.command)).setLabel('Close now').setStyle(ButtonStyle.Danger);
  await i.editReply({
    content: exitConfirmText(outcome.positions, outcome.command.reason),
    components: [new ActionRowBuilder<ButtonBuilder>().addComponents(button).toJSON()],
    allowedMentions: { parse: [] },
  });
};

/** The "Close now" click: the exit, confirmed, for the clicker (who must be an approver). */
export async function exitButton(i: ButtonInteraction, ctx: HandlerContext, request: NonNullable<ReturnType<typeof parseExitId>>): Promise<void> {
  await i.deferReply({ flags: MessageFlags.Ephemeral });
  const outcome = await dispatch(ctx.app, { kind: 'exit', ...request, confirmed: true }, { by: principalOf(i), via: 'discord', authoriser: discordAuthoriser(ctx, i) });
  await i.editReply({ content: codeReply(deskLines(outcome)), allowedMentions: { parse: [] } });
}

export const DESK_HANDLERS: readonly [string, Handler][] = [
  ['positions', read(() => ({ kind: 'positions' }))],
  ['profit', read((i) => ({ kind: 'profit', window: windowOption(i, ['1w', '4w', '8w', 'all'], '1w') }))],
  ['history', read((i) => ({ kind: 'history', n: i.options.getInteger('weeks') ?? 4 }))],
  ['leaderboard', read((i) => ({ kind: 'leaderboard', window: windowOption(i, ['4w', '8w', 'all'], '4w') }))],
  ['cost', read((i) => ({ kind: 'cost', window: windowOption(i, ['4w', 'all'], '4w') }))],
  ['pause', read(() => ({ kind: 'pause' }))],
  ['unpause', read(() => ({ kind: 'unpause' }))],
  ['exit', exit],
];
