/**
 * The `council` command. Every subcommand takes --json: one JSON document on stdout, logs on stderr,
 * exit 0 on success, non-zero with a one-line reason on stderr on failure.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { App } from './app.ts';
import { renderNotice, renderStatus } from './bot/console/render.ts';
import { runConsole } from './bot/console/channel.ts';
import { weekSummaryLines } from './bot/commands.ts';
import { startDiscord } from './bot/discord/index.ts';
import { chatStream, foldChat } from './bot/discord/threads.ts';
import { startSlack } from './bot/slack/index.ts';
import { foldSlackWeek, slackStream } from './bot/slack/threads.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { ProposalError } from './domain/proposal.ts';
import { buildApp } from './main.ts';
import { createRedactor, type Redactor, redactorFor } from './redact.ts';
import { DatabaseInUseError } from './store/database.ts';
import { approveJson, runJson } from './views.ts';
import { replayRun } from './llm/replay.ts';
import { backtestCommand, postmortemCommand } from './backtest/commands.ts';
import { nyDateTime } from './market/time.ts';
import type { CheckpointResult } from './pipeline/checkpoint.ts';
import { checkpointAt, scheduleView, startScheduler } from './scheduler/index.ts';

const USAGE = `usage: council <command> [options]

  run [--week YYYY-MM-DD] [--query TEXT]        convene the council; stops at a PENDING proposal
  run --replay RUNID                            the run again from its recorded model answers: no calls, nothing stored
  approve <proposalId> [--by NAME]              approve and execute a proposal, exactly once
  reject <proposalId> [--by NAME] [--reason T]  reject a proposal
  status                                        seats, accounts, positions, pending proposals
  checkpoint [--at YYYY-MM-DDTHH:MM]            judge every open position now (or at a New York time); exits per policy
  postmortem [--week YYYY-MM-DD] [--out DIR]    the week's postmortem: P/L, risk, council vs members vs SPY, charts
  backtest --from YYYY-MM-DD --to YYYY-MM-DD    weekly councils and checkpoints over history on the simulated
           [--seats ID,ID] [--out DIR]          broker (report folder: markdown, PNG charts, JSON)
           [--llm cache|off]                    LLM seats answering only from the LLM cache, or builtin
                                                seats (the default)
  serve                                         the bot: chat channels (console when none) and the schedule
  migrate                                       apply database migrations

every command takes --json`;

const OPTIONS = {
  json: { type: 'boolean' },
  week: { type: 'string' },
  query: { type: 'string' },
  replay: { type: 'string' },
  by: { type: 'string' },
  reason: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  seats: { type: 'string' },
  out: { type: 'string' },
  at: { type: 'string' },
  llm: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

/** Every configured secret, once the configuration is read: no error line printed here carries one. */
let redact: Redactor = createRedactor([]);

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (!command || values.help) {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 2;
  }
  const json = values.json === true;
  const print = (doc: unknown, text: () => string) => process.stdout.write(redact.text(json ? `${JSON.stringify(doc, null, 2)}\n` : `${text()}\n`));
  const by = values.by ? `cli:${values.by}` : `cli:${userInfo().username}`;

  const known = ['run', 'approve', 'reject', 'status', 'postmortem', 'backtest', 'checkpoint', 'serve', 'migrate'];
  if (!known.includes(command)) throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  const config = loadConfig(process.env);
  redact = redactorFor(config);
  if (command === 'backtest') {
    if (!values.from || !values.to) throw new UsageError('backtest needs --from YYYY-MM-DD and --to YYYY-MM-DD');
    if (values.llm !== undefined && values.llm !== 'cache' && values.llm !== 'off') throw new UsageError(`--llm must be cache or off, got ${JSON.stringify(values.llm)}`);
    return backtestCommand(config, { from: values.from, to: values.to, seats: values.seats, out: values.out, llm: values.llm, json });
  }
  const app = await buildApp(config);
  try {
    switch (command) {
      case 'migrate':
        print({ migrated: true, database: app.deps.db.kind }, () => `migrations applied (${app.deps.db.kind})`);
        return 0;
      case 'run': {
        if (!json) app.addSink({ publish: async (n) => void process.stdout.write(`${renderNotice(n)}\n`) });
        await app.resumeExecutions();
        if (values.replay) {
          const replayed = await replayRun(app, values.replay, app.sink);
          if (json) print(runJson(replayed), () => '');
          return 0;
        }
        // A week already run is answered with where it lives and its state now, never run again.
        const plan = await app.runPlan({ week: values.week });
        const state = plan.kind === 'done' ? plan.state : await app.run({ week: plan.week, query: values.query, by, via: 'cli' });
        const summary = await app.weekSummary(plan.week, state);
        const threads = await chatThreads(app, plan.week);
        if (json) print({ ...runJson(state, summary?.proposal?.status), alreadyRun: plan.kind === 'done', requestedBy: summary?.requestedBy ?? null, threads }, () => '');
        else if (plan.kind === 'done') process.stdout.write(`${[...(summary ? weekSummaryLines(summary) : []), ...threadLines(threads)].join('\n')}\n`);
        else if (state.completed && !state.proposal && state.completed.outcome !== 'no_quorum') process.stdout.write('No orders to place.\n');
        return 0;
      }
      case 'approve':
      case 'reject': {
        const proposalId = args[0];
        if (!proposalId) throw new UsageError(`${command} needs a proposal id`);
        if (!json) app.addSink({ publish: async (n) => void process.stdout.write(`${renderNotice(n)}\n`) });
        if (command === 'approve') {
          const { state, orders } = await app.approve({ proposalId, by, via: 'cli' });
          if (json) print(approveJson(state, orders), () => '');
        } else {
          const state = await app.reject({ proposalId, by, via: 'cli', reason: values.reason ?? null });
          if (json) print({ proposalId, status: state.status, rejectedBy: by, reason: values.reason ?? null, orders: [] }, () => '');
        }
        return 0;
      }
      case 'status': {
        await app.resumeExecutions();
        app.nextRuns = scheduleView(app);
        const status = await app.status();
        print(status, () => renderStatus(status));
        return 0;
      }
      case 'postmortem': {
        if (!json) app.addSink({ publish: async (n) => void process.stdout.write(`${renderNotice(n)}\n`) });
        const { postmortem, charts } = await postmortemCommand(app, { week: values.week, out: values.out });
        if (json) print({ ...postmortem, charts: charts.map((c) => c.path) }, () => '');
        return 0;
      }
      case 'checkpoint': {
        const at = values.at === undefined ? undefined : parseNyMinute(values.at);
        if (!json) app.addSink({ publish: async (n) => void (['checkpoint_report', 'exit_report', 'execution_report'].includes(n.type) || process.stdout.write(`${renderNotice(n)}\n`)) });
        const result = await checkpointAt(app, at);
        print(result, () => checkpointText(result, app.deps.config.file.exits.requireApproval));
        return 0;
      }
      case 'serve':
        return await serve(app, json);
    }
    return 2;
  } finally {
    await app.close();
  }
}

