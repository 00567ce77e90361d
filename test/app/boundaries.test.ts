/**
 * The application's two boundaries, read from the source: only the composition root constructs it, and
 * nothing in src/ outside src/app reaches into its dependencies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const sources = (readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ path: relative(root, join(root, 'src', f)), text: readFileSync(join(root, 'src', f), 'utf8') }));

describe('The application layer', () => {
  it('When the source is searched for a construction of the app, Then only src/compose.ts builds one', () => {
    expect(sources.filter((s) => /new App\(/.test(s.text)).map((s) => s.path)).toEqual(['src/compose.ts']);
  });

  it("When the source outside src/app is searched for the app's dependencies, Then nothing reaches them", () => {
    const outside = sources.filter((s) => !s.path.startsWith('src/app/'));
    expect(outside.filter((s) => /\bapp\.deps\b/.test(s.text)).map((s) => s.path)).toEqual([]);
  });
});
