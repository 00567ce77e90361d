/**
 * The per-week queue every chat sink uses: a week's notices are handled one after another, so its
 * thread is opened once and edits never go back in time, while different weeks run side by side. A
 * failed piece of work never blocks the next one of its week.
 */

export interface WeekQueue {
  /** Runs `work` after everything queued under `week`; answers with its outcome (a failure included). */
  run<T>(week: string, work: () => Promise<T>): Promise<T>;
  /** Resolves once everything queued so far has finished, failures included. */
  idle(): Promise<void>;
}

export function createWeekQueue(): WeekQueue {
  const tails = new Map<string, Promise<void>>();
  return {
    run(week, work) {
      const next = (tails.get(week) ?? Promise.resolve()).then(work);
      const settled = next.then(
        () => {},
        () => {},
      );
      tails.set(week, settled);
      // The last piece of a week forgets it: the map holds only weeks with work in flight.
      void settled.then(() => {
        if (tails.get(week) === settled) tails.delete(week);
      });
      return next;
    },
    async idle() {
      await Promise.all(tails.values());
    },
  };
}
