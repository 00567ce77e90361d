/**
 * Builds the council's seats from config: LLM seats through the router when an LLM key is configured,
 * builtin systematic seats when not. A seat whose model is `builtin:<strategy>` stays systematic either
 * way, and the builtin review-weighted vote is always the last chairman.
 */
import type { Config } from '../config/config.ts';
import type { ChairSeat, Council, PmSeat, ResearchSeat } from '../pipeline/seats.ts';
import type { EventStore, Queryable } from '../store/port.ts';
import { builtinChair } from './builtin/chairman.ts';
import { builtinResearcher, mergeResearchPacks } from './builtin/research.ts';
import { builtinSeat } from './builtin/seat.ts';
import type { StrategyName } from './builtin/strategies.ts';
import { type AnswerStore, eventRecorder, sqlCache } from './openai/audit.ts';
import { recordedSpend, runBudget } from './openai/budget.ts';
import { identityTerms } from './openai/prompts.ts';
import { realTimers, type RetryDeps } from './openai/retry.ts';
import { llmChair, llmPmSeat, llmResearcher, type SeatDeps } from './openai/seats.ts';
import { openAiTransport } from './openai/transport.ts';
import type { Transport } from './openai/types.ts';

const builtinStrategy = (model: string): StrategyName | undefined => (model.startsWith('builtin:') ? (model.slice('builtin:'.length) as StrategyName) : undefined);

const isBuiltin = (model: string) => model.startsWith('builtin:');

export interface CouncilDeps {
  /** Where every model call is recorded (stream llm:<council>:<week>:<stage>:<seat>). */
  store: EventStore;
  /** Holds the llm_cache table. */
  db: Queryable;
  /** Default: the openai SDK at config.llm.baseUrl. */
  transport?: Transport;
  /** Default: the prompt-hash cache when llm.cache is on. A replay passes its recorded answers. */
  answers?: AnswerStore;
  timers?: RetryDeps;
  /** Prompts other than the current files (a replay passes the versions its run was asked with). */
  prompts?: SeatDeps['prompts'];
  /** The wall clock: an online researcher searches live only for a decision time close to it. */
  clock?: () => Date;
}

export function buildBuiltinCouncil(config: Config): Council {
  const seats: PmSeat[] = config.file.seats.map((s) => builtinSeat(s.id, builtinStrategy(s.model) ?? s.strategy));
  return { researchers: [builtinResearcher], seats, chairs: [builtinChair], mergeResearch: mergeResearchPacks };
}

export function buildCouncil(config: Config, deps: CouncilDeps): Council {
  return config.llm ? buildLlmCouncil(config, deps) : buildBuiltinCouncil(config);
}

/** LLM seats even without a key when deps bring a transport (a replay brings one that refuses to call). */
export function buildLlmCouncil(config: Config, deps: CouncilDeps): Council {
  const f = config.file;
  const transport = deps.transport ?? (config.llm ? openAiTransport({ baseUrl: config.llm.baseUrl, apiKey: config.llm.apiKey }) : undefined);
  if (!transport) throw new Error('LLM seats need LLM_API_KEY (or REQUESTY_API_KEY)');
  const chairModels = [f.chairman.model, ...f.chairman.fallbackModels];
  const seatDeps: SeatDeps = {
    council: f.council,
    settings: f.llm,
    transport,
    answers: deps.answers ?? (f.llm.cache ? sqlCache(deps.db) : undefined),
    recorder: eventRecorder(deps.store),
    budget: runBudget(f.llm.budgetUsd, recordedSpend(deps.store, f.council)),
    timers: deps.timers ?? realTimers,
    prompts: deps.prompts,
    identityTerms: identityTerms([...f.seats.map((s) => s.id), f.chairman.id], [...f.seats.map((s) => s.model), ...chairModels, ...f.research.models]),
  };
  const llmResearch = f.research.models.filter((m) => !isBuiltin(m));
  const online = new Set(f.research.online);
  const researchers: ResearchSeat[] = llmResearch.map((m, i) => llmResearcher(seatDeps, m, i, { online: online.has(m), now: deps.clock }));
  if (researchers.length < f.research.models.length) researchers.push(builtinResearcher);
  const seats: PmSeat[] = f.seats.map((s) => {
    const strategy = builtinStrategy(s.model);
    return strategy ? builtinSeat(s.id, strategy) : llmPmSeat(seatDeps, s.id, s.model);
  });
  const chairs: ChairSeat[] = [...chairModels.filter((m) => !isBuiltin(m)).map((m, i) => llmChair(seatDeps, m, i)), builtinChair];
  return { researchers, fallbackResearch: builtinResearcher, seats, chairs, mergeResearch: mergeResearchPacks };
}
