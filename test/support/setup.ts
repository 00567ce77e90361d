/** Setup for every integration test file (vitest.config.ts): no child process outlives the file that started it. */
import { afterAll } from 'vitest';
import { killStrays } from './children.ts';

afterAll(async () => {
  await killStrays();
});
