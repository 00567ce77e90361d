/**
 * `/council ...`: acknowledged at once (Slack allows 3 s), the work continues in the background and
 * answers through the thread (runs) or the command's response_url (status, refusals, failures).
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { ProposalError } from '../../../domain/proposal.ts';
import { CommandError, type CouncilCommand, HELP, parseCouncilCommand } from '../../commands.ts';
import { costLines, exitResultLines, historyLines, leaderboardLines, positionsLines, profitLines, tradingStateText } from '../../desk-text.ts';
import { approveUntilRecorded, dispatch, type Outcome, planRun, type RunStep, webAnswer } from '../../dispatch.ts';
import { BUSY } from '../../rate-limit.ts';
import { codeBlock, esc, section } from '../blocks.ts';
import { renderStatus } from '../render.ts';
import { type ListenerContext, failureText, lateSafe, principal } from './context.ts';
import { exitConfirmMessage } from './desk-actions.ts';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export const COMMAND = '/council';

export function councilCommand(ctx: ListenerContext) {
  return async ({ ack, command, respond }: Args): Promise<void> => {
    let parsed: CouncilCommand;
    try {
      parsed = parseCouncilCommand(command.text ?? '');
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      await ack({ response_type: 'ephemeral', text: error.message });
      return;
    }
    const by = principal(command.user_id);
    const reply = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });

    switch (parsed.kind) {
      case 'help':
        await ack({ response_type: 'ephemeral', text: `\`\`\`${HELP}\`\`\`` });
        return;
      case 'run': {
        // The council lives in one channel: runs start there only, and nothing a command says moves its notices.
        const home = ctx.channelId;
        if (!home) {
          await ack({
            response_type: 'ephemeral',
            text: ':no_entry: Runs from Slack are off: no council channel is set. An operator sets SLACK_CHANNEL_ID to the channel the council posts in.',
          });
          return;
        }
        if (command.channel_id !== home) {
          await ack({ response_type: 'ephemeral', text: `:no_entry: The council lives in <#${home}>: run it there. Nothing was started.` });
          return;
        }
        await ack();
        ctx.tasks.run('run', async () => {
          let step: RunStep;
          try {
            step = await planRun(ctx.app, parsed, { by, via: 'slack' });
          } catch (error) {
            await reply(failureText(error, ctx, 'Run'));
            return;
          }
          if (step.kind === 'done') {
            const links = await ctx.sink.links(step.week);
            const where = [links.thread ? `<${links.thread}|the week's thread>` : null, links.decision ? `<${links.decision}|the decision>` : null].filter(Boolean);
            await reply([...step.lines.map(esc), ...(where.length ? [`See ${where.join(' and ')}.`] : [])].join('\n'));
            return;
          }
          await reply(`${step.kind === 'resume' ? 'Resuming' : 'Convening'} the council for the week of ${step.week}: its thread follows in <#${home}>.`);
          // A failed run is reported by the App itself (run_failed, with an error id) into the thread.
          await step.start().catch(async (error: unknown) => {
            if (error instanceof ProposalError) await reply(failureText(error, ctx, 'Run'));
          });
        });
        return;
      }
      case 'status': {
        // One at a time: a flood of statuses must not queue ahead of an Approve's append.
        const accepted = ctx.reads.offer(
          () =>
            new Promise<void>((resolve) =>
              ctx.tasks.run('status', async () => {
                try {
                  const message = renderStatus(await ctx.app.status());
                  await respond({ response_type: 'ephemeral', replace_original: false, ...message });
                } catch (error) {
                  await reply(failureText(error, ctx, 'Status'));
                } finally {
                  resolve();
                }
              }),
            ),
        );
        await ack(accepted ? undefined : { response_type: 'ephemeral', text: BUSY });
        return;
      }
      case 'halt':
      case 'resume': {
        const halted = parsed.kind === 'halt';
        if (!ctx.app.isApprover(by)) {
          await ctx.app.refuseHalt(by, halted).catch((error: unknown) => ctx.logger.warn({ err: error }, 'slack: a refused halt could not be recorded'));
          await ack({ response_type: 'ephemeral', text: `:no_entry: Only approvers (COUNCIL_APPROVERS) may ${parsed.kind} trading.` });
          return;
        }
        await ack();
        // The channel learns of it from the halt_changed notice.
        ctx.tasks.run(parsed.kind, async () => {
          await dispatch(ctx.app, parsed, { by, via: 'slack' }).catch(async (error: unknown) => reply(failureText(error, ctx, halted ? 'Halt' : 'Resume')));
        });
        return;
      }
      case 'approve':
      case 'reject': {
        const { proposalId } = parsed;
        const what = parsed.kind === 'approve' ? 'Approve' : 'Reject';
        const acknowledge = lateSafe(ack, ctx.logger);
        // Acknowledged once the approval (or rejection, or refusal) is recorded, never before.
        try {
          if (parsed.kind === 'approve') {
            const { done } = await approveUntilRecorded(ctx.app, proposalId, { by, via: 'slack' }, parsed.accounts);
            await acknowledge({ response_type: 'ephemeral', text: `:white_check_mark: Approval of ${proposalId} recorded; placing the orders.` });
            ctx.tasks.run('approve', async () => {
              await done.catch(async (error: unknown) => reply(failureText(error, ctx, what)));
            });
          } else {
            await dispatch(ctx.app, parsed, { by, via: 'slack' });
            await acknowledge({ response_type: 'ephemeral', text: `Rejection of ${proposalId} recorded.` });
          }
        } catch (error) {
          await acknowledge({ response_type: 'ephemeral', text: failureText(error, ctx, what) });
        }
        return;
      }
      case 'positions':
      case 'profit':
      case 'history':
      case 'leaderboard':
      case 'cost': {
        // Account data, answered to the asker only; one read at a time, as status.
        const command = parsed;
        const accepted = ctx.reads.offer(
          () =>
            new Promise<void>((resolve) =>
              ctx.tasks.run(command.kind, async () => {
                try {
                  const outcome = await dispatch(ctx.app, command, { by, via: 'slack' });
                  // Thread links go below the code block, where Slack makes them clickable.
                  const links = outcome.kind === 'history' ? await threadLinks(ctx, outcome.view.weeks) : [];
                  const blocks = [...codeBlock(deskLines(outcome).map(esc)), ...(links.length ? [section(links.join('\n'))] : [])];
                  await respond({ response_type: 'ephemeral', replace_original: false, text: `/council ${command.kind}`, blocks });
                } catch (error) {
                  await reply(failureText(error, ctx, command.kind));
                } finally {
                  resolve();
                }
              }),
            ),
        );
        await ack(accepted ? undefined : { response_type: 'ephemeral', text: BUSY });
        return;
      }
      case 'exit': {
        await ack();
        const command = parsed;
        ctx.tasks.run('exit', async () => {
          try {
            // Unconfirmed, it answers with what it would close and a Close button (desk-actions.ts); a stranger is refused and recorded.
            const outcome = await dispatch(ctx.app, command, { by, via: 'slack' });
            if (outcome.kind === 'exit_confirm') await respond({ response_type: 'ephemeral', replace_original: false, ...exitConfirmMessage(outcome.command, outcome.positions) });
            else if (outcome.kind === 'exited')
              await respond({ response_type: 'ephemeral', replace_original: false, text: 'Exits ordered', blocks: codeBlock(exitResultLines(outcome.result).map(esc)) });
          } catch (error) {
            await reply(failureText(error, ctx, 'Exit'));
          }
        });
        return;
      }
      case 'pause':
      case 'unpause': {
        await ack();
        const command = parsed;
        ctx.tasks.run(command.kind, async () => {
          try {
            const outcome = await dispatch(ctx.app, command, { by, via: 'slack' });
            if (outcome.kind === 'paused') await reply(esc(tradingStateText(outcome.trading)));
          } catch (error) {
            await reply(failureText(error, ctx, command.kind === 'pause' ? 'Pause' : 'Unpause'));
          }
        });
        return;
      }
      case 'web': {
        // Private to the asker (ephemeral): the link signs them in, whoever opens it.
        await ack();
        ctx.tasks.run('web', async () => {
          await webAnswer(ctx.app, parsed.revoke, by).then(reply, async (error: unknown) => reply(failureText(error, ctx, 'Web')));
        });
        return;
      }
      case 'checkpoint':
      case 'postmortem':
        // The schedule runs these in chat; on demand they are the console's and the CLI's.
        await ack({ response_type: 'ephemeral', text: `/council ${parsed.kind} runs on the schedule here; use \`council ${parsed.kind}\` on the server for one now.` });
        return;
      default: {
        const never: never = parsed;
        return never;
      }
    }
  };
}

/** A desk read's answer as plain lines (shown in a code block). */
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
    default:
      return [`(no answer for ${outcome.kind})`];
  }
}

/** Each week's thread, where Slack gave a permalink (for `history`), as mrkdwn links. */
async function threadLinks(ctx: ListenerContext, weeks: readonly { week: string }[]): Promise<string[]> {
  const links = await Promise.all(weeks.map(async (w) => [w.week, (await ctx.sink.links(w.week)).thread] as const));
  return links.flatMap(([week, link]) => (link ? [`<${link}|The week of ${week} in its thread>`] : []));
}
