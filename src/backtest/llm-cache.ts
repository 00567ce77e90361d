/**
 * LLM seats in a backtest: they answer from the prompt-hash cache (`llm_cache`) that live runs fill
 * when `llm.cache` is on, and from nothing else. The cache is read once, read-only, before the first
 * week (so an embedded database is locked for a moment, not for the whole backtest), and the backtest's
 * own events stay in memory. A prompt the cache does not hold makes that seat abstain that week, with
 * the reason recorded: a backtest never guesses and never calls a model.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import type { AnswerStore } from '../llm/openai/audit.ts';
import type { ChatResponse, Transport } from '../llm/openai/types.ts';
import { TransportError } from '../llm/openai/types.ts';
import { DatabaseInUseError, openDatabase } from '../store/database.ts';

/** `--llm cache` (answers from the cache) or `--llm off` (builtin seats, also when unset). */
export type LlmRequest = 'cache' | 'off';

/** The abstention reason of a seat whose prompt the cache does not hold. */
export const NOT_CACHED = 'not in the LLM cache (a backtest makes no model calls)';

export interface LlmCacheSnapshot {
  /** Where it was read: `postgres` or `pglite (<dataDir>)`. */
  source: string;
  /** Prompt hash -> the cached answer, for the configured models only. */
  answers: ReadonlyMap<string, ChatResponse>;
  /** How many cached answers each configured model has. */
  perModel: Record<string, number>;
  /** Set when there is no database to read at all (a data folder never used by a live run). */
  missing?: string;
}

/** How the backtest's seats answer, and why. */
export type BacktestLlm = { mode: 'cache'; reason: string; cache: LlmCacheSnapshot } | { mode: 'off'; reason: string };

export class LlmCacheError extends Error {
  readonly code = 'LLM_CACHE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LlmCacheError';
  }
}

const isBuiltin = (model: string) => model.startsWith('builtin:');

/** The LLM models the council file names (PM seats, chairman and fallbacks, researchers), builtins left out. */
export function configuredModels(config: Config): string[] {
  const f = config.file;
  return [...new Set([...f.seats.map((s) => s.model), f.chairman.model, ...f.chairman.fallbackModels, ...f.research.models])].filter((m) => !isBuiltin(m)).sort();
}

/**
 * The configured models' cached answers, from the project's database (DATABASE_URL, else the embedded
 * one in COUNCIL_DATA_DIR). Nothing is written: no migration, a read-only transaction, and a data
 * folder without an embedded database is not created but reported as an empty cache.
 */
export async function readLlmCache(target: { databaseUrl: string | undefined; dataDir: string }, models: readonly string[]): Promise<LlmCacheSnapshot> {
  const source = target.databaseUrl ? 'postgres' : `pglite (${target.dataDir})`;
  const empty = { source, answers: new Map<string, ChatResponse>(), perModel: {} };
  if (models.length === 0) return empty;
  if (!target.databaseUrl && !existsSync(join(target.dataDir, 'pglite'))) return { ...empty, missing: `there is no embedded database in ${target.dataDir}, so no LLM cache` };
  const db = await openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir, migrate: false });
  try {
    const rows = await db
      .tx(async (s) => {
        await s.query('set transaction read only');
        return s.query<{ prompt_hash: string; model: string; response: ChatResponse }>('select prompt_hash, model, response from llm_cache where model = any($1)', [[...models]]);
      })
      .catch((error: unknown) => {
        // A database older than the cache (undefined_table): it holds no answers.
        if ((error as { code?: unknown }).code === '42P01') return [];
        throw error;
      });
    const answers = new Map<string, ChatResponse>();
    const perModel: Record<string, number> = {};
    for (const row of rows) {
      answers.set(row.prompt_hash, row.response);
      perModel[row.model] = (perModel[row.model] ?? 0) + 1;
    }
    return { source, answers, perModel };
  } finally {
    await db.close();
  }
}

/**
 * Decides how the backtest's seats answer. `--llm cache`: the cache, or a clear error when it cannot be
 * read or holds nothing for the configured models. `--llm off` or unset: builtin seats. The cache is
 * never chosen silently: it holds only the weeks live runs convened, so a long backtest on it would be
 * mostly abstentions, and what a backtest measures should not depend on what a cache happens to hold.
 */
export async function chooseLlm(config: Config, requested: LlmRequest | undefined, read: typeof readLlmCache = readLlmCache): Promise<BacktestLlm> {
  if (requested === 'off') return { mode: 'off', reason: '--llm off: builtin systematic seats' };
  const models = configuredModels(config);
  if (requested !== 'cache')
    return {
      mode: 'off',
      reason: models.length
        ? 'builtin systematic seats (the default; --llm cache sits the LLM seats on the answers live runs cached)'
        : 'builtin systematic seats (every seat in the council file is builtin)',
    };
  if (models.length === 0) throw new LlmCacheError('--llm cache: every seat, chairman and researcher in the council file is builtin; no model answers to replay');
  let cache: LlmCacheSnapshot;
  try {
    cache = await read({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }, models);
  } catch (error) {
    // A locked embedded database keeps its own error (and exit code): it says who holds it.
    if (error instanceof DatabaseInUseError) throw error;
    throw new LlmCacheError(`--llm cache: could not read the LLM cache: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (cache.answers.size === 0)
    throw new LlmCacheError(`--llm cache: ${cache.missing ?? `the LLM cache in ${cache.source} holds no answers for the configured models (${models.join(', ')})`}`);
  return { mode: 'cache', reason: `--llm cache: ${cache.answers.size} cached answers in ${cache.source}`, cache };
}

/** The cache as the seats' only source of answers: exclusive (a miss is an abstention), never written. */
export function cachedAnswers(cache: LlmCacheSnapshot): AnswerStore {
  return {
    source: 'cache',
    exclusive: true,
    miss: NOT_CACHED,
    async get(hash) {
      const response = cache.answers.get(hash);
      return response ? { response, usage: undefined } : undefined;
    },
    async put() {},
  };
}

/** The backtest's transport: any call that got past the exclusive cache would fail here, never reach a router. */
export const refusingTransport: Transport = {
  send: async () => {
    throw new TransportError('a backtest makes no model calls', false, undefined, undefined);
  },
};
