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
const reads = new WeakMap<MarketSnapshot, WeakMap<ResearchPack, WeakMap<readonly string[], Map<StrategyName, Pitch>>>>();

/** The strategy's pitch for these inputs, run once per snapshot, pack and universe. */
function readOf(strategy: StrategyName, snapshot: MarketSnapshot, universe: readonly string[], research: ResearchPack): Pitch {
  let byPack = reads.get(snapshot);
  if (!byPack) {
    byPack = new WeakMap();
    reads.set(snapshot, byPack);
  }
  let byUniverse = byPack.get(research);
  if (!byUniverse) {
    byUniverse = new WeakMap();
    byPack.set(research, byUniverse);
  }
  let byStrategy = byUniverse.get(universe);
  if (!byStrategy) {
    byStrategy = new Map();
    byUniverse.set(universe, byStrategy);
  }
  let read = byStrategy.get(strategy);
  if (!read) {
    read = STRATEGY_FNS[strategy]({ snapshot, universe, research });
    byStrategy.set(strategy, read);
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
