/** Which seats the composition root builds: LLM seats only with a key, builtin where config says builtin. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config/config.ts';
import { buildCouncil } from '../../src/llm/council.ts';
import type { EventStore, Queryable } from '../../src/store/port.ts';

/** Building seats touches no storage; the first model call would. */
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used while building')) }) as EventStore & Queryable;

interface YamlFile {
  seats: { model: string }[];
  llm?: Record<string, unknown>;
}

function configWith(edit: (file: YamlFile) => void, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'council-build-'));
  const file = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as YamlFile;
  edit(file);
  writeFileSync(join(dir, 'council.yaml'), stringify(file));
  return loadConfig({ COUNCIL_DATA_DIR: dir, COUNCIL_CONFIG: join(dir, 'council.yaml'), ...env });
}

describe('building the council from config', () => {
  it('When no LLM key is set, Then every seat is systematic and the chairman is the builtin vote', () => {
    const council = buildCouncil(
      configWith(() => {}),
      { store: unused, db: unused },
    );
    expect(council.seats.every((s) => s.kind === 'systematic')).toBe(true);
    expect(council.chairs.map((c) => c.model)).toEqual(['builtin:vote']);
  });

  it('When a key is set and one seat names builtin:regime, Then that seat stays systematic, the rest are models, and the chairs fall back to the builtin vote', () => {
    const config = configWith(
      (f) => {
        f.seats[3]!.model = 'builtin:regime';
      },
      { LLM_API_KEY: 'sk-x', LLM_BASE_URL: 'http://127.0.0.1:9/v1' },
    );
    const council = buildCouncil(config, { store: unused, db: unused });
    expect(council.seats.map((s) => [s.id, s.kind, s.model])).toEqual([
      ['CHATGPT', 'llm', 'openai/gpt-5.2'],
      ['GEMINI', 'llm', 'google/gemini-3-pro-preview'],
      ['CLAUDE', 'llm', 'anthropic/claude-sonnet-4-5'],
      ['GROQ', 'systematic', 'builtin:regime'],
      ['DEEPSEEK', 'llm', 'deepseek/deepseek-chat'],
    ]);
    expect(council.researchers.map((r) => r.model)).toEqual(['google/gemini-3-pro-preview', 'deepseek/deepseek-chat']);
    expect(council.chairs.map((c) => c.model)).toEqual(['anthropic/claude-opus-4-5', 'openai/gpt-5.2', 'builtin:vote']);
  });

  it('When the llm section has a wrong key or value, Then loading names it', () => {
    expect(() => configWith((f) => void Object.assign(f.llm ?? {}, { budgetUsd: -1, timeout: 5 }))).toThrow(ConfigError);
    try {
      configWith((f) => void Object.assign(f.llm ?? {}, { budgetUsd: -1, timeout: 5 }));
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toContain('llm.budgetUsd');
      expect(problems).toMatch(/llm.*timeout/);
    }
  });

  it('When the config file has no llm section, Then the defaults apply', () => {
    const config = configWith((f) => void delete f.llm);
    expect(config.file.llm).toMatchObject({ retries: 2, cache: true, budgetUsd: 2, models: {} });
  });
});
