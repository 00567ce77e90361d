/**
 * A PM seat played by a builtin systematic strategy: it pitches with its strategy and reviews by facts.
 * Builtin seats (research and chairman too) never read the desk's question: they answer from the data
 * alone, and nothing they write quotes it, so it cannot reach an LLM prompt unfenced through their output.
 */
import type { Pitch, ResearchPack } from '../../domain/schemas.ts';
import type { MarketSnapshot } from '../../market/snapshot.ts';
import type { PmSeat } from '../../pipeline/seats.ts';
import { NO_USAGE } from '../../pipeline/seats.ts';
import { STRATEGY_FNS, STRATEGY_LABELS, type StrategyName } from './strategies.ts';
import { scorePitch } from './review.ts';

// A strategy's read depends on the snapshot, the research pack and the universe alone: the review takes
// the read the seat's pitch made of the very same objects (the week's recorded research) instead of a
// second run. A read that throws is not kept, so it throws again.
const reads = new WeakMap<MarketSnapshot, { research: ResearchPack; universe: readonly string[]; byStrategy: Map<StrategyName, Pitch> }>();

/** The strategy's pitch for these inputs, run once per snapshot, pack and universe (the latest pair asked per snapshot). */
function readOf(strategy: StrategyName, snapshot: MarketSnapshot, universe: readonly string[], research: ResearchPack): Pitch {
  let inputs = reads.get(snapshot);
  if (inputs?.research !== research || inputs.universe !== universe) {
    inputs = { research, universe, byStrategy: new Map() };
    reads.set(snapshot, inputs);
  }
  let read = inputs.byStrategy.get(strategy);
  if (!read) {
    read = STRATEGY_FNS[strategy]({ snapshot, universe, research });
    inputs.byStrategy.set(strategy, read);
  }
  return read;
}

export function builtinSeat(id: string, strategy: StrategyName): PmSeat {
  const model = `builtin:${strategy}`;
  return {
    id,
    model,
    kind: 'systematic',
    async pitch(input) {
      try {
        const value = readOf(strategy, input.snapshot, input.universe, input.research);
        return { ok: true, value, model, usage: NO_USAGE };
      } catch (error) {
        return { ok: false, error: (error as Error).message, model, usage: NO_USAGE };
      }
    },
    async review(input) {
      let own: ReturnType<(typeof STRATEGY_FNS)[StrategyName]> | undefined;
      try {
        own = readOf(strategy, input.snapshot, input.universe, input.research);
      } catch {
        own = undefined;
      }
      const lens = { name: STRATEGY_LABELS[strategy], pitch: own };
      const scores = input.pitches.map((p) => scorePitch(p, input.pitches, input.snapshot, input.research, input.universe, lens));
      return { ok: true, value: { scores }, model, usage: NO_USAGE };
    },
  };
}
