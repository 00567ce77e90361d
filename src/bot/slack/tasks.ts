/**
 * Work that outlives an ack (a council run, an execution). Each task's failure is caught here, so
 * nothing a listener starts can become an unhandled rejection; `drain` lets shutdown wait for them.
 */
import type { Logger } from '../../logger.ts';

export interface Tasks {
  run(name: string, work: () => Promise<void>): void;
  drain(): Promise<void>;
}

export function createTasks(logger: Logger): Tasks {
  const inflight = new Set<Promise<void>>();
  return {
    run(name, work) {
      const task = work().catch((error: unknown) => logger.error({ err: error, task: name }, 'slack: background task failed'));
      inflight.add(task);
      void task.finally(() => inflight.delete(task));
    },
    async drain() {
      while (inflight.size) await Promise.allSettled([...inflight]);
    },
  };
}
