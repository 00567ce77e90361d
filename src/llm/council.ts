/** Builds the council's seats from config: builtin systematic seats when no LLM is configured. */
import type { Config } from '../config/config.ts';
import type { Council, PmSeat } from '../pipeline/seats.ts';
import { builtinChair } from './builtin/chairman.ts';
import { builtinResearcher, mergeResearchPacks } from './builtin/research.ts';
import { builtinSeat } from './builtin/seat.ts';
import type { StrategyName } from './builtin/strategies.ts';

const builtinStrategy = (model: string): StrategyName | undefined =>
  model.startsWith('builtin:') ? (model.slice('builtin:'.length) as StrategyName) : undefined;

export function buildBuiltinCouncil(config: Config): Council {
  const seats: PmSeat[] = config.file.seats.map((s) => builtinSeat(s.id, builtinStrategy(s.model) ?? s.strategy));
  return { researchers: [builtinResearcher], seats, chairs: [builtinChair], mergeResearch: mergeResearchPacks };
}
