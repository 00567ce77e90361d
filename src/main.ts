/** The one composition root: config in, a wired App out. Tests call buildApp with overrides. */
import { bundledRiskFree } from './market/rates.ts';
import { App } from './app.ts';
import type { AlpacaTuning } from './vendors/alpaca.ts';
import type { Broker } from './brokers/port.ts';
import { createBrokerRouter } from './brokers/router.ts';
import { createSimulatedBroker } from './brokers/simulated.ts';
import type { Config } from './config/config.ts';
import { buildCouncil } from './llm/council.ts';
import { createLogger, type Logger } from './logger.ts';
import { redactorFor } from './redact.ts';
import { createNyseCalendar, type TradingCalendar } from './market/calendar.ts';
import { createCsvMarketData } from './market/csv.ts';
import type { NewsSource } from './market/news.ts';
import type { MarketData } from './market/port.ts';
import type { Council } from './pipeline/seats.ts';
import { openDatabase } from './store/database.ts';
import { withStreamCache } from './store/cached.ts';
import { createEventStore } from './store/event-store.ts';
import { redactAppends } from './store/redacting.ts';
import { trackAppends } from './store/tracked.ts';
import type { Database } from './store/port.ts';
import { type MetricsHooks, observedStore } from './web/observe.ts';

export interface BuildOverrides {
  db?: Database;
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
  /** The operations metrics (serve): every append is timed and counted through them. */
  metrics?: MetricsHooks;
}

export async function buildApp(config: Config, overrides: BuildOverrides = {}): Promise<App> {
  const secrets = redactorFor(config);
  const logger = overrides.logger ?? createLogger(config.logLevel, process.stderr, config.logFormat, secrets);
  const db = overrides.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, memory: overrides.memory }));
  // An embedded database we opened ourselves has one writer, this process (the folder lock sees to it).
  // Tracked: `status` keeps its view until something is appended. Redacted: no secret is ever stored.
  const sql = createEventStore(db);
  const plain = trackAppends(redactAppends(db.kind === 'pglite' && !overrides.db ? withStreamCache(sql) : sql, secrets));
  const store = overrides.metrics ? observedStore(plain, overrides.metrics) : plain;
  const clock = overrides.clock ?? (() => new Date());
  const endpoints = { paper: config.alpaca.paper, apiUrl: config.alpaca.apiUrl, dataUrl: config.alpaca.dataUrl };
  // The Alpaca SDK loads only when some account trades on Alpaca.
  const alpacaSdk = Object.keys(config.alpaca.accounts).length ? await loadAlpaca() : undefined;
  const dataClient = config.alpaca.dataKeys && !overrides.market && alpacaSdk ? alpacaSdk.createAlpacaClient(config.alpaca.dataKeys, endpoints, overrides.alpaca) : undefined;
  let calendar: TradingCalendar = createNyseCalendar();
  if (dataClient) {
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
  const newsSdk = newsKeys && !overrides.news ? (alpacaSdk ?? (await loadAlpaca())) : undefined;
  const news = overrides.news ?? (newsKeys && newsSdk ? newsSdk.createAlpacaNews(dataClient ?? newsSdk.createAlpacaClient(newsKeys, endpoints, overrides.alpaca)) : undefined);
  const simulated = createSimulatedBroker({
    store,
    market,
    calendar,
    settings: { startingCash: config.file.risk.startingCash, ...config.file.broker, interestRate: config.file.broker.cashInterest ? bundledRiskFree().daily : undefined },
  });
  const alpacaAccounts = Object.keys(config.alpaca.accounts);
  const routes = () => {
    if (!alpacaAccounts.length) return {};
    // Accounts with Alpaca keys trade there, one adapter for them all; every other account is simulated.
    const alpaca = alpacaSdk!.createAlpacaBroker({ accounts: config.alpaca.accounts, endpoints, tuning: overrides.alpaca, clock, shortability: overrides.shortability });
    return Object.fromEntries(alpacaAccounts.map((account) => [account, alpaca]));
  };
  const broker = overrides.broker ?? createBrokerRouter({ accounts: routes(), fallback: simulated });
  const council = overrides.council ?? buildCouncil(config, { store, db, clock });
  const fault = config.crashAt ? crashAt(config.crashAt) : undefined;
  return new App({
    config,
    db,
    store,
    market,
    news,
    calendar,
    broker,
    council,
    logger,
    clock,
    simulatedTime: market.source.startsWith('csv:'),
    fault,
  });
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
