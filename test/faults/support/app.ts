/**
 * An in-process App for a fault scenario: the scenario's own PostgreSQL schema (in-memory PGlite without
 * TEST_DATABASE_URL), six accounts on the fake Alpaca, the bundled CSV bars (a replay: council time is
 * the week's Monday, so no wall clock is read), and every notice captured.
 */
import { pino } from 'pino';
import type { App } from '../../../src/app/index.ts';
import { type Config, loadConfig } from '../../../src/config/config.ts';
import { type BuildOverrides, buildApp } from '../../../src/compose.ts';
import { bundledBarsDir } from '../../../src/market/csv.ts';
import type { Notice } from '../../../src/pipeline/notices.ts';
import { alpacaEnv } from '../../brokers/env.ts';
import type { FakeAlpaca } from '../../fakes/alpaca.ts';
import type { ScenarioDatabase } from './database.ts';

export interface FaultApp {
  app: App;
  config: Config;
  notices: Notice[];
  /** The environment a spawned `council` needs to reach the same database and broker. */
  env: Record<string, string>;
}

export async function faultApp(
  db: ScenarioDatabase,
  fake: FakeAlpaca,
  opts: { env?: Record<string, string>; overrides?: BuildOverrides; fillMode?: 'hold' | 'fill' | 'partial' } = {},
): Promise<FaultApp> {
  const env = { ...alpacaEnv(fake, db.env.COUNCIL_DATA_DIR ?? '', { fillMode: opts.fillMode }), ...db.env, MARKET_DATA_DIR: bundledBarsDir(), LOG_LEVEL: 'warn', ...opts.env };
  const config = loadConfig(env);
  const app = await buildApp(config, {
    ...(db.kind === 'postgres' ? { db: await db.open() } : { memory: true }),
    logger: pino({ level: 'silent' }),
    clock: () => new Date('2024-03-04T12:00:00Z'),
    alpaca: { timeoutMs: 2_000, retry: { maxRetries: 1, retryDelayMs: 1 }, rateLimit: false },
    ...opts.overrides,
  });
  const notices: Notice[] = [];
  app.addSink({ publish: async (n) => void notices.push(n) });
  return { app, config, notices, env };
}
