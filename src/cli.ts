/**
 * The `council` command. Every subcommand takes --json: one JSON document on stdout, logs on stderr,
 * exit 0 on success, non-zero with a one-line reason on stderr on failure (and, with --json,
 * `{ "error": { "code", "message", "errorId" } }` on stdout).
 *
 * Startup cost matters (`--help` and `--version` answer in well under half a second): this module
 * imports only Node's own modules at load; each command imports what it uses when it runs.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import type { CouncilApp } from './app/index.ts';
import type { Config } from './config/config.ts';
import type { Redactor } from './redact.ts';
import type { CheckpointResult } from './pipeline/checkpoint.ts';
import type { WeekState } from './pipeline/week.ts';
import { UserFacingError } from './domain/errors.ts';

type RenderNotice = typeof import('./bot/console/render.ts').renderNotice;

/** Exit codes, as listed in the README. */
export const EXIT = { ok: 0, failed: 1, usage: 2, databaseInUse: 3, noQuorum: 4, preflight: 5 } as const;

interface CommandHelp {
  usage: string[];
  summary: string;
}

const COMMANDS: Record<string, CommandHelp> = {
  run: {
    usage: ['run [--week YYYY-MM-DD] [--query TEXT]', 'run --replay RUNID', 'run --week YYYY-MM-DD --retry'],
    summary:
      'convene the council for a week and stop at a PENDING proposal; --replay runs a recorded run again from its model answers (no calls, nothing stored); --retry makes a new attempt at a week that ended without quorum (exit 4 when it has none again)',
  },
  approve: {
    usage: ['approve <proposalId> [--by NAME] [--accounts A,B]'],
    summary: 'approve and execute a proposal, exactly once; --accounts approves only those accounts (the rest are declined)',
  },
  reject: { usage: ['reject <proposalId> [--by NAME] [--reason TEXT]'], summary: 'reject a proposal' },
  status: { usage: ['status'], summary: 'mode of each part, seats, accounts and positions, pending proposals, next scheduled runs, LLM spend' },
  checkpoint: { usage: ['checkpoint [--at YYYY-MM-DDTHH:MM]'], summary: 'judge every open position now (or at a New York time); exits per policy' },
  postmortem: { usage: ['postmortem [--week YYYY-MM-DD] [--out DIR]'], summary: "the week's postmortem: P/L, risk, council vs members vs SPY, charts" },
  backtest: {
    usage: ['backtest --from YYYY-MM-DD --to YYYY-MM-DD [--seats ID,ID] [--out DIR] [--llm cache|off]'],
    summary:
      'weekly councils and checkpoints over history on the simulated broker (report folder: markdown, PNG charts, JSON); --llm cache sits LLM seats on the LLM cache, off (the default) the builtin seats',
  },
  serve: {
    usage: ['serve'],
    summary:
      'the bot: chat channels (the console when none, headless without stdin), the schedule, /healthz /readyz /metrics; refuses to start (exit 5) when a required part is broken',
  },
  doctor: { usage: ['doctor'], summary: 'checks every configured part; one line each, with what to fix (exit 5 when a part fails)' },
  migrate: { usage: ['migrate'], summary: 'apply database migrations' },
  positions: { usage: ['positions'], summary: "every account's positions: qty, average price, mark, unrealised P/L, stop, take-profit, age" },
  profit: { usage: ['profit [1w|4w|8w|all]'], summary: 'realised and unrealised P/L and return per account over the window (default 1w), council vs members vs SPY' },
  history: { usage: ['history [N]'], summary: 'the last N weeks (default 4): decision, proposal outcome, week P/L, chat threads' },
  leaderboard: { usage: ['leaderboard [4w|8w|all]'], summary: "accounts ranked by return (default 4w) with Sharpe, drawdown, hit rate; the reviewers' calibration" },
  cost: { usage: ['cost [4w|all]'], summary: 'LLM spend by seat and stage (default 4w), tokens, P/L per dollar' },
  exit: {
    usage: ['exit <account|all> [symbol] --yes [--reason TEXT] [--by NAME]'],
    summary: 'close that position (or every position of the account, or of every account) now, as an exit recorded with who and why; --yes confirms',
  },
  pause: { usage: ['pause [--by NAME]'], summary: 'stop new entries (approving a weekly proposal is refused); exits, stops and checkpoints go on' },
  unpause: { usage: ['unpause [--by NAME]'], summary: 'let new entries again' },
  'web-login': {
    usage: ['web-login [--as NAME]'],
    summary: 'print a one-time sign-in link to the dashboard for the local operator (cli:NAME, default your user); valid 10 minutes, once; works while serve holds the database',
  },
};

