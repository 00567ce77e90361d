/**
 * The `council` command. Every subcommand takes --json: one JSON document on stdout, logs on stderr,
 * exit 0 on success, non-zero with a one-line reason on stderr on failure.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { renderNotice, renderStatus } from './bot/console/render.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { ProposalError } from './domain/proposal.ts';
import { buildApp } from './main.ts';
import { DatabaseInUseError } from './store/database.ts';
import { approveJson, runJson } from './views.ts';
import { replayRun } from './llm/replay.ts';
import { backtestCommand, postmortemCommand } from './backtest/commands.ts';
import { nyDateTime } from './market/time.ts';
import type { CheckpointResult } from './pipeline/checkpoint.ts';
import type { WeekState } from './pipeline/week.ts';
import { checkpointAt, scheduleView } from './scheduler/index.ts';
import { doctorCommand } from './doctor.ts';
import { mondayOf } from './market/time.ts';
import { RetryError, retryWeek } from './pipeline/run.ts';

const USAGE = `usage: council <command> [options]

  run [--week YYYY-MM-DD] [--query TEXT]        convene the council; stops at a PENDING proposal
  run --replay RUNID                            the run again from its recorded model answers: no calls, nothing stored
  run --week YYYY-MM-DD --retry                 a new attempt at a week that ended without quorum (exit 4)
  approve <proposalId> [--by NAME]              approve and execute a proposal, exactly once
  reject <proposalId> [--by NAME] [--reason T]  reject a proposal
  status                                        seats, accounts, positions, pending proposals
  checkpoint [--at YYYY-MM-DDTHH:MM]            judge every open position now (or at a New York time); exits per policy
  postmortem [--week YYYY-MM-DD] [--out DIR]    the week's postmortem: P/L, risk, council vs members vs SPY, charts
  backtest --from YYYY-MM-DD --to YYYY-MM-DD    weekly councils and checkpoints over history on the simulated
           [--seats ID,ID] [--out DIR]          broker (report folder: markdown, PNG charts, JSON)
           [--llm cache|off]                    LLM seats answering only from the LLM cache, or builtin
                                                seats (the default)
  serve                                         the bot: chat channels (console when none, headless without
                                                stdin), the schedule, /healthz /readyz /metrics
  doctor                                        checks every configured part; one line each, with what to fix
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
  retry: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

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
  const print = (doc: unknown, text: () => string) => process.stdout.write(json ? `${JSON.stringify(doc, null, 2)}\n` : `${text()}\n`);
  const by = values.by ? `cli:${values.by}` : `cli:${userInfo().username}`;

  const known = ['run', 'approve', 'reject', 'status', 'postmortem', 'backtest', 'checkpoint', 'serve', 'migrate', 'doctor'];
  if (!known.includes(command)) throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  const config = loadConfig(process.env);
  if (command === 'backtest') {
    if (!values.from || !values.to) throw new UsageError('backtest needs --from YYYY-MM-DD and --to YYYY-MM-DD');
    if (values.llm !== undefined && values.llm !== 'cache' && values.llm !== 'off') throw new UsageError(`--llm must be cache or off, got ${JSON.stringify(values.llm)}`);
    return backtestCommand(config, { from: values.from, to: values.to, seats: values.seats, out: values.out, llm: values.llm, json });
  }
  if (command === 'doctor') return doctorCommand(config, json);
  if (values.retry && (command !== 'run' || !values.week)) throw new UsageError('--retry goes with run --week YYYY-MM-DD');
  const metrics = command === 'serve' ? (await import('./web/metrics.ts')).createMetrics() : undefined;
  const app = await buildApp(config, { metrics });
  try {
    switch (command) {
      case 'migrate':
        print({ migrated: true, database: app.deps.db.kind }, () => `migrations applied (${app.deps.db.kind})`);
        return 0;
      case 'run': {
        if (!json) app.addSink({ publish: async (n) => void process.stdout.write(`${renderNotice(n)}\n`) });
        await app.resumeExecutions();
        if (values.retry && values.week) {
          const retried = await retryWeek(app.deps.store, app.councilId, mondayOf(values.week), app.deps.clock());
          if (retried.retried) process.stderr.write(`council: week ${mondayOf(values.week)}: a new attempt beside run ${retried.previousRunId}, which had no quorum\n`);
        }
        const state = values.replay ? await replayRun(app, values.replay, app.sink) : await app.run({ week: values.week, query: values.query });
        if (json) print(runJson(state), () => '');
        else if (state.completed && !state.proposal && state.completed.outcome !== 'no_quorum') process.stdout.write('No orders to place.\n');
        if (state.completed?.outcome === 'no_quorum' && !values.replay) return noQuorum(state);
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
        return await (await import('./serve.ts')).serve(app, { json, metrics: metrics! });
    }
    return 2;
  } finally {
    await app.close();
  }
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

/**
 * A week without quorum ends the command with exit 4 and says why: the seats' errors (a wrong URL or key
 * shows here) and how to run the week again once fixed.
 */
function noQuorum(state: WeekState): number {
  const failed = [...state.pitches.values()].filter((p) => p.status === 'abstained');
  const valid = state.pitches.size - failed.length;
  const week = state.started?.week ?? '?';
  const reasons = failed.map((p) => `${p.seat}: ${p.error ?? 'abstained'}`).join('; ');
  process.stderr.write(`council: no quorum for week ${week} (${valid} valid pitches of ${state.pitches.size}): ${reasons}. Fix the cause (council doctor), then: council run --week ${week} --retry\n`);
  return 4;
}

function fail(message: string, code: number): number {
  process.stderr.write(`council: ${message}\n`);
  return code;
}

main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    if (error instanceof ConfigError) process.exitCode = fail(error.message, 2);
    else if (error instanceof UsageError) process.exitCode = fail(error.message, 2);
    else if (error instanceof ProposalError || error instanceof RetryError) process.exitCode = fail(error.message, 1);
    else if (error instanceof DatabaseInUseError) process.exitCode = fail(error.message, 3);
    else process.exitCode = fail(error instanceof Error ? error.message : String(error), 1);
  });
