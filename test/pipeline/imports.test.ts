/**
 * The pipeline's import rules, read from the source: no import cycle among src/pipeline files, and
 * nothing imported from src/llm (the builtin seats' helpers the pipeline needs live in src/domain).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const PIPELINE = resolve(import.meta.dirname, '../../src/pipeline');
const SRC = resolve(PIPELINE, '..');

const files = (readdirSync(PIPELINE, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(PIPELINE, f));

/** Each file's relative imports and re-exports (type-only ones included: they tie modules as much), resolved to paths. */
const imports = new Map(
  files.map((file) => {
    const source = readFileSync(file, 'utf8');
    const targets = [...source.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'/gm)].map((m) => resolve(dirname(file), m[1] as string));
    return [file, targets] as const;
  }),
);

function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'closed'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const target of imports.get(file) ?? []) {
      if (!imports.has(target)) continue; // outside src/pipeline
      if (state.get(target) === 'open') found.push([...path.slice(path.indexOf(target)), target].map((f) => relative(PIPELINE, f)));
      else if (!state.has(target)) visit(target);
    }
    path.pop();
    state.set(file, 'closed');
  };
  for (const file of imports.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe('the pipeline imports', () => {
  it('When the src/pipeline files are read, Then no import cycle runs among them', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(cycles()).toEqual([]);
  });

  it('When the src/pipeline files are read, Then none imports from src/llm', () => {
    const fromLlm = [...imports].flatMap(([file, targets]) =>
      targets.filter((t) => relative(SRC, t).startsWith('llm/')).map((t) => `${relative(SRC, file)} -> ${relative(SRC, t)}`),
    );
    expect(fromLlm).toEqual([]);
  });
});
