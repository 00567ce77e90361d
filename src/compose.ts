/**
 * The one composition root: config and a mode in, a wired application out. `live` is serve and the CLI
 * (the clock live on a market feed, simulated on replay data); `backtest` is the historical run (events
 * in memory, no SQL, automatic approval); `replay` is a recorded run replayed on a fork of the store.
 * Nothing else constructs the application; tests call `compose` (or `buildApp`) with overrides.
 */
import { App, type CouncilApp } from './app/index.ts';
import { approveEverything, approverList, type Authoriser } from './app/authoriser.ts';
import { type CouncilClock, createLiveClock, createReplayClock, replaysHistory } from './app/clock.ts';
import { type AppDeps, pipelineSettings } from './app/context.ts';
import type { AlpacaTuning } from './vendors/alpaca.ts';
import type { Broker } from './brokers/port.ts';
import type { StreamTuning } from './brokers/alpaca-stream.ts';
import { createBrokerRouter } from './brokers/router.ts';
import { createSimulatedBroker } from './brokers/simulated.ts';
import type { Config } from './config/config.ts';
import { buildCouncil } from './llm/council.ts';
import { prepareReplay } from './llm/replay.ts';
import { createLogger, type Logger } from './logger.ts';
import { createNyseCalendar, type TradingCalendar } from './market/calendar.ts';
import { createCsvMarketData } from './market/csv.ts';
import type { NewsSource } from './market/news.ts';
import type { MarketData } from './market/port.ts';
import { bundledRiskFree } from './market/rates.ts';
import { createProposalRepository } from './pipeline/execution.ts';
import { type NoticeSink, nullSink } from './pipeline/notices.ts';
import type { Council } from './pipeline/seats.ts';
import type { WeekState } from './pipeline/week.ts';
import { redactorFor } from './redact.ts';
import { withStreamCache } from './store/cached.ts';
import { createEventStore } from './store/event-store.ts';
import { memoryDatabase } from './store/memory.ts';
import type { Database, EventStore } from './store/port.ts';
import { redactAppends } from './store/redacting.ts';
import { trackAppends } from './store/tracked.ts';
import { type MetricsHooks, observedStore } from './web/observe.ts';

export type ComposeMode = 'live' | 'backtest' | 'replay';

/** What the composition root built for each application it returned. */
const built = new WeakMap<CouncilApp, AppDeps>();

/**
 * The parts an application was composed of (its store, broker, database, ...), for tests and benches
 * that look behind the application; src/ holds a CouncilApp and never needs them.
 */
export function partsOf(app: CouncilApp): AppDeps {
  const parts = built.get(app);
  if (!parts) throw new Error('this application was not built by compose');
  return parts;
}

export interface BuildOverrides {
  db?: Database;
  /** The event store as built (backtest: in memory; replay: a fork); default the SQL store over `db`. */
  store?: EventStore;
  calendar?: TradingCalendar;
  /** Who may approve; default COUNCIL_APPROVERS and the CLI (backtest: everyone, its approval is automatic). */
  authoriser?: Authoriser;
  logger?: Logger;
  clock?: () => Date;
  market?: MarketData;
  /** The research's news; default Alpaca's, with the first Alpaca account's keys, else none. */
  news?: NewsSource;
  broker?: Broker;
  council?: Council;
  memory?: boolean;
  /** Timeouts, retries and rate limits of the Alpaca clients (tests make them small). */
  alpaca?: AlpacaTuning;
  /** How long Alpaca's word on lending a symbol is trusted, and how often a waiting proposal refreshes it. */
  shortability?: { maxAgeMs?: number; refreshMs?: number };
  /** The Alpaca trade stream's reconnect backoff and timers (tests inject theirs). */
  alpacaStream?: StreamTuning;
  /** The operations metrics (serve): every append is timed and counted through them. */
  metrics?: MetricsHooks;
}

