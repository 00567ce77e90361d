/** `.env` in the working directory: read under the environment, validated like it, refused by name. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

function folderWith(dotenv: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'council-dotenv-'));
  writeFileSync(join(dir, '.env'), dotenv);
  return dir;
}

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('no ConfigError');
};

describe('.env in the working directory', () => {
  it('Given a .env, When the config loads, Then its values are used, and a variable set in the environment wins over it', () => {
    const cwd = folderWith('# comment\nLOG_LEVEL=debug\nexport COUNCIL_DATA_DIR=from-file\nLLM_API_KEY="sk file key"\n');
    const config = loadConfig({ COUNCIL_DATA_DIR: 'from-env' }, { cwd, dotenv: true });
    expect(config.logLevel).toBe('debug');
    expect(config.dataDir).toBe(join(cwd, 'from-env'));
    expect(config.llm?.apiKey).toBe('sk file key');
    expect(config.dotenvPath).toBe(join(cwd, '.env'));
  });

  it('Given a bad value in .env, When the config loads, Then it is refused naming the file and the variable', () => {
    const cwd = folderWith('LOG_LEVEL=loud\nALPACA_PAPER=maybe\n');
    const problems = problemsOf(() => loadConfig({}, { cwd, dotenv: true }));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${join(cwd, '.env')} LOG_LEVEL: `)), expect.stringMatching(/\.env ALPACA_PAPER: /)]));
  });

  it('Given the same bad value overridden by a good one in the environment, Then the environment wins and nothing is refused', () => {
    const cwd = folderWith('LOG_LEVEL=loud\n');
    expect(loadConfig({ LOG_LEVEL: 'warn' }, { cwd, dotenv: true }).logLevel).toBe('warn');
  });

  it('Given a bad value in the environment, Then it is named as env, not as the file', () => {
    const cwd = folderWith('LOG_LEVEL=info\n');
    expect(problemsOf(() => loadConfig({ LOG_FORMAT: 'fancy' }, { cwd, dotenv: true }))).toEqual([expect.stringMatching(/^env LOG_FORMAT: /)]);
  });

  it('Given a line that is not KEY=VALUE or a quote never closed, Then the file is refused with the line, not half read', () => {
    expect(problemsOf(() => loadConfig({}, { cwd: folderWith('LOG_LEVEL=info\nthis is not a variable\n'), dotenv: true }))).toEqual([
      expect.stringMatching(/\.env line 2: not KEY=VALUE$/),
    ]);
    expect(problemsOf(() => loadConfig({}, { cwd: folderWith('LLM_API_KEY="open\n'), dotenv: true }))).toEqual([expect.stringMatching(/never closed/)]);
  });

  it('Given no .env, or dotenv not asked for, Then the environment alone is read', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'council-dotenv-'));
    expect(loadConfig({}, { cwd, dotenv: true }).dotenvPath).toBeUndefined();
    expect(loadConfig({}, { cwd: folderWith('LOG_LEVEL=loud\n') }).logLevel).toBe('info');
  });
});
