/**
 * Every test file gets a temporary folder of its own, removed once the file is done: the system's
 * temporary folder (`os.tmpdir()`, read from TMPDIR) points into it while the file runs, so every
 * `mkdtempSync(join(tmpdir(), ...))` in a test lands there without the test cleaning up after itself.
 * A PGlite folder is ~40 MB; left behind, one `npm test` used to leave ~2 GB in /tmp, and a CI machine
 * with little disk ran out in the middle of the run. The run's own folder (global-temp.ts) holds them all
 * and sweeps what is left. Set COUNCIL_KEEP_TEST_TMP=1 to keep them for a look after a failure.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where each file's folder is made: the run's own folder (global-temp.ts), or else the machine's
 * temporary folder as it was before any test file pointed TMPDIR elsewhere in this worker.
 */
export const BASE_KEY = 'COUNCIL_TEST_TMP_BASE';

/** Removes a test folder, unless COUNCIL_KEEP_TEST_TMP=1 asks to keep it. */
export function removeTempFolder(root: string): void {
  if (process.env.COUNCIL_KEEP_TEST_TMP === '1') return;
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
}

/** Points TMPDIR at a fresh folder for this test file; returns a function that removes it and restores TMPDIR. */
export function useFileTempRoot(): () => void {
  const base = process.env[BASE_KEY] ?? tmpdir();
  process.env[BASE_KEY] = base;
  const before = process.env.TMPDIR;
  const root = mkdtempSync(join(base, 'council-file-'));
  // Others may pass through, as through /tmp (the deploy test runs the image's unprivileged user in here);
  // what each test makes inside with mkdtemp stays its own (0700).
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    removeTempFolder(root);
  };
}
