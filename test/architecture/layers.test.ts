/**
 * The layering, checked: no import cycle between files in src, and no import from a lower layer up. A
 * module may import its own layer or any lower one. The imports are read with a regex (imports.ts), type
 * imports included: a type in the wrong layer is how a runtime import up starts.
 *
 * The layers, lowest first (ARCHITECTURE in the README draws them):
 *
 * | layer | modules                                                                          |
 * |-------|----------------------------------------------------------------------------------|
 * | L0    | domain                                                                           |
 * | L1    | config, logger.ts, redact.ts, market, store, vendors, explain.ts                 |
 * | L2    | brokers                                                                          |
 * | L3    | pipeline, charts (images drawn from the pipeline's results)                       |
 * | L4    | app                                                                              |
 * | L5    | llm, bot, scheduler, backtest, web, views.ts, doctor.ts                          |
 * | L6    | cli.ts, serve.ts, compose.ts                                                     |
 */
import { describe, expect, it } from 'vitest';

import { filesUnder, localImportsOf } from './imports.ts';

/** Each module of src (a folder, or a file at the top) and its layer. */
const LAYERS: Record<string, number> = {
  domain: 0,
  config: 1,
  'logger.ts': 1,
  'redact.ts': 1,
  market: 1,
  store: 1,
  vendors: 1,
  'explain.ts': 1,
  brokers: 2,
  pipeline: 3,
  charts: 3,
  app: 4,
  llm: 5,
  bot: 5,
  scheduler: 5,
  backtest: 5,
  web: 5,
  'views.ts': 5,
  'doctor.ts': 5,
  'cli.ts': 6,
  'serve.ts': 6,
  'compose.ts': 6,
};

/** `src/pipeline/run.ts` -> `pipeline`; `src/cli.ts` -> `cli.ts`. */
const moduleOf = (file: string): string => file.split('/')[1] ?? file;
const layerOf = (file: string): number | undefined => LAYERS[moduleOf(file)];

const SOURCES = filesUnder('src', '.ts');
/** Each source file's imports of other source files. */
const GRAPH = new Map(SOURCES.map((file) => [file, localImportsOf(file).filter((target) => target.startsWith('src/'))]));

/** Every import from a lower layer up, as `from (Ln) -> to (Lm)`. */
function upwardImports(): string[] {
  const found: string[] = [];
  for (const [file, targets] of GRAPH) {
    const from = layerOf(file);
    for (const target of targets) {
      const to = layerOf(target);
      if (from !== undefined && to !== undefined && to > from) found.push(`${file} (L${from}) imports ${target} (L${to})`);
    }
  }
  return found;
}

/** Every import cycle between files, one per strongly connected group, as a path that closes on itself (Tarjan). */
function cycles(): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (file: string) => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const target of GRAPH.get(file) ?? []) {
      if (!GRAPH.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) === index.get(file)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== file);
      if (group.length > 1 || (GRAPH.get(file) ?? []).includes(file)) groups.push(group);
    }
  };
  for (const file of SOURCES) if (!index.has(file)) visit(file);
  return groups.map((group) => cycleThrough(new Set(group)));
}

/** One closed path inside a strongly connected group, from its first file (alphabetically) back to it, and the group's size. */
function cycleThrough(group: Set<string>): string {
  const start = [...group].sort()[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const target of GRAPH.get(file) ?? []) {
      if (!group.has(target)) continue;
      if (target === start) {
        const path = [file];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
        const others = group.size - path.length;
        return (
          [...path, start].join(' -> ') +
          (others > 0
            ? ` (and ${others} more file(s) in the same cycle: ${[...group]
                .filter((f) => !path.includes(f))
                .sort()
                .join(', ')})`
            : '')
        );
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, file);
        queue.push(target);
      }
    }
  }
  return [...group].join(', ');
}

describe('the layers of src', () => {
  it('When a file sits in src, Then its imports are read and its module has a layer in the table', () => {
    // A regex that stopped matching would pass every check below on an empty graph.
    expect([...GRAPH.values()].flat().length).toBeGreaterThan(300);
    const unplaced = SOURCES.filter((file) => layerOf(file) === undefined);
    expect(unplaced, 'add the module to LAYERS in test/architecture/layers.test.ts (and to the README)').toEqual([]);
  });

  it('When the files of src import each other, Then no import goes from a lower layer up', () => {
    expect(upwardImports(), `move the imported code down a layer, or invert the dependency with a port`).toEqual([]);
  });

  it('When the files of src import each other, Then no import cycle runs between them', () => {
    expect(cycles(), `break each cycle: move the shared type or function to the lower file`).toEqual([]);
  });
});
