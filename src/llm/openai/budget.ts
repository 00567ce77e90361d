/**
 * The per-run spending cap. A council week has one run, so spend is kept per week, seeded from the
 * week's recorded calls so that a resumed run counts what it already paid. Parallel calls may together
 * overshoot by one stage's worth: the cap stops further calls, it cannot recall a call in flight.
 */
import type { EventStore } from '../../store/port.ts';
import { LLM_CALL_EVENT, type LlmCallRecorded, llmStreamPrefix } from './audit.ts';

export interface Budget {
  /** The refusal message when this week's run has spent its budget, else undefined. */
  exceeded(week: string): Promise<string | undefined>;
  spend(week: string, usd: number): void;
}

export function runBudget(limitUsd: number, spentSoFar: (week: string) => Promise<number>): Budget {
  const spent = new Map<string, Promise<number>>();
  const get = (week: string) => {
    const known = spent.get(week);
    if (known) return known;
    const loaded = spentSoFar(week);
    spent.set(week, loaded);
    return loaded;
  };
  return {
    async exceeded(week) {
      const usd = await get(week);
      return usd >= limitUsd
        ? `LLM budget for this run is spent ($${usd.toFixed(4)} of $${limitUsd.toFixed(2)}): no further model calls; raise llm.budgetUsd in the council config to allow more`
        : undefined;
    },
    spend(week, usd) {
      spent.set(
        week,
        get(week).then((s) => s + usd),
      );
    },
  };
}

/** What the week's recorded network calls cost. */
export const recordedSpend = (store: EventStore, council: string) => async (week: string) => {
  const events = await store.readAll({ streamPrefix: llmStreamPrefix(council, week), types: [LLM_CALL_EVENT] });
  return events.reduce((sum, e) => {
    const call = e.data as LlmCallRecorded;
    return call.source === 'network' ? sum + call.usage.costUsd : sum;
  }, 0);
};
