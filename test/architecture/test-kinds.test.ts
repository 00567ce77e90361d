/**
 * The unit project stays fast and light: no file listed in test/support/kinds.ts opens a database or
 * starts a process, directly or through a test helper it imports. (An integration test listed as a unit
 * would run in threads, four at a time, each with its own PGlite.)
 */
import { describe, expect, it } from 'vitest';
import { isUnitTest } from '../support/kinds.ts';
import { filesUnder, localImportsOf, specifiersOf } from './imports.ts';

/** What makes a test an integration test, as it shows in the test's own code or its helpers'. */
const HEAVY_IMPORTS = new Set(['node:child_process', 'child_process', '@electric-sql/pglite', 'pg']);
const HEAVY_HELPERS = ['test/support/app.ts', 'test/support/cli.ts', 'src/store/database.ts', 'test/faults/support/database.ts'];

/** Why a test file is heavy (the chain of imports that makes it so), or undefined when it is not. */
function heaviness(file: string, seen = new Set<string>()): string | undefined {
  if (seen.has(file)) return undefined;
  seen.add(file);
  const heavy = specifiersOf(file).find((s) => HEAVY_IMPORTS.has(s));
  if (heavy) return `${file} imports ${heavy}`;
  for (const target of localImportsOf(file)) {
    if (HEAVY_HELPERS.includes(target)) return `${file} imports ${target}`;
    if (!target.startsWith('test/')) continue;
    const why = heaviness(target, seen);
    if (why) return `${file} -> ${why}`;
  }
  return undefined;
}

describe('the unit test project', () => {
  it('When the unit tests are listed, Then none of them opens a database or starts a process', () => {
    const units = filesUnder('test', '.test.ts').filter(isUnitTest);
    expect(units.length).toBeGreaterThan(30);
    const heavy = units.map((file) => heaviness(file)).filter((why) => why !== undefined);
    expect(heavy, 'move these to the integration project (take them out of test/support/kinds.ts)').toEqual([]);
  });
});
