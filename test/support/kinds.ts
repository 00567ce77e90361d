/**
 * Which test files are unit tests: they open no database and start no process, so they run in threads,
 * several at a time, in seconds (`npm run test:unit`). Every other test file is an integration test
 * (PGlite or PostgreSQL, child processes, end to end) and runs in forks, two at a time: each may hold a
 * PGlite instance of ~850 MB. A new test file is an integration test until it is listed here;
 * test/architecture/test-kinds.test.ts checks that nothing listed here opens a database or a process.
 *
 * An entry ending in `/` is a whole folder; any other entry is one file.
 */
export const UNIT_TESTS: readonly string[] = [
  'test/architecture/',
  'test/cli/',
  'test/config/',
  'test/domain/',
  'test/market/',
  'test/pipeline/checkpoint-listing.test.ts',
  'test/pipeline/halt-reach.test.ts',
  'test/redact.test.ts',
  'test/backtest/backtest.test.ts',
  'test/backtest/exports.test.ts',
  'test/backtest/gaps.test.ts',
  'test/backtest/limits.test.ts',
  'test/backtest/netting.test.ts',
  'test/bot/commands.test.ts',
  'test/bot/discord/render.test.ts',
  'test/bot/rate-limit.test.ts',
  'test/bot/research-render.test.ts',
  'test/bot/slack/render.test.ts',
  'test/bot/targets-render.test.ts',
  'test/brokers/alpaca-calendar-refresh.test.ts',
  'test/brokers/alpaca-market.test.ts',
  'test/brokers/alpaca-shortability.test.ts',
  'test/brokers/buying-power.test.ts',
  'test/brokers/simulated.test.ts',
  'test/llm/ask.test.ts',
  'test/llm/build-council.test.ts',
  'test/llm/research-config.test.ts',
  'test/llm/strategies.test.ts',
  'test/pipeline/research.test.ts',
  'test/store/cached.test.ts',
  'test/store/memory.test.ts',
];

/** The entries as vitest globs. */
export const unitGlobs = (): string[] => UNIT_TESTS.map((entry) => (entry.endsWith('/') ? `${entry}**/*.test.ts` : entry));

/** Whether a test file (a path from the repository root, with `/`) is listed as a unit test. */
export const isUnitTest = (file: string): boolean => UNIT_TESTS.some((entry) => (entry.endsWith('/') ? file.startsWith(entry) : file === entry));
