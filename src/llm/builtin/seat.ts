/**
 * A PM seat played by a builtin systematic strategy: it pitches with its strategy and reviews by facts.
 * Builtin seats (research and chairman too) never read the desk's question: they answer from the data
 * alone, and nothing they write quotes it, so it cannot reach an LLM prompt unfenced through their output.
 */
import type { PmSeat } from '../../pipeline/seats.ts';
import { NO_USAGE } from '../../pipeline/seats.ts';
import { STRATEGY_FNS, STRATEGY_LABELS, type StrategyName } from './strategies.ts';
import { scorePitch } from './review.ts';

export function builtinSeat(id: string, strategy: StrategyName): PmSeat {
  const model = `builtin:${strategy}`;
  return {
    id,
    model,
    kind: 'systematic',
    async pitch(input) {
      try {
        const value = STRATEGY_FNS[strategy]({ snapshot: input.snapshot, universe: input.universe, research: input.research });
        return { ok: true, value, model, usage: NO_USAGE };
      } catch (error) {
        return { ok: false, error: (error as Error).message, model, usage: NO_USAGE };
      }
    },
    async review(input) {
      let own: ReturnType<(typeof STRATEGY_FNS)[StrategyName]> | undefined;
      try {
        own = STRATEGY_FNS[strategy]({ snapshot: input.snapshot, universe: input.universe, research: input.research });
      } catch {
        own = undefined;
      }
      const lens = { name: STRATEGY_LABELS[strategy], pitch: own };
      const scores = input.pitches.map((p) => scorePitch(p, input.pitches, input.snapshot, input.research, input.universe, lens));
      return { ok: true, value: { scores }, model, usage: NO_USAGE };
    },
  };
}