/**
 * The tests' builder: a live-mode application as `compose` builds it, typed as the concrete App so a
 * test can read what was built (its store, broker, config). Code in src/ holds a CouncilApp.
 */
export function buildApp(config: Config, overrides: BuildOverrides = {}): Promise<App> {
  return composeApp(config, 'live', overrides);
}

/**
 * Builds the database, store, market data, calendar, brokers, council (seats), clock, authoriser and the
 * application. A backtest passes its in-memory store, broker, council and clock; a replay its fork.
 */
export function compose(config: Config, mode: ComposeMode, overrides: BuildOverrides = {}): Promise<CouncilApp> {
  return composeApp(config, mode, overrides);
}

async function composeApp(config: Config, mode: ComposeMode, overrides: BuildOverrides): Promise<App> {
  const secrets = redactorFor(config);
  const logger = overrides.logger ?? createLogger(config.logLevel, process.stderr, config.logFormat, secrets);
  // The SQL drivers (pg, PGlite) load only when a database is opened: a backtest keeps its events in memory.
  const db =
    overrides.db ??
    (mode === 'backtest'
      ? memoryDatabase()
      : await (await import('./store/database.ts')).openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, memory: overrides.memory }));
  const store = overrides.store ?? sqlStore(db, !overrides.db, secrets, overrides.metrics);
  const clock = overrides.clock ?? (() => new Date());
  const endpoints = { paper: config.alpaca.paper, apiUrl: config.alpaca.apiUrl, dataUrl: config.alpaca.dataUrl };
  // The Alpaca SDK loads only when some account trades on Alpaca.
  // A backtest or a replay runs on history, simulated accounts and recorded or builtin seats: no vendor is asked anything.
  const offline = mode !== 'live';
  const alpacaSdk = !offline && Object.keys(config.alpaca.accounts).length ? await loadAlpaca() : undefined;
  const dataClient = config.alpaca.dataKeys && !overrides.market && alpacaSdk ? alpacaSdk.createAlpacaClient(config.alpaca.dataKeys, endpoints, overrides.alpaca) : undefined;
  let calendar: TradingCalendar = overrides.calendar ?? createNyseCalendar();
  if (dataClient && !overrides.calendar) {
    // Read now and every day after; until Alpaca answers, the offline NYSE calendar does.
    const alpacaCalendar = await alpacaSdk!.createRefreshingAlpacaCalendar({
      client: dataClient,
      clock,
      fallback: calendar,
      onError: (error) => logger.warn({ err: error }, "Alpaca's calendar is unavailable; using the offline NYSE calendar until the next refresh"),
    });
    calendar = alpacaCalendar.calendar;
  }
  const market =
    overrides.market ??
    (dataClient ? alpacaSdk!.createAlpacaMarketData({ client: dataClient, feed: config.alpaca.dataFeed, calendar }) : createCsvMarketData(config.marketDataDir, { calendar }));
  // News is read point in time (`end` at the decision time), so any Alpaca keys may serve it, also for a replayed week.
  const newsKeys = config.alpaca.dataKeys ?? Object.values(config.alpaca.accounts)[0];
  const newsSdk = newsKeys && !overrides.news && !offline ? (alpacaSdk ?? (await loadAlpaca())) : undefined;
  const news = overrides.news ?? (newsKeys && newsSdk ? newsSdk.createAlpacaNews(dataClient ?? newsSdk.createAlpacaClient(newsKeys, endpoints, overrides.alpaca)) : undefined);
  const simulated = () =>
    createSimulatedBroker({
      store,
      market,
      calendar,
      // A replay sizes from the accounts as they stood, without the interest accrual a live account carries.
      settings: {
        startingCash: config.file.risk.startingCash,
        ...config.file.broker,
        interestRate: config.file.broker.cashInterest && mode !== 'replay' ? bundledRiskFree().daily : undefined,
      },
    });
  const alpacaAccounts = Object.keys(config.alpaca.accounts);
  const routes = () => {
    if (!alpacaAccounts.length || !alpacaSdk) return {};
    // Accounts with Alpaca keys trade there, one adapter for them all; every other account is simulated.
    const alpaca = alpacaSdk.createAlpacaBroker({
      accounts: config.alpaca.accounts,
      endpoints,
      tuning: overrides.alpaca,
      clock,
      shortability: overrides.shortability,
      stream: overrides.alpacaStream,
      onStreamError: (account, message) => logger.warn({ account }, `Alpaca trade stream of ${account}: ${message}`),
    });
    return Object.fromEntries(alpacaAccounts.map((account) => [account, alpaca]));
  };
  const broker = overrides.broker ?? createBrokerRouter({ accounts: routes(), fallback: simulated() });
  const council = overrides.council ?? buildCouncil(config, { store, db, clock });
  const fault = config.crashAt && mode === 'live' ? crashAt(config.crashAt) : undefined;
  const settings = pipelineSettings(config);
  // PostgreSQL may commit a lower position after a higher one was read; the embedded stores never do.
  const proposals = createProposalRepository(store, { commitOrdered: db.kind !== 'postgres' });
  // A backtest and a replay run on history: their time is simulated whatever the data's source.
  const councilClock: CouncilClock =
    mode !== 'live' || replaysHistory(market)
      ? createReplayClock({ now: clock, market, calendar, store, proposals, council: settings.council, symbol: settings.universe[0] ?? 'SPY' })
      : createLiveClock(clock);
  const authoriser = overrides.authoriser ?? (mode === 'backtest' ? approveEverything : approverList(config.approvers));
  const parts: AppDeps = { config, db, store, proposals, market, news, calendar, broker, council, logger, clock: councilClock, authoriser, settings, fault };
  const app = new App(parts);
  built.set(app, parts);
  return app;
}

