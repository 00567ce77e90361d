/**
 * The console channel: the council in a terminal. It reads `/council ...` lines (interactively on a
 * TTY, line by line from a pipe), hands each to the dispatch every channel shares (../dispatch.ts),
 * and renders outcomes and notices as text. The local operator is trusted as `cli:<user>`: whoever holds the terminal holds the data.
 */
import { createInterface } from 'node:readline';
import type { CouncilApp } from '../../app/index.ts';
import { userErrorLine, userErrorText } from '../../redact.ts';
import { parseCouncilCommand } from '../commands.ts';
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
    // The local operator runs from here; a week already run is shown, not run again.
    const text = consoleText(await dispatch(app, command, { by, via: 'console' }, options));
    if (text !== undefined) write(text);
  } catch (error) {
    const text = userErrorText(error, { logger: app.logger, redact: app.redactor }, 'console');
    write(text.kind === 'user' ? `! ${text.message}` : `! failed: ${userErrorLine(text)}`);
  }
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
    case 'web':
      return outcome.text;
    default:
      return undefined;
  }
}
