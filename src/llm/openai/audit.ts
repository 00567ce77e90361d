/**
 * Where model answers come from and where every call is written down. Each call (answered or not) is an
 * `LlmCallRecorded` event in the stream `llm:<council>:<week>:<stage>:<seat>` (one stream per seat and
 * stage, so parallel seats never contend). A replay answers from those events; the cache from `llm_cache`.
 */
import { createHash } from 'node:crypto';
import type { Usage } from '../../pipeline/seats.ts';
import { appendDecided } from '../../store/append.ts';
import type { EventStore, Queryable } from '../../store/port.ts';
import type { ChatRequest, ChatResponse } from './types.ts';

export type Stage = 'research' | 'pitch' | 'review' | 'chair' | 'checkpoint';

export const LLM_CALL_EVENT = 'LlmCallRecorded';

export interface LlmCallRecorded {
  week: string;
  stage: Stage;
  seat: string;
  model: string;
  promptVersion: string;
  turn: 'answer' | 'repair';
  requestHash: string;
  request: ChatRequest;
  /** Where the answer came from: the router, the prompt-hash cache, or a recorded run. */
  source: 'network' | 'cache' | 'replay' | 'none';
  tries: number;
  response: ChatResponse | null;
  outcome: 'ok' | 'malformed' | 'refused' | 'failed' | 'over_budget';
  problems: string[];
  usage: Usage;
  latencyMs: number;
  /** The HTTP status of a failed call, when there was one. */
  httpStatus: number | null;
}

export const llmStreamPrefix = (council: string, week: string) => `llm:${council}:${week}:`;
export const llmStream = (council: string, week: string, stage: Stage, seat: string) => `${llmStreamPrefix(council, week)}${stage}:${seat}`;

export function requestHash(request: ChatRequest): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

export interface CallRecorder {
  record(council: string, call: LlmCallRecorded): Promise<void>;
}

export function eventRecorder(store: EventStore): CallRecorder {
  return {
    async record(council, call) {
      await appendDecided(store, llmStream(council, call.week, call.stage, call.seat), () => [{ type: LLM_CALL_EVENT, data: call }]);
    },
  };
}

/**
 * A stored answer: from the cache (costs nothing now) or a recording (reports what it cost then). A
 * recording also holds the failures, so a replayed seat fails the same way.
 */
export type StoredAnswer = { response: ChatResponse; usage: Usage | undefined } | { error: string; status: number | null };

export interface AnswerStore {
  readonly source: 'cache' | 'replay';
  /** true when a miss must not fall through to the network (a replay, a backtest). */
  readonly exclusive: boolean;
  /** Why an exclusive store has no answer: the seat's abstention reason. */
  readonly miss?: string;
  get(hash: string): Promise<StoredAnswer | undefined>;
  put(hash: string, request: ChatRequest, response: ChatResponse): Promise<void>;
}

export function sqlCache(db: Queryable): AnswerStore {
  return {
    source: 'cache',
    exclusive: false,
    async get(hash) {
      const [row] = await db.query<{ response: ChatResponse }>('select response from llm_cache where prompt_hash = $1', [hash]);
      return row ? { response: row.response, usage: undefined } : undefined;
    },
    async put(hash, request, response) {
      await db.query('insert into llm_cache (prompt_hash, model, response) values ($1, $2, $3) on conflict (prompt_hash) do nothing', [
        hash,
        request.model,
        JSON.stringify(response),
      ]);
    },
  };
}

/**
 * The answers of a recorded week, by request hash, served in the order they were first given. `after`
 * (a global position, the run's RunStarted) keeps only that run's calls: a retried week also holds the
 * failed attempt's answers to the same requests.
 */
export async function recordedAnswers(store: EventStore, council: string, week: string, after?: string): Promise<AnswerStore> {
  const events = await store.readAll({ streamPrefix: llmStreamPrefix(council, week), types: [LLM_CALL_EVENT], ...(after ? { after } : {}) });
  const byHash = new Map<string, StoredAnswer[]>();
  for (const e of events) {
    const call = e.data as LlmCallRecorded;
    const answer: StoredAnswer = call.response ? { response: call.response, usage: call.usage } : { error: call.problems[0] ?? call.outcome, status: call.httpStatus };
    byHash.set(call.requestHash, [...(byHash.get(call.requestHash) ?? []), answer]);
  }
  const served = new Map<string, number>();
  return {
    source: 'replay',
    exclusive: true,
    miss: 'no recorded answer for this request (the replay makes no calls)',
    async get(hash) {
      const answers = byHash.get(hash) ?? [];
      const i = served.get(hash) ?? 0;
      served.set(hash, i + 1);
      return answers[Math.min(i, answers.length - 1)];
    },
    async put() {},
  };
}