const USAGE = `usage: council <command> [options]

${Object.values(COMMANDS)
  .map((c) => `  ${c.usage[0]}\n      ${c.summary.split(';')[0]}`)
  .join('\n')}

every command takes --json; council <command> --help for one command; council --version
exit codes: 0 done, 1 failed or refused, 2 bad usage or configuration, 3 embedded database in use,
  4 run without quorum, 5 a broken part (doctor; serve refused to start), 70 serve ended by an uncaught error,
  130 serve stopped by a second signal`;

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return `${c.usage.map((u, i) => `${i === 0 ? 'usage:' : '      '} council ${u} [--json]`).join('\n')}\n\n${c.summary}.\n`;
}

const OPTIONS = {
  json: { type: 'boolean' },
  week: { type: 'string' },
  query: { type: 'string' },
  replay: { type: 'string' },
  by: { type: 'string' },
  reason: { type: 'string' },
  accounts: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  seats: { type: 'string' },
  out: { type: 'string' },
  at: { type: 'string' },
  llm: { type: 'string' },
  retry: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  as: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

class UsageError extends UserFacingError {
  /** Printed after the reason on stderr, never in the JSON error. */
  readonly hint?: string;
  readonly code = 'USAGE';
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}

/** The package's version, from the package.json above this file (src/ in development, dist/ installed). */
function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

/** Whether --json was asked for, read before parsing so a usage error can answer in JSON too. */
const wantsJson = (argv: string[]): boolean => argv.includes('--json');

/** Every configured secret, once the configuration is read: no error line printed here carries one. */
let redact: Pick<Redactor, 'text'> = { text: (text) => text };

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.version) {
    process.stdout.write(values.json ? `${JSON.stringify({ version: version() })}\n` : `council ${version()}\n`);
    return EXIT.ok;
  }
  if (command === 'help') {
    const topic = args[0];
    process.stdout.write(topic && COMMANDS[topic] ? commandHelp(topic) : `${USAGE}\n`);
    return EXIT.ok;
  }
  if (!command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  if (!COMMANDS[command]) throw new UsageError(`unknown command "${command}"`, USAGE);
  if (values.help) {
    process.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  const json = values.json === true;
  const print = (doc: unknown, text: () => string) => process.stdout.write(redact.text(json ? `${JSON.stringify(doc, null, 2)}\n` : `${text()}\n`));
  const by = values.by ? `cli:${values.by}` : `cli:${userInfo().username}`;

  const { loadConfig } = await import('./config/config.ts');
  const loaded = loadConfig(process.env, { dotenv: true });
  // The commands that sign or check dashboard links know the web secret first, generated or not, so that
  // every redactor built from the configuration (the CLI's, the logger's, the app's) hides it too.
  const config = command === 'serve' || command === 'web-login' ? (await import('./web/secret.ts')).withWebSecret(loaded) : loaded;
  redact = (await import('./redact.ts')).redactorFor(config);
  if (command === 'backtest') {
    if (!values.from || !values.to) throw new UsageError('backtest needs --from YYYY-MM-DD and --to YYYY-MM-DD');
    if (values.llm !== undefined && values.llm !== 'cache' && values.llm !== 'off') throw new UsageError(`--llm must be cache or off, got ${JSON.stringify(values.llm)}`);
    const { backtestCommand } = await import('./backtest/commands.ts');
    return backtestCommand(config, { from: values.from, to: values.to, seats: values.seats, out: values.out, llm: values.llm, json }, (await import('./compose.ts')).compose);
  }
  if (command === 'web-login') {
    // Signed with the web secret alone, no database: serve records the link's single use when it is opened.
    const [{ operatorLink }, { LINK_TTL_MS, PrincipalSchema }] = await Promise.all([import('./web/sign-in.ts'), import('./web/links.ts')]);
    const principal = PrincipalSchema.safeParse(`cli:${values.as ?? userInfo().username}`);
    if (!principal.success) throw new UsageError('--as takes a name of letters, digits and . _ @ -');
    const now = new Date();
    const url = operatorLink(config, principal.data, now);
    const expiresAt = new Date(now.getTime() + LINK_TTL_MS).toISOString();
    print({ url, principal: principal.data, expiresAt }, () => `${url}\n(one use, for ${principal.data}, until ${expiresAt}; council serve must be running)`);
    return EXIT.ok;
  }
  if (command === 'doctor') return (await import('./doctor.ts')).doctorCommand(config, json, async (c) => (await import('./compose.ts')).compose(c, 'live'));
  if (values.retry && (command !== 'run' || !values.week)) throw new UsageError('--retry goes with run --week YYYY-MM-DD');
  const at = command === 'checkpoint' && values.at !== undefined ? parseNyMinute(values.at, (await import('./market/time.ts')).nyDateTime) : undefined;
  if ((command === 'approve' || command === 'reject') && !args[0]) throw new UsageError(`${command} needs a proposal id`);
  if (values.accounts !== undefined && command !== 'approve') throw new UsageError('--accounts goes with approve <proposalId>');
  const desk = await deskRequest(command, args, values.yes === true, values.reason);
  // serve's young generation stays at its first size: V8 grows it to 16 MB semi-spaces for throughput,
  // ~25 MB resident a long-lived, mostly idle process does not need (issue 21, measured on PostgreSQL).
  if (command === 'serve') setFlagsFromString('--semi-space-growth-factor=1');
  const { compose } = await import('./compose.ts');
  const metrics = command === 'serve' ? await serveMetrics(config) : undefined;
  // The interactive console owns the terminal: logs go to a file instead of breaking into its lines.
  const consoleOwnsTerminal = command === 'serve' && !config.slack && !config.discord && process.stdin.isTTY === true && !json;
  const logger = consoleOwnsTerminal ? { logger: await fileLogger(config.dataDir, config.logLevel, config.logFormat, redact as Redactor) } : {};
  const app = await compose(config, 'live', { ...logger, metrics });
  const render = () => import('./bot/console/render.ts');
  try {
    switch (command) {
      case 'migrate':
        print({ migrated: true, database: app.ports.database.kind }, () => `migrations applied (${app.ports.database.kind})`);
        return EXIT.ok;
      case 'run': {
        const { renderNotice } = await render();
        if (!json) app.addSink({ publish: async (n) => void process.stdout.write(`${renderNotice(n, 'cli')}\n`) });
        await app.resumeExecutions();
        if (values.replay) {
          const replayed = await (await import('./compose.ts')).replayRun(app, values.replay, app.sink);
          if (json) print((await import('./views.ts')).runJson(replayed), () => '');
          return EXIT.ok;
        }
        const [{ runJson }, { weekSummaryLines }, { mondayOf }] = await Promise.all([import('./views.ts'), import('./bot/commands.ts'), import('./market/time.ts')]);
        if (values.retry && values.week) {
          const retried = await (await import('./pipeline/run.ts')).retryWeek(app.ports.store, app.councilId, mondayOf(values.week), app.clock.now());
          if (retried.retried) process.stderr.write(`council: week ${mondayOf(values.week)}: a new attempt beside run ${retried.previousRunId}, which had no quorum\n`);
        }
        // A week already run is answered with where it lives and its state now, never run again.
        const plan = await app.runPlan({ week: values.week });
        const state = plan.kind === 'done' ? plan.state : await app.run({ week: plan.week, query: values.query, by, via: 'cli' });
        const summary = await app.weekSummary(plan.week, state);
        const threads = await chatThreads(app, plan.week);
        const failed = plan.kind !== 'done' && state.completed?.outcome === 'no_quorum' ? noQuorumMessage(state) : undefined;
        // With --json a week run now without quorum is a failure too: the run's document carries the error document's key.
        const error = failed ? { error: { code: 'NO_QUORUM', message: failed, errorId: randomUUID().slice(0, 8) } } : {};
        if (json) print({ ...runJson(state, summary?.proposal?.status), alreadyRun: plan.kind === 'done', requestedBy: summary?.requestedBy ?? null, threads, ...error }, () => '');
        else if (plan.kind === 'done') {
          // A week that ended without quorum is not run again by asking twice: say how to make a new attempt.
          const retry = state.completed?.outcome === 'no_quorum' ? [`Once the cause is fixed (council doctor), make a new attempt: council run --week ${plan.week} --retry`] : [];
          process.stdout.write(`${[...(summary ? weekSummaryLines(summary) : []), ...retry, ...threadLines(threads)].join('\n')}\n`);
        } else if (state.completed && !state.proposal && state.completed.outcome !== 'no_quorum') process.stdout.write('No orders to place.\n');
        if (failed) {
          process.stderr.write(redact.text(`council: ${failed}\n`));
          return EXIT.noQuorum;
        }
        return EXIT.ok;
      }
      case 'approve':
      case 'reject': {
        const proposalId = args[0]!;
        const { renderNotice } = await render();
        if (!json) app.addSink({ publish: async (n) => void process.stdout.write(`${renderNotice(n, 'cli')}\n`) });
        if (command === 'approve') {
          const accounts = values.accounts?.split(',').map((a) => a.trim());
          const { state, orders } = await app.approve({ proposalId, by, via: 'cli', ...(accounts ? { accounts } : {}) });
          if (json) print((await import('./views.ts')).approveJson(state, orders), () => '');
        } else {
          const state = await app.reject({ proposalId, by, via: 'cli', reason: values.reason ?? null });
          if (json) print({ proposalId, status: state.status, rejectedBy: by, reason: values.reason ?? null, orders: [] }, () => '');
        }
        return EXIT.ok;
      }
      case 'status': {
        const [{ renderStatus }, { scheduleView }] = await Promise.all([render(), import('./scheduler/index.ts')]);
        await app.resumeExecutions();
        app.provideSchedule(scheduleView(app));
        const status = await app.status();
        print(status, () => renderStatus(status));
        return EXIT.ok;
      }
      case 'postmortem': {
        const { renderNotice } = await render();
        if (!json) app.addSink({ publish: async (n) => void process.stdout.write(`${renderNotice(n, 'cli')}\n`) });
        const { postmortem, charts } = await app.postmortem({ week: values.week, out: values.out });
        if (json) print({ ...postmortem, charts: charts.map((c) => c.path) }, () => '');
        return EXIT.ok;
      }
      case 'checkpoint': {
        const { renderNotice } = await render();
        if (!json)
          app.addSink({
            publish: async (n) => void (['checkpoint_report', 'exit_report', 'execution_report'].includes(n.type) || process.stdout.write(`${renderNotice(n, 'cli')}\n`)),
          });
        const result = await app.checkpoint(at);
        print(result, () => checkpointText(renderNotice, result, config.file.exits.requireApproval));
        return EXIT.ok;
      }
      case 'serve':
        return await (await import('./serve.ts')).serve(app, { json, metrics: metrics! });
      case 'positions':
      case 'profit':
      case 'history':
      case 'leaderboard':
      case 'cost':
      case 'exit':
      case 'pause':
      case 'unpause': {
        if (!desk) return EXIT.usage;
        const [{ dispatch }, text] = await Promise.all([import('./bot/dispatch.ts'), import('./bot/desk-text.ts')]);
        const { renderNotice } = await render();
        if (!json && command === 'exit') app.addSink({ publish: async (n) => void (n.type === 'exit_report' && process.stdout.write(`${renderNotice(n, 'cli')}\n`)) });
        const outcome = await dispatch(app, desk, { by, via: 'cli' });
        switch (outcome.kind) {
          case 'positions':
            print(outcome.view, () => text.positionsLines(outcome.view).join('\n'));
            break;
          case 'profit':
            print(outcome.view, () => text.profitLines(outcome.view).join('\n'));
            break;
          case 'history': {
            const threads = new Map(await Promise.all(outcome.view.weeks.map(async (w) => [w.week, await chatThreads(app, w.week)] as const)));
            const link = (week: string) => {
              const t = threads.get(week);
              return t ? threadLines(t).join('; ') || null : null;
            };
            print({ weeks: outcome.view.weeks.map((w) => ({ ...w, threads: threads.get(w.week) ?? null })) }, () => text.historyLines(outcome.view, link).join('\n'));
            break;
          }
          case 'leaderboard':
            print(outcome.view, () => text.leaderboardLines(outcome.view).join('\n'));
            break;
          case 'cost':
            print(outcome.view, () => text.costLines(outcome.view).join('\n'));
            break;
          case 'exited':
            // Without --json the exit report printed above says what was placed.
            if (json) print(outcome.result, () => '');
            break;
          case 'paused':
            print({ trading: outcome.trading }, () => text.tradingStateText(outcome.trading));
            break;
          default:
            throw new Error(`council ${command}: unexpected outcome ${outcome.kind}`);
        }
        return EXIT.ok;
      }
    }
    return EXIT.usage;
  } finally {
    await app.close();
  }
}

/**
 * A desk command's arguments as the chat grammar reads them (bot/commands.ts), so the CLI and chat
 * accept the same words; undefined for other commands. An exit needs --yes: the CLI asks nothing.
 */
async function deskRequest(command: string, args: readonly string[], yes: boolean, reason: string | undefined): Promise<import('./bot/commands.ts').CouncilCommand | undefined> {
  if (!['positions', 'profit', 'history', 'leaderboard', 'cost', 'exit', 'pause', 'unpause'].includes(command)) return undefined;
  const { parseCouncilCommand, CommandError } = await import('./bot/commands.ts');
  if (command === 'exit' && args.length > 2) throw new UsageError('exit takes <account|all> [symbol]; give the reason with --reason TEXT');
  if (command !== 'exit' && args.length > 1) throw new UsageError(`${command} takes at most one argument`, commandHelp(command));
  let parsed: import('./bot/commands.ts').CouncilCommand;
  try {
    parsed = parseCouncilCommand([command, ...args].join(' '));
  } catch (error) {
    if (error instanceof CommandError) throw new UsageError(error.message.replace(/\/council /g, 'council '), commandHelp(command));
    throw error;
  }
  if (parsed.kind !== 'exit') return parsed;
  if (!yes) throw new UsageError(`exit closes positions at once: add --yes to confirm (council exit ${args.join(' ')} --yes)`);
  return { ...parsed, reason: reason ?? parsed.reason, confirmed: true };
}

/** Where a week lives in chat, from the threads the Slack and Discord channels recorded. */
async function chatThreads(
  app: CouncilApp,
  week: string,
): Promise<{ slack: { channel: string; ts: string } | null; discord: { channelId: string; threadId: string; url: string | null } | null }> {
  const [{ foldSlackWeek, slackStream }, { chatStream, foldChat }] = await Promise.all([import('./bot/slack/threads.ts'), import('./bot/discord/threads.ts')]);
  const slack = foldSlackWeek(await app.ports.store.read(slackStream(app.councilId, week))).thread;
  const discord = foldChat(await app.ports.store.read(chatStream(app.councilId, week)));
  const guild = app.config.discord?.guildId;
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

/** Logs in `<dataDir>/council.log` (JSON lines unless LOG_FORMAT says pretty), said once on stderr. */
async function fileLogger(dataDir: string, level: string, format: 'pretty' | 'json' | undefined, secrets: Redactor) {
  const [{ createWriteStream, mkdirSync }, { createLogger }] = await Promise.all([import('node:fs'), import('./logger.ts')]);
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'council.log');
  process.stderr.write(`council: logs go to ${path} while the console is open\n`);
  return createLogger(level, createWriteStream(path, { flags: 'a' }), format ?? 'json', secrets);
}

/** `--at 2020-04-21T12:00`, New York wall time. */
/** serve's metrics, labelling orders with the broker each account trades on. */
async function serveMetrics(config: Config) {
  const [{ createMetrics }, { brokerKindOf }] = await Promise.all([import('./web/metrics.ts'), import('./brokers/summary.ts')]);
  return createMetrics({ brokerOf: (account) => brokerKindOf(config, account) });
}

function parseNyMinute(text: string, nyDateTime: (date: string, time: string) => Date): Date {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$/.exec(text);
  if (!m) throw new UsageError(`--at needs a New York time like 2020-04-21T12:00, got ${JSON.stringify(text)}`);
  try {
    return nyDateTime(m[1]!, m[2]!);
  } catch (error) {
    throw new UsageError(`--at: ${(error as Error).message}`);
  }
}

function checkpointText(renderNotice: RenderNotice, r: CheckpointResult, requireApproval: boolean): string {
  const report = renderNotice(
    {
      type: 'checkpoint_report',
      week: r.week,
      at: r.at,
      halted: r.halted,
      positions: r.positions,
      ...(r.working ? { working: r.working } : {}),
      ...(r.news ? { news: r.news } : {}),
    },
    'cli',
  );
  const exits = r.exits.length ? `\n${renderNotice({ type: 'exit_report', week: r.week, at: r.at, exits: r.exits, requireApproval }, 'cli')}` : '';
  return `${r.fresh ? '' : '(already evaluated at this time; the recorded evaluation)\n'}${report}${exits}`;
}

/** A stable code for an error: its own `code` when it has one, else what kind of failure it is. */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'INTERNAL';
}

