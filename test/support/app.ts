/** Builds an App on in-memory PGlite with a fixed clock, for tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { App } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/config.ts';
import { type BuildOverrides, buildApp } from '../../src/compose.ts';
import type { Notice } from '../../src/pipeline/notices.ts';

export async function testApp(env: Record<string, string> = {}, overrides: BuildOverrides = {}): Promise<{ app: App; notices: Notice[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'council-test-'));
  const config = loadConfig({ COUNCIL_DATA_DIR: dir, ...env });
  const app = await buildApp(config, { memory: true, logger: pino({ level: 'silent' }), clock: () => new Date('2026-11-24T15:00:00Z'), ...overrides });
  const notices: Notice[] = [];
  app.addSink({ publish: async (n) => void notices.push(n) });
  return { app, notices };
}
