/** An App whose seats are LLMs behind the fake router, with tight timeouts and a $5 budget, for tests. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse, stringify } from 'yaml';
import type { App } from '../../src/app/index.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config/config.ts';
import { buildApp } from '../../src/compose.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import type { Database } from '../../src/store/port.ts';

export interface LlmTestAppOptions {
  /** A database of the test's own (e.g. one a backtest reads afterwards); default: in-memory PGlite. */
  db?: Database;
  /** More environment, e.g. the COUNCIL_DATA_DIR or DATABASE_URL that `db` lives in. */
  env?: Record<string, string>;
}

export async function llmTestApp(baseUrl: string, notices: Notice[], prefix = 'council-llm-', options: LlmTestAppOptions = {}): Promise<App> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
  file.llm = { ...file.llm, timeoutMs: 10_000, stageDeadlineMs: 30_000, retries: 1, maxRetryAfterMs: 5, budgetUsd: 5 };
  const configPath = join(dir, 'council.yaml');
  writeFileSync(configPath, stringify(file));
  const config = loadConfig({ COUNCIL_DATA_DIR: dir, COUNCIL_CONFIG: configPath, LLM_API_KEY: 'sk-test-key', LLM_BASE_URL: baseUrl, ...options.env });
  const app = await buildApp(config, { ...(options.db ? { db: options.db } : { memory: true }), logger: pino({ level: 'silent' }), clock: () => new Date('2024-06-03T12:00:00Z') });
  app.addSink({ publish: async (n) => void notices.push(n) });
  return app;
}