/**
 * `council run --replay <runId>`: the run again from its recorded answers, with zero model calls, on an
 * application composed in 'replay' mode over a fork of `app`'s store; nothing is written to the real store.
 */
export async function replayRun(app: CouncilApp, runId: string, sink: NoticeSink = nullSink): Promise<WeekState> {
  const { store, database, market, calendar } = app.ports;
  const plan = await prepareReplay(app.config, { store, db: database }, runId);
  const replaying = await composeApp(app.config, 'replay', { db: database, store: plan.store, council: plan.council, market, calendar, logger: app.logger, clock: app.clock.now });
  replaying.addSink(sink);
  // Not closed: its database is the one `app` holds open.
  return replaying.replay(plan.run);
}

/**
 * The SQL event store over `db`. An embedded database we opened ourselves has one writer, this process
 * (the folder lock sees to it), so its streams are cached. Tracked: `status` keeps its view until
 * something is appended. Redacted: no secret is ever stored. Observed: serve's metrics time each append.
 */
function sqlStore(db: Database, ownDatabase: boolean, secrets: ReturnType<typeof redactorFor>, metrics: MetricsHooks | undefined): EventStore {
  const sql = createEventStore(db);
  const plain = trackAppends(redactAppends(db.kind === 'pglite' && ownDatabase ? withStreamCache(sql) : sql, secrets));
  return metrics ? observedStore(plain, metrics) : plain;
}

async function loadAlpaca() {
  const [broker, client, market, news] = await Promise.all([
    import('./brokers/alpaca.ts'),
    import('./vendors/alpaca.ts'),
    import('./market/alpaca.ts'),
    import('./market/alpaca-news.ts'),
  ]);
  return { ...broker, ...client, ...market, ...news };
}

/** Crash tests: COUNCIL_CRASH_AT=<point> kills the process with SIGKILL when the run reaches that point. */
function crashAt(point: string): (at: string) => void {
  return (at) => {
    if (at === point) process.kill(process.pid, 'SIGKILL');
  };
}
