/**
 * Routes every interaction to its handler through explicit registries. Anything unexpected (an unknown
 * command, subcommand or button, a handler that throws) is logged and answered; nothing escapes to
 * discord.js, so one bad interaction never takes the process down.
 */
import type { Interaction } from 'discord.js';
import { COUNCIL_SUBCOMMANDS, type CouncilSubcommand } from '../definition.ts';
import { parseCustomId } from '../ids.ts';
import { COUNCIL_HANDLERS } from './council.ts';
import { type HandlerContext, answerPrivately, userMessage } from './context.ts';
import { chooseAccounts, confirmApproval, rejectWithReason } from './approval-steps.ts';
import { exitButton, parseExitId } from './desk.ts';
import { PROPOSAL_HANDLERS } from './proposal-buttons.ts';
import { admit } from './trust.ts';

const isSubcommand = (s: string | null): s is CouncilSubcommand => (COUNCIL_SUBCOMMANDS as readonly (string | null)[]).includes(s);

export async function routeInteraction(i: Interaction, ctx: HandlerContext): Promise<void> {
  if (i.isChatInputCommand()) {
    const sub = i.commandName === 'council' ? i.options.getSubcommand(false) : null;
    const handler = isSubcommand(sub) ? COUNCIL_HANDLERS.get(sub) : undefined;
    if (!handler) {
      ctx.logger.warn({ command: i.commandName, sub }, 'discord: unknown command');
      return answerPrivately(i, `Unknown command /${i.commandName}${sub ? ` ${sub}` : ''}. Try /council help in another channel, or /council status.`, ctx.logger);
    }
    const action = sub === 'run' || sub === 'halt' || sub === 'resume' || sub === 'exit' || sub === 'pause' || sub === 'unpause' ? sub : undefined;
    if (!(await admit(i, { action, proposalId: undefined }, ctx))) return;
    try {
      await handler(i, ctx);
    } catch (error) {
      await answerPrivately(i, userMessage(error, ctx, `/council ${sub}`), ctx.logger);
    }
    return;
  }
  if (i.isButton()) {
    const exit = parseExitId(i.customId);
    if (exit) {
      if (!(await admit(i, { action: 'exit', proposalId: undefined }, ctx))) return;
      try {
        await exitButton(i, ctx, exit);
      } catch (error) {
        await answerPrivately(i, userMessage(error, ctx, 'exit'), ctx.logger);
      }
      return;
    }
    const parsed = parseCustomId(i.customId);
    const handler = parsed?.action === 'approve' || parsed?.action === 'reject' ? PROPOSAL_HANDLERS.get(parsed.action) : parsed?.action === 'confirm' ? confirmApproval : undefined;
    if (!parsed || !handler) {
      ctx.logger.warn({ customId: i.customId.slice(0, 100) }, 'discord: unknown button');
      return answerPrivately(i, 'This button is no longer recognised; nothing was changed.', ctx.logger);
    }
    const action = parsed.action === 'reject' ? 'reject' : 'approve';
    if (!(await admit(i, { action, proposalId: parsed.proposalId }, ctx))) return;
    try {
      await handler(i, ctx, parsed.proposalId);
    } catch (error) {
      await answerPrivately(i, userMessage(error, ctx, action), ctx.logger);
    }
    return;
  }
  // The steps Approve and Reject open: the accounts menu (it only chooses) and the reason modal (it rejects).
  if (i.isStringSelectMenu() || i.isModalSubmit()) {
    const parsed = parseCustomId(i.customId);
    const expected = i.isStringSelectMenu() ? 'accounts' : 'why';
    if (!parsed || parsed.action !== expected) {
      ctx.logger.warn({ customId: i.customId.slice(0, 100) }, 'discord: unknown component');
      return answerPrivately(i, 'This is no longer recognised; nothing was changed.', ctx.logger);
    }
    const action = i.isModalSubmit() ? 'reject' : undefined;
    if (!(await admit(i, { action, proposalId: parsed.proposalId }, ctx))) return;
    try {
      if (i.isStringSelectMenu()) await chooseAccounts(i, ctx, parsed.proposalId);
      else await rejectWithReason(i, ctx, parsed.proposalId);
    } catch (error) {
      await answerPrivately(i, userMessage(error, ctx, action ?? 'choosing accounts'), ctx.logger);
    }
    return;
  }
  ctx.logger.debug({ type: i.type }, 'discord: ignored an interaction of another kind');
}
