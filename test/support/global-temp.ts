/**
 * vitest globalSetup: one temporary folder for the whole run, holding each test file's own folder
 * (temp-root.ts), and removed when the run ends. It sweeps what a file could not remove itself: a file
 * whose tests are all skipped runs no afterAll hook, and a worker that is stopped runs no exit handler.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_KEY, removeTempFolder } from './temp-root.ts';

export default function setup(): () => void {
  if (process.env[BASE_KEY] !== undefined) return () => {}; // a second project of the same run
  const root = mkdtempSync(join(tmpdir(), 'council-tests-'));
  chmodSync(root, 0o755); // others pass through, as through /tmp (see temp-root.ts)
  process.env[BASE_KEY] = root;
  return () => {
    delete process.env[BASE_KEY];
    removeTempFolder(root);
  };
}
