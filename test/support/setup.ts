/**
 * Setup for every integration test file (vitest.config.ts): no child process outlives the file that
 * started it, and nothing the file wrote to the temporary folder outlives it either (temp-root.ts).
 */
import { afterAll } from 'vitest';
import { killStrays } from './children.ts';
import { useFileTempRoot } from './temp-root.ts';

const removeTempRoot = useFileTempRoot();

afterAll(async () => {
  await killStrays();
  removeTempRoot();
});