/**
 * The bot: Slack and Discord when configured (both at once is fine), the console channel when neither
 * is, and the schedule on live time. Channels attach before start-up reconciliation so its report reaches
 * them; SIGINT/SIGTERM let in-flight clicks and runs finish before the sockets close.
 */
async function serve(app: App, json: boolean): Promise<number> {
  const { config, logger } = app.deps;
  const guard = (kind: string) => (error: unknown) => logger.error({ err: error }, `${kind}: kept running`);
  process.on('unhandledRejection', guard('unhandled rejection'));
  process.on('uncaughtException', guard('uncaught exception'));
  const channels: { stop(): Promise<void> }[] = [];
  await app.warm();
  try {
    if (config.slack) channels.push(await startSlack(app, config.slack, logger));
    if (config.discord) channels.push(await startDiscord(app, config.discord, logger));
    const resumed = await app.resumeExecutions();
    if (resumed) logger.info({ resumed }, 'resumed approved executions');
    const scheduler = startScheduler(app, { onPostmortem: async (week) => void (await postmortemCommand(app, { week })) });
    try {
      if (channels.length) await untilSignal();
      else {
        app.chatChannels.push('console');
        await runConsole(app, {
          input: process.stdin,
          output: process.stdout,
          user: userInfo().username,
          interactive: process.stdin.isTTY === true && !json,
          checkpoint: async (at) => void (await checkpointAt(app, at)),
          postmortem: async (week) => void (await postmortemCommand(app, { week })),
        });
      }
    } finally {
      await scheduler.stop();
    }
  } finally {
    await Promise.allSettled(channels.map((c) => c.stop()));
  }
  return 0;
}

/** Where a week lives in chat, from the threads the Slack and Discord channels recorded. */
async function chatThreads(app: App, week: string): Promise<{ slack: { channel: string; ts: string } | null; discord: { channelId: string; threadId: string; url: string | null } | null }> {
  const slack = foldSlackWeek(await app.deps.store.read(slackStream(app.councilId, week))).thread;
  const discord = foldChat(await app.deps.store.read(chatStream(app.councilId, week)));
  const guild = app.deps.config.discord?.guildId;
  return {
    slack: slack ? { channel: slack.channel, ts: slack.parentTs } : null,
    discord: discord ? { channelId: discord.channelId, threadId: discord.threadId, url: guild ? `https://discord.com/channels/${guild}/${discord.threadId}` : null } : null,
  };
}

function threadLines(t: Awaited<ReturnType<typeof chatThreads>>): string[] {
  return [
    ...(t.slack ? [`Slack thread: channel ${t.slack.channel}, message ${t.slack.ts}`] : []),
    ...(t.discord ? [`Discord thread: ${t.discord.url ?? `thread ${t.discord.threadId} in channel ${t.discord.channelId}`}`] : []),
  ];
}

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

/** `--at 2020-04-21T12:00`, New York wall time. */
function parseNyMinute(text: string): Date {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$/.exec(text);
  if (!m) throw new UsageError(`--at needs a New York time like 2020-04-21T12:00, got ${JSON.stringify(text)}`);
  try {
    return nyDateTime(m[1]!, m[2]!);
  } catch (error) {
    throw new UsageError(`--at: ${(error as Error).message}`);
  }
}

function checkpointText(r: CheckpointResult, requireApproval: boolean): string {
  const report = renderNotice({ type: 'checkpoint_report', week: r.week, at: r.at, halted: r.halted, positions: r.positions });
  const exits = r.exits.length ? `\n${renderNotice({ type: 'exit_report', week: r.week, at: r.at, exits: r.exits, requireApproval })}` : '';
  return `${r.fresh ? '' : '(already evaluated at this time; the recorded evaluation)\n'}${report}${exits}`;
}

function fail(message: string, code: number): number {
  process.stderr.write(`council: ${redact.text(message)}\n`);
  return code;
}

main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    if (error instanceof ConfigError) process.exitCode = fail(error.message, 2);
    else if (error instanceof UsageError) process.exitCode = fail(error.message, 2);
    else if (error instanceof ProposalError) process.exitCode = fail(error.message, 1);
    else if (error instanceof DatabaseInUseError) process.exitCode = fail(error.message, 3);
    else process.exitCode = fail(error instanceof Error ? error.message : String(error), 1);
  });
