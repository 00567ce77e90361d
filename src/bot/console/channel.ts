/**
 * The console channel: the council in a terminal. It reads `/council ...` lines (interactively on a
 * TTY, line by line from a pipe), calls the same use cases as Slack and Discord, and renders notices
 * as text. The local operator is trusted as `cli:<user>`: whoever holds the terminal holds the data.
 */
import { createInterface } from 'node:readline';
import type { CouncilApp } from '../../app/index.ts';
import { nyDateTime } from '../../market/time.ts';
import { userErrorLine, userErrorText } from '../../redact.ts';
import { CommandError, HELP, parseCouncilCommand, weekSummaryLines } from '../commands.ts';
import { renderNotice, renderStatus } from './render.ts';

export interface ConsoleOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  user: string;
  interactive: boolean;
  /** The checkpoint and postmortem use cases, injected by the composition root. */
  checkpoint?: (at: Date | undefined) => Promise<void>;
  postmortem?: (week: string | undefined) => Promise<void>;
}

export async function runConsole(app: CouncilApp, options: ConsoleOptions): Promise<void> {
  const write = (text: string) => options.output.write(`${text}\n`);
  const detach = app.addSink({
    publish: async (n) => {
      if (n.type !== 'stage_progress') write(renderNotice(n));
    },
  });
  const rl = createInterface({ input: options.input, output: options.interactive ? options.output : undefined, terminal: options.interactive });
  const by = `cli:${options.user}`;
  write(`trading-council console. You are ${by}. Type /council help, or quit.`);
  if (options.interactive) rl.setPrompt('council> ');
  rl.prompt?.();
  try {
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === 'quit' || line === 'exit') break;
      if (line) await handle(app, line, by, write, options);
      if (options.interactive) rl.prompt();
    }
  } finally {
    detach();
    rl.close();
  }
}

async function handle(app: CouncilApp, line: string, by: string, write: (t: string) => void, options: ConsoleOptions): Promise<void> {
  try {
    const command = parseCouncilCommand(line.startsWith('/') ? line : `/council ${line}`);
    switch (command.kind) {
      case 'help':
        write(HELP);
        return;
      case 'run': {
        // The local operator runs from here; a week already run is shown, not run again.
        const plan = await app.runPlan({ week: command.week });
        if (plan.kind === 'done') {
          const summary = await app.weekSummary(plan.week, plan.state);
          write(summary ? weekSummaryLines(summary).join('\n') : `The week of ${plan.week} was already run.`);
          return;
        }
        await app.run({ week: plan.week, query: command.query, by, via: 'console' });
        return;
      }
      case 'status':
        write(renderStatus(await app.status()));
        return;
      case 'approve':
        await app.approve({ proposalId: command.proposalId, by, via: 'console' });
        return;
      case 'reject':
        await app.reject({ proposalId: command.proposalId, by, via: 'console', reason: command.reason ?? null });
        return;
      case 'halt':
      case 'resume':
        await app.halt(by, command.kind === 'halt');
        return;
      case 'checkpoint':
        if (!options.checkpoint) throw new CommandError('checkpoints are not available here');
        await options.checkpoint(command.at ? nyDateTime(command.at.slice(0, 10), command.at.slice(11)) : undefined);
        return;
      case 'postmortem':
        if (!options.postmortem) throw new CommandError('postmortems are not available here');
        await options.postmortem(command.week);
        return;
      default: {
        const never: never = command;
        return never;
      }
    }
  } catch (error) {
    const text = userErrorText(error, { logger: app.logger, redact: app.redactor }, 'console', [CommandError]);
    write(text.kind === 'user' ? `! ${text.message}` : `! failed: ${userErrorLine(text)}`);
  }
}
