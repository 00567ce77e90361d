import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/faults/**', 'node_modules/**'],
    // Each worker may hold a PGlite instance (~850 MB RSS); two workers fit the 2-core CI machine.
    maxWorkers: 2,
    // Generous: the end-to-end tests start real processes (PGlite takes seconds); no test asserts on time.
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
