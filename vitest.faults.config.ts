import { defineConfig } from 'vitest/config';

/** The fault suite (`npm run test:faults`): crashes, chaos and hostile input against real PostgreSQL and the loopback fakes. */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    maxWorkers: 2,
    // No child process (a `council` started through test/support/cli.ts) outlives its file,
    // and what a file writes to the temporary folder goes with it (test/support/temp-root.ts).
    setupFiles: ['test/support/setup.ts'],
    globalSetup: ['test/support/global-temp.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
