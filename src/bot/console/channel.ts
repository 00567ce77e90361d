/**
 * The console channel: the council in a terminal. It reads `/council ...` lines (interactively on a
 * TTY, line by line from a pipe), hands each to the dispatch every channel shares (../dispatch.ts),
 * and renders outcomes and notices as text. The local operator is trusted as `cli:<user>`: whoever holds the terminal holds the data.
 * An `exit` is asked back first ("y/N"); the next line answers it.
 */
import { createInterface } from 'node:readline';
import type { CouncilApp } from '../../app/index.ts';
import { userErrorLine, userErrorText } from '../../redact.ts';
import { type CouncilCommand, parseCouncilCommand } from '../commands.ts';
import { withNyTimes } from '../format.ts';
import { costLines, exitConfirmText, exitResultLines, historyLines, leaderboardLines, positionsLines, profitLines, tradingStateText } from '../desk-text.ts';
import { type DispatchExtras, dispatch, type Outcome } from '../dispatch.ts';
import { renderNotice, renderStatus } from './render.ts';

/** The terminal, and the checkpoint and postmortem use cases the composition root injects. */
export interface ConsoleOptions extends DispatchExtras {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  user: string;
  interactive: boolean;
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
  // An exit waiting for its y/N: the next line answers it, whatever it says.
  let confirming: Extract<CouncilCommand, { kind: 'exit' }> | undefined;
  try {
    for await (const raw of rl) {
      const line = raw.trim();
      if (confirming) {
        const command = confirming;
        confirming = undefined;
        if (/^y(es)?$/i.test(line)) await handle(app, { ...command, confirmed: true }, by, write, options);
        else write('Nothing was closed.');
      } else if (line === 'quit' || line === 'exit') break;
      else if (line) confirming = await handle(app, line, by, write, options);
      if (options.interactive) rl.prompt();
    }
  } finally {
    detach();
    rl.close();
  }
}

/** Runs one line (or a confirmed exit); returns the exit it asked to confirm, if any. */
async function handle(
  app: CouncilApp,
  input: string | CouncilCommand,
  by: string,
  write: (t: string) => void,
  options: ConsoleOptions,
): Promise<Extract<CouncilCommand, { kind: 'exit' }> | undefined> {
  try {
    const command = typeof input === 'string' ? parseCouncilCommand(input.startsWith('/') ? input : `/council ${input}`) : input;
    // The local operator runs from here; a week already run is shown, not run again.
    const outcome = await dispatch(app, command, { by, via: 'console' }, options);
    if (outcome.kind === 'exit_confirm') {
      write(`${exitConfirmText(outcome.positions, outcome.command.reason)} [y/N]`);
      return outcome.command;
    }
    const text = consoleText(outcome);
    if (text !== undefined) write(text);
  } catch (error) {
    const text = userErrorText(error, { logger: app.logger, redact: app.redactor }, 'console');
    write(text.kind === 'user' ? `! ${withNyTimes(text.message)}` : `! failed: ${userErrorLine(text)}`);
  }
  return undefined;
}

/** What the console prints for an outcome; the rest it learns from the notices. */
function consoleText(outcome: Outcome): string | undefined {
  switch (outcome.kind) {
    case 'help':
      return outcome.text;
    case 'already_run':
      return outcome.lines.join('\n');
    case 'status':
      return renderStatus(outcome.view);
    case 'positions':
      return positionsLines(outcome.view).join('\n');
    case 'profit':
      return profitLines(outcome.view).join('\n');
    case 'history':
      return historyLines(outcome.view).join('\n');
    case 'leaderboard':
      return leaderboardLines(outcome.view).join('\n');
    case 'cost':
      return costLines(outcome.view).join('\n');
    case 'exited':
      // The exit report notice says what was placed; nothing more to print.
      return outcome.result.exits.length ? undefined : exitResultLines(outcome.result).join('\n');
    case 'paused':
      // A change is announced by its notice; a switch already standing that way is said here.
      return outcome.changed ? undefined : `Already so. ${tradingStateText(outcome.trading)}`;
    case 'web':
      return outcome.text;
    default:
      return undefined;
  }
}
