/** The one composition root: config in, a wired App out. Tests call buildApp with overrides. */
import { bundledRiskFree } from './market/rates.ts';
import { App } from './app.ts';
import { createAlpacaBroker } from './brokers/alpaca.ts';
import { type AlpacaTuning, createAlpacaClient } from './brokers/alpaca-client.ts';
import type { Broker } from './brokers/port.ts';
import { createBrokerRouter } from './brokers/router.ts';
import { createSimulatedBroker } from './brokers/simulated.ts';
import type { Config } from './config/config.ts';
import { buildCouncil } from './llm/council.ts';
import { createLogger, type Logger } from './logger.ts';
import { createAlpacaMarketData, loadAlpacaCalendar } from './market/alpaca.ts';
import { createNyseCalendar, type TradingCalendar } from './market/calendar.ts';
import { createCsvMarketData } from './market/csv.ts';
import type { MarketData } from './market/port.ts';
import { addDays, nyDate } from './market/time.ts';
import type { Council } from './pipeline/seats.ts';
import { openDatabase } from './store/database.ts';
import { withStreamCache } from './store/cached.ts';
import { createEventStore } from './store/event-store.ts';
import type { Database } from './store/port.ts';

export interface BuildOverrides {
  db?: Database;
  logger?: Logger;
  clock?: () => Date;
  market?: MarketData;
  broker?: Broker;
  council?: Council;
  memory?: boolean;
  /** Timeouts, retries and rate limits of the Alpaca clients (tests make them small). */
  alpaca?: AlpacaTuning;
  /** How long Alpaca's word on lending a symbol is trusted, and how often a waiting proposal refreshes it. */
  shortability?: { maxAgeMs?: number; refreshMs?: number };
}

export async function buildApp(config: Config, overrides: BuildOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const db = overrides.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, memory: overrides.memory }));
  // An embedded database we opened ourselves has one writer, this process (the folder lock sees to it).
  const store = db.kind === 'pglite' && !overrides.db ? withStreamCache(createEventStore(db)) : createEventStore(db);
  const clock = overrides.clock ?? (() => new Date());
  const endpoints = { paper: config.alpaca.paper, apiUrl: config.alpaca.apiUrl, dataUrl: config.alpaca.dataUrl };
  const dataClient = config.alpaca.dataKeys && !overrides.market ? createAlpacaClient(config.alpaca.dataKeys, endpoints, overrides.alpaca) : undefined;
  let calendar: TradingCalendar = createNyseCalendar();
  if (dataClient) {
    const today = nyDate(clock());
    calendar = await loadAlpacaCalendar(dataClient, { from: addDays(today, -730), to: addDays(today, 365) }, calendar).catch((error: unknown) => {
      logger.warn({ err: error }, "Alpaca's calendar is unavailable; using the offline NYSE calendar");
      return calendar;
    });
  }
  const market =
    overrides.market ??
    (dataClient ? createAlpacaMarketData({ client: dataClient, feed: config.alpaca.dataFeed, calendar }) : createCsvMarketData(config.marketDataDir, { calendar }));
  const simulated = createSimulatedBroker({
    store,
    market,
    calendar,
    settings: { startingCash: config.file.risk.startingCash, ...config.file.broker, interestRate: config.file.broker.cashInterest ? bundledRiskFree().daily : undefined },
  });
  const alpacaAccounts = Object.keys(config.alpaca.accounts);
  const broker =
    overrides.broker ??
    (alpacaAccounts.length
      ? createBrokerRouter({ alpaca: createAlpacaBroker({ accounts: config.alpaca.accounts, endpoints, tuning: overrides.alpaca, clock, shortability: overrides.shortability }), alpacaAccounts, simulated })
      : simulated);
  const council = overrides.council ?? buildCouncil(config, { store, db });
  const fault = config.crashAt ? crashAt(config.crashAt) : undefined;
  return new App({
    config,
    db,
    store,
    market,
    calendar,
    broker,
    council,
    logger,
    clock,
    simulatedTime: market.source.startsWith('csv:'),
    fault,
  });
}

/** Crash tests: COUNCIL_CRASH_AT=<point> kills the process with SIGKILL when the run reaches that point. */
function crashAt(point: string): (at: string) => void {
  return (at) => {
    if (at === point) process.kill(process.pid, 'SIGKILL');
  };
}
