/**
 * `council serve`: the operations listener, the start-up checks, the chat channels (Slack and/or Discord
 * when configured; the console when neither is and a terminal or a pipe feeds stdin; headless when
 * stdin is /dev/null or closed, as under systemd or in a container), the schedule, and a clean stop.
 *
 * Stopping (SIGTERM or SIGINT): readiness turns 503 at once, the scheduler and the channels stop taking
 * work, whatever is in flight (an execution resumed at start, a scheduled slot, a click) gets
 * SHUTDOWN_GRACE_MS to finish, then the listener and the database close and the process exits 0. An
 * uncaught exception or unhandled rejection is logged with an error id and ends the process with exit 70.
 */
import { randomUUID } from 'node:crypto';
import { fstatSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { CouncilApp } from './app/index.ts';
import { runConsole } from './bot/console/channel.ts';
import { brokerSummary, renderDoctor, runDoctor } from './doctor.ts';
import type { Logger } from './logger.ts';
import { userErrorText } from './redact.ts';
import { startScheduler } from './scheduler/index.ts';
import { createPgSlotClaims } from './scheduler/claims.ts';
import type { Metrics } from './web/metrics.ts';
import { observedClaims } from './web/observe.ts';
import type { Handler, ReadinessCheck } from './web/server.ts';
import { startOpsServer } from './web/server.ts';
import { sendJson } from './web/http.ts';
import { dashboardRoutes } from './web/dashboard.ts';
import { createWebSignIn, registerWebSignIn } from './web/sign-in.ts';

/** How long a stop waits for work in flight before closing anyway (it resumes at the next start). */
export const SHUTDOWN_GRACE_MS = 30_000;

/** Exit codes of `serve` besides 0 and the CLI's own (1 failure, 2 usage or config, 3 database in use). */
export const EXIT_PREFLIGHT = 5;
export const EXIT_FATAL = 70;

export type StdinMode = 'tty' | 'lines' | 'none';

/** A terminal, a pipe or file of commands, or nothing to read (/dev/null, closed): then serve is headless. */
export function stdinMode(fd = 0): StdinMode {
  try {
    const stat = fstatSync(fd);
    if (process.stdin.isTTY) return 'tty';
    return stat.isFIFO() || stat.isFile() || stat.isSocket() ? 'lines' : 'none';
  } catch {
    return 'none';
  }
}

interface Emitter {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * Logs an uncaught exception or unhandled rejection with an error id and hands the exit code to
 * `onFatal` (the process ends: its state can no longer be trusted; a supervisor restarts it, and the
 * restart resumes whatever was in flight from the events). Returns the uninstaller.
 */
export function installFatalHandlers(target: Emitter, logger: Logger, onFatal: (code: number, errorId: string) => void): () => void {
  const handler = (kind: string) => (error: unknown) => {
    const errorId = randomUUID().slice(0, 8);
    logger.fatal({ err: error, errorId }, `${kind}: stopping (error id ${errorId})`);
    onFatal(EXIT_FATAL, errorId);
  };
  const rejection = handler('unhandled rejection');
  const exception = handler('uncaught exception');
  target.on('unhandledRejection', rejection);
  target.on('uncaughtException', exception);
  return () => {
    target.off('unhandledRejection', rejection);
    target.off('uncaughtException', exception);
  };
}

/** Resolves on the first SIGTERM or SIGINT; a second one exits at once (130). */
function signalLatch(): { stopped: Promise<string>; signalled: () => string | undefined; dispose: () => void } {
  let signal: string | undefined;
  let resolve!: (s: string) => void;
  const stopped = new Promise<string>((r) => {
    resolve = r;
  });
  const on = (s: NodeJS.Signals) => () => {
    // A second signal (Ctrl-C twice) means now: what is in flight resumes from the events at the next start.
    if (signal !== undefined) {
      process.stderr.write(`council: second ${s}: exiting now; work in flight resumes at the next start\n`);
      process.exit(130);
    }
    signal = s;
    resolve(s);
  };
  const term = on('SIGTERM');
  const int = on('SIGINT');
  process.on('SIGTERM', term);
  process.on('SIGINT', int);
  return {
    stopped,
    signalled: () => signal,
    dispose: () => {
      process.off('SIGTERM', term);
      process.off('SIGINT', int);
    },
  };
}

/** Waits for `work` at most `ms`; true when it settled in time. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  const done = work.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([done, late]);
  clearTimeout(timer);
  return result;
}

/** What serve's stop needs from a route that changes something: whether work is still taken, and a way to wait for it. */
export interface WorkGate {
  taking(): boolean;
  track<T>(work: Promise<T>): Promise<T>;
}

/**
 * The dashboard's routes as serve runs them. A request that changes something (any verb but GET: an
 * approval, a rejection, an exit, the kill switch) is work in flight, which a stop waits for as it waits
 * for a click in chat; once a stop has begun, such a request is answered 503 and nothing is started.
 * Pages and reads answer until the listener closes.
 */
export function gatedRoutes(routes: ReadonlyMap<string, Handler>, gate: WorkGate): Map<string, Handler> {
  const gated = new Map<string, Handler>();
  for (const [key, handler] of routes) {
    if (key.startsWith('GET ')) {
      gated.set(key, handler);
      continue;
    }
    gated.set(key, (req, res, params) => {
      if (!gate.taking()) {
        // The body is left unread: the connection closes with the answer.
        sendJson(
          res,
          503,
          { error: { code: 'STOPPING', message: 'council serve is stopping and takes no new work; try again once it is back' } },
          { 'retry-after': '30', connection: 'close' },
        );
        return;
      }
      return gate.track(Promise.resolve(handler(req, res, params)));
    });
  }
  return gated;
}

/**
 * A start refused: the reason on stderr and, with --json, the CLI's error document on stdout (as every
 * command's failure prints it), then exit 5.
 */
function refuseStart(json: boolean, code: 'LISTEN' | 'PREFLIGHT', said: string, message: string): number {
  process.stderr.write(`council: ${said}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code, message, errorId: randomUUID().slice(0, 8) } }, null, 2)}\n`);
  return EXIT_PREFLIGHT;
}

export interface ServeOptions {
  json: boolean;
  metrics: Metrics;
  graceMs?: number;
}

export async function serve(app: CouncilApp, options: ServeOptions): Promise<number> {
  const { config, logger } = app;
  const db = app.ports.database;
  const graceMs = options.graceMs ?? SHUTDOWN_GRACE_MS;
  const latch = signalLatch();
  let exit = 0;
  let fatal: ((code: number) => void) | undefined;
  const fatalCode = new Promise<number>((resolve) => {
    fatal = resolve;
  });
  const uninstall = installFatalHandlers(process, logger, (code) => {
    exit = code;
    process.exitCode = code;
    fatal?.(code);
    // The process is not to be trusted any more: give the stop sequence a moment, then go.
    setTimeout(() => process.exit(code), Math.min(graceMs, 5_000)).unref();
  });
  const stopOrFatal = Promise.race([latch.stopped.then(() => 0), fatalCode]);

  const mode = stdinMode();
  const channels: { name: string; stop(): Promise<void>; connected?: () => boolean }[] = [];
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inflight.add(work);
    void work.catch(() => {}).finally(() => inflight.delete(work));
    return work;
  };
  const state = { phase: 'starting' as 'starting' | 'running' | 'stopping', warmed: false };
  // From the first signal (or a fatal error) on, nothing new is started, whichever front door asks.
  const taking = () => state.phase !== 'stopping' && latch.signalled() === undefined && exit === 0;
  // A configured platform is ready once started and while its channel says it is connected (a dropped gateway is not).
  const chatReadiness = (name: string | undefined): ReadinessCheck[] => {
    if (!name) return [];
    const channel = channels.find((c) => c.name === name);
    const ok = channel !== undefined && (channel.connected?.() ?? true);
    return [{ part: name, ok, detail: ok ? 'connected' : channel ? 'connection lost; reconnecting' : 'not connected' }];
  };
  const readiness = async (): Promise<ReadinessCheck[]> => {
    let answer: { ok: boolean; detail: string } = { ok: false, detail: 'no answer within 2 s' };
    const query = db.query('select 1').then(
      () => {
        answer = { ok: true, detail: db.kind };
      },
      (error: unknown) => {
        answer = { ok: false, detail: (error as Error).message };
      },
    );
    await within(query, 2_000);
    const database = answer;
    return [
      {
        part: 'process',
        ok: state.phase === 'running' && taking(),
        detail: !taking()
          ? 'stopping'
          : state.phase === 'running'
            ? 'taking work'
            : state.phase === 'starting'
              ? `starting${inflight.size ? `: ${inflight.size} execution(s) resuming` : ''}`
              : 'stopping',
      },
      { part: 'database', ...database },
      { part: 'market data', ok: state.warmed, detail: state.warmed ? app.ports.market.source : 'warming' },
      ...chatReadiness(config.slack ? 'slack' : undefined),
      ...chatReadiness(config.discord ? 'discord' : undefined),
    ];
  };

  let server: Awaited<ReturnType<typeof startOpsServer>>;
  // The dashboard shares the listener; its sign-in is the one chat's `/council web` hands links out from.
  const signIn = createWebSignIn(app);
  const unregisterSignIn = registerWebSignIn(app, signIn);
  try {
    server = await startOpsServer({
      host: config.http.host,
      port: config.http.port,
      metrics: options.metrics,
      readiness,
      routes: gatedRoutes(dashboardRoutes(app, { signIn }), { taking, track }),
      failure: (error) => {
        const text = userErrorText(error, { logger, redact: app.redactor }, 'http request');
        return text.kind === 'user' ? { error: text.message } : { error: text.summary, errorId: text.errorId };
      },
    });
    signIn.listeningOn(server.url);
  } catch (error) {
    latch.dispose();
    uninstall();
    unregisterSignIn();
    const reason = `the operations listener cannot listen on ${config.http.host}:${config.http.port}: ${(error as Error).message} (set COUNCIL_HTTP_PORT / COUNCIL_HTTP_HOST)`;
    return refuseStart(options.json, 'LISTEN', reason, reason);
  }
  logger.info({ url: server.url }, `operations listener on ${server.url} (/healthz /readyz /metrics; the dashboard at /, sign in with council web-login)`);
  const detachMetrics = app.addSink(options.metrics.sink);

  let scheduler: ReturnType<typeof startScheduler> | undefined;
  let orderUpdates: ReturnType<typeof app.watchOrderUpdates> | undefined;
  try {
    await app.warm();
    state.warmed = true;
    // Fail early: a broken part refuses the start with what to fix, before any work is taken.
    const report = await runDoctor({ config, app, clock: app.clock.now });
    const brokers = brokerSummary(config);
    logger[brokers.partial ? 'warn' : 'info']({ brokers: brokers.text }, `brokers: ${brokers.text}${brokers.fix ? ` (${brokers.fix})` : ''}`);
    if (!report.ok) {
      const failing = report.checks.filter((c) => c.status === 'fail');
      return refuseStart(
        options.json,
        'PREFLIGHT',
        `serve refuses to start; fix the failing part(s):\n${renderDoctor({ ok: false, checks: failing })}`,
        `serve refuses to start; fix the failing part(s): ${failing.map((c) => `${c.part}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`).join('; ')}`,
      );
    }
    if (latch.signalled()) return 0;

    const { startSlack } = config.slack ? await import('./bot/slack/index.ts') : { startSlack: undefined };
    const { startDiscord } = config.discord ? await import('./bot/discord/index.ts') : { startDiscord: undefined };
    if (config.slack && startSlack) {
      channels.push({ name: 'slack', ...(await startSlack(app, config.slack, logger)) });
    }
    if (config.discord && startDiscord) {
      channels.push({ name: 'discord', ...(await startDiscord(app, config.discord, logger)) });
    }
    const resuming = track(app.resumeExecutions());
    await Promise.race([resuming, stopOrFatal]);
    if (latch.signalled() === undefined && exit === 0 && (await within(resuming, 0))) {
      const resumed = await resuming;
      if (resumed) logger.info({ resumed }, 'resumed approved executions');
      // Alpaca pushes fills and triggered stops: recorded and replied in the thread within seconds
      // (resumeExecutions has just reconciled every account).
      if (Object.keys(config.alpaca.accounts).length) orderUpdates = app.watchOrderUpdates({ reconciled: true });
      scheduler = startScheduler(app, {
        onPostmortem: async (week) => void (await app.postmortem({ week })),
        claims: observedClaims(createPgSlotClaims(db), options.metrics),
      });
      state.phase = 'running';
      if (channels.length || mode === 'none') {
        if (!channels.length) logger.info('headless: no chat platform and nothing to read on stdin; the schedule runs until SIGTERM or SIGINT');
        await stopOrFatal;
      } else {
        const removeConsole = app.addChannel('console');
        const consoleDone = runConsole(app, {
          input: process.stdin,
          output: process.stdout,
          user: userInfo().username,
          interactive: mode === 'tty' && !options.json,
          checkpoint: async (at) => void (await track(app.checkpoint(at))),
          postmortem: async (week) => void (await app.postmortem({ week })),
        });
        await Promise.race([consoleDone, stopOrFatal]);
        if (latch.signalled() !== undefined) process.stdin.destroy();
        await within(consoleDone, graceMs);
        removeConsole();
      }
    }
  } finally {
    state.phase = 'stopping';
    const signal = latch.signalled();
    if (signal) logger.info({ signal, inflight: inflight.size }, `${signal}: stopping; waiting up to ${graceMs / 1000} s for ${inflight.size} piece(s) of work in flight`);
    orderUpdates?.stop();
    const stopping = Promise.allSettled([scheduler?.stop(), ...channels.map((c) => c.stop()), orderUpdates?.idle(), ...inflight]);
    const drained = await within(stopping, graceMs);
    if (!drained) {
      logger.error({ inflight: inflight.size }, 'stop: work still in flight after the grace period; it resumes at the next start');
      exit ||= 1;
    }
    detachMetrics();
    await server.close();
    unregisterSignIn();
    latch.dispose();
    uninstall();
    // Whatever still holds the event loop (a socket a peer keeps open) must not keep a stopped server alive.
    setTimeout(() => process.exit(), 5_000).unref();
  }
  return exit;
}
