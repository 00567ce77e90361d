/** The council file's research models: a plain id, or `{ model, online: true }` for a web-searching model. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config/config.ts';

function configWithResearch(models: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'council-research-'));
  const file = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as { research: unknown };
  file.research = { models };
  writeFileSync(join(dir, 'council.yaml'), stringify(file));
  return () => loadConfig({ COUNCIL_DATA_DIR: dir, COUNCIL_CONFIG: join(dir, 'council.yaml') });
}

describe('research models in the council file', () => {
  it('When one model is marked online, Then the models keep their order and only that one is online', () => {
    const config = configWithResearch([{ model: 'perplexity/sonar-pro', online: true }, 'deepseek/deepseek-chat', { model: 'x/y', online: false }])();
    expect(config.file.research).toEqual({ models: ['perplexity/sonar-pro', 'deepseek/deepseek-chat', 'x/y'], online: ['perplexity/sonar-pro'] });
  });

  it('When the default file is read, Then no research model is online', () => {
    expect(configWithResearch(['google/gemini-3-pro-preview'])().file.research.online).toEqual([]);
  });

  it('When an online entry is misspelt, Then startup names the wrong key', () => {
    expect(configWithResearch([{ model: 'p/s', onlin: true }])).toThrow(ConfigError);
    expect(configWithResearch([{ model: 'p/s', onlin: true }])).toThrow(/research\.models/);
  });
});
