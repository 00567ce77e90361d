/**
 * `npm test` (`vitest run`): two projects. `unit` (test/support/kinds.ts lists its files) runs first, in
 * threads, four at a time; `integration` (everything else but the fault suite) runs next, in forks, two
 * at a time, because each worker may hold a PGlite instance (~850 MB RSS). `npm run test:unit` runs the
 * first alone.
 */
import { defineConfig } from 'vitest/config';
import { unitGlobs } from './test/support/kinds.ts';

const exclude = ['test/faults/**', 'node_modules/**'];

export default defineConfig({
  test: {
    // Generous: the end-to-end tests start real processes (PGlite takes seconds); no test asserts on time.
    testTimeout: 240_000,
    hookTimeout: 120_000,
    // One temporary folder for the run, one inside it for each file, each removed when done (test/support/temp-root.ts).
    globalSetup: ['test/support/global-temp.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: unitGlobs(),
          exclude,
          pool: 'threads',
          maxWorkers: 4,
          setupFiles: ['test/support/setup-unit.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...exclude, ...unitGlobs()],
          pool: 'forks',
          maxWorkers: 2,
          setupFiles: ['test/support/setup.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
