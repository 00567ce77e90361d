/** Setup for every unit test file (vitest.config.ts): what it writes to the temporary folder goes with it (temp-root.ts). */
import { afterAll } from 'vitest';
import { useFileTempRoot } from './temp-root.ts';

const removeTempRoot = useFileTempRoot();

afterAll(() => {
  removeTempRoot();
});
