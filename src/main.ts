/** The one composition root: config in, a wired App out. Tests call buildApp with overrides. */
import { App } from './app.ts';
import type { Broker } from './brokers/port.ts';
import { createSimulatedBroker } from './brokers/simulated.ts';
import type { Config } from './config/config.ts';
import { buildCouncil } from './llm/council.ts';
import { createLogger, type Logger } from './logger.ts';
import { createNyseCalendar } from './market/calendar.ts';
import { createCsvMarketData } from './market/csv.ts';
import type { MarketData } from './market/port.ts';
import type { Council } from './pipeline/seats.ts';
import { openDatabase } from './store/database.ts';
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
}

export async function buildApp(config: Config, overrides: BuildOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const db = overrides.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, memory: overrides.memory }));
  const store = createEventStore(db);
  const calendar = createNyseCalendar();
  const market = overrides.market ?? createCsvMarketData(config.marketDataDir, { calendar });
  const broker =
    overrides.broker ??
    createSimulatedBroker({
      store,
      market,
      calendar,
      settings: { startingCash: config.file.risk.startingCash, ...config.file.broker },
    });
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
    clock: overrides.clock ?? (() => new Date()),
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