/**
 * Why a week has no quorum (the command then exits 4): the seats' errors (a wrong URL or key shows
 * here) and how to run the week again once fixed.
 */
function noQuorumMessage(state: WeekState): string {
  const failed = [...state.pitches.values()].filter((p) => p.status === 'abstained');
  const valid = state.pitches.size - failed.length;
  const week = state.started?.week ?? '?';
  const reasons = failed.map((p) => `${p.seat}: ${p.error ?? 'abstained'}`).join('; ');
  return `no quorum for week ${week} (${valid} valid pitches of ${state.pitches.size}): ${reasons}. Fix the cause (council doctor), then: council run --week ${week} --retry`;
}

/** Exit code by kind: usage and configuration 2, the embedded database held elsewhere 3, anything else 1. */
function exitCodeOf(error: unknown): number {
  const name = (error as { name?: unknown } | null)?.name;
  if (error instanceof UsageError || name === 'ConfigError') return EXIT.usage;
  if (name === 'DatabaseInUseError') return EXIT.databaseInUse;
  return EXIT.failed;
}

/**
 * One line on stderr (a configuration error lists every wrong key, one per line), and with --json the
 * error document on stdout. An error nobody anticipated gets an id, printed with its stack on stderr so
 * the operator can find it; the user-facing message stays short, its instants in New York time (the JSON
 * document keeps the message as written).
 */
async function fail(error: unknown, json: boolean): Promise<number> {
  const code = errorCode(error);
  const message = redact.text(error instanceof Error ? error.message : String(error));
  const said = (await import('./bot/format.ts')).withNyTimes(message);
  const errorId = randomUUID().slice(0, 8);
  const known = code !== 'INTERNAL';
  process.stderr.write(`council: ${said}${known ? '' : ` (error id ${errorId})`}\n`);
  if (error instanceof UsageError && error.hint && !json) process.stderr.write(`${error.hint}\n`);
  if (!known && error instanceof Error && error.stack) process.stderr.write(`${JSON.stringify({ level: 'error', errorId, err: { message, stack: redact.text(error.stack) } })}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code, message, errorId } }, null, 2)}\n`);
  return exitCodeOf(error);
}

const argv = process.argv.slice(2);
main(argv)
  .then((code) => {
    process.exitCode = code;
  })
  .catch(async (error: unknown) => {
    process.exitCode = await fail(error, wantsJson(argv));
  });
