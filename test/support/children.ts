/**
 * The child processes a test file starts, so that none outlives it: `track` each one as it is spawned;
 * the integration project's setup file (test/support/setup.ts) kills whatever is still running once the
 * file's tests are done, whether they passed, failed or timed out. A `council serve` left behind would
 * keep its scheduler and listeners running long after the test gave up on it.
 */
import type { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();

/** Records a freshly spawned child; returns it, for `const child = track(spawn(...))`. */
export function track<C extends ChildProcess>(child: C): C {
  if (child.exitCode === null && child.signalCode === null) {
    running.add(child);
    child.once('exit', () => running.delete(child));
  }
  return child;
}

/** Kills (SIGKILL) every tracked child still running and waits until each has exited. */
export async function killStrays(): Promise<number> {
  const strays = [...running];
  running.clear();
  await Promise.all(
    strays.map(
      (child) =>
        new Promise<void>((exited) => {
          if (child.exitCode !== null || child.signalCode !== null) return exited();
          child.once('exit', () => exited());
          if (!child.kill('SIGKILL')) exited();
        }),
    ),
  );
  return strays.length;
}
