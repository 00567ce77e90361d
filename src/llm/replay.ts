/**
 * `council run --replay <runId>`: the run again, from its recorded model answers, with zero calls.
 * Prepared here (a fork of the store, seats answering from the recording), run by the application the
 * composition root builds on it (src/compose.ts replayRun): the original events up to the run's decision
 * stay visible (so simulated accounts look as they did then), the week's own run and calls are hidden,
 * and every new event stays in memory. Nothing is written to the real store.
 */
import type { Config } from '../config/config.ts';
import type { RecordedRun } from '../app/council.ts';
import type { Council } from '../pipeline/seats.ts';
import { type RunStarted, weekStream } from '../pipeline/week.ts';
import type { Database, EventStore, NewEvent, ReadAllOptions, StoredEvent } from '../store/port.ts';
import { ConcurrencyError } from '../store/port.ts';
import { buildLlmCouncil } from './council.ts';
import type { NewsBrief } from '../pipeline/research.ts';
import { LLM_CALL_EVENT, type LlmCallRecorded, llmStreamPrefix, recordedAnswers, type Stage } from './openai/audit.ts';
import { loadPromptFile, type Prompt } from './openai/prompts.ts';
import { TransportError } from './openai/types.ts';
import { UserFacingError } from '../domain/errors.ts';

export class ReplayError extends UserFacingError {
  readonly code = 'REPLAY';
}

export type { RecordedRun } from '../app/council.ts';

/** What a replay runs on: the fork of the store, seats that answer only from the recording, and the run. */
export interface ReplayPlan {
  store: EventStore;
  council: Council;
  run: RecordedRun;
}

/**
 * Prepares the replay of run `runId`: the store forked at the run's decision (the week's own run and
 * calls hidden), seats answering from the recorded calls with the recorded prompts (any other call is
 * refused), and the run's request. The composition root builds an application on it (compose 'replay').
 */
export async function prepareReplay(config: Config, base: { store: EventStore; db: Database }, runId: string): Promise<ReplayPlan> {
  const { store } = base;
  const council = config.file.council;
  const starts = await store.readAll({ streamPrefix: `week:${council}:`, types: ['RunStarted'] });
  const start = starts.find((e) => (e.data as RunStarted).runId === runId);
  if (!start) throw new ReplayError(`no run ${runId} in council ${council}`);
  const started = start.data as RunStarted;
  const original = await store.read(start.stream);
  // The run's own end: a retried week holds an earlier attempt's RunCompleted before this run started.
  const cut = original.find((e) => e.version > start.version && (e.type === 'DecisionMade' || e.type === 'RunCompleted')) ?? original[original.length - 1];
  const fork = forkStore(store, {
    before: BigInt(cut?.globalPosition ?? start.globalPosition),
    hidden: (stream) => stream === weekStream(council, started.week) || stream.startsWith(llmStreamPrefix(council, started.week)),
  });
  const refuse = {
    send: async () => {
      throw new TransportError('the replay makes no model calls', false, undefined, undefined);
    },
  };
  const prompts = await recordedPrompts(store, council, started.week);
  const llm = buildLlmCouncil(config, {
    store: fork,
    db: base.db,
    transport: refuse,
    answers: await recordedAnswers(store, council, started.week, start.globalPosition),
    prompts,
  });
  const research = original.find((e) => e.type === 'ResearchCompleted')?.data as { news?: NewsBrief } | undefined;
  return {
    store: fork,
    council: llm,
    run: {
      runId,
      week: started.week,
      query: started.query ?? undefined,
      asOf: new Date(started.asOf),
      requestedBy: started.requestedBy ?? undefined,
      via: started.via ?? undefined,
      inlineQuestion: started.questionFormat !== 'fenced',
      news: research?.news,
    },
  };
}

/** The prompt version each stage of the recorded week was asked with (research.v1 for runs before research.v2). */
async function recordedPrompts(store: EventStore, council: string, week: string): Promise<Partial<Record<Stage, Prompt>>> {
  const calls = await store.readAll({ streamPrefix: llmStreamPrefix(council, week), types: [LLM_CALL_EVENT] });
  const prompts: Partial<Record<Stage, Prompt>> = {};
  for (const e of calls) {
    const call = e.data as LlmCallRecorded;
    // A fenced question adds its addendum to the version ("research.v2+question.v1"): the base prompt is the first part.
    if (!prompts[call.stage]) prompts[call.stage] = loadPromptFile(call.promptVersion.split('+')[0]!);
  }
  return prompts;
}

/** The base store as it was before `before` (minus hidden streams), plus whatever is appended here, in memory. */
export function forkStore(base: EventStore, options: { before: bigint; hidden: (stream: string) => boolean }): EventStore {
  const local = new Map<string, StoredEvent[]>();
  let position = options.before * 1_000_000n;
  const visible = (e: StoredEvent) => BigInt(e.globalPosition) < options.before && !options.hidden(e.stream);
  const read = async (stream: string) => [...(options.hidden(stream) ? [] : (await base.read(stream)).filter(visible)), ...(local.get(stream) ?? [])];
  const fork: EventStore = {
    read,
    async appendAtHead(stream: string, events: readonly NewEvent[]) {
      for (;;) {
        try {
          return await fork.append(stream, (await read(stream)).length, events);
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error;
        }
      }
    },
    async append(stream: string, expectedVersion: number, events: readonly NewEvent[]) {
      const current = await read(stream);
      if (current.length !== expectedVersion) throw new ConcurrencyError(stream, expectedVersion);
      const added = events.map((e, i) => ({
        stream,
        version: expectedVersion + i + 1,
        globalPosition: String(++position),
        type: e.type,
        data: structuredClone(e.data),
        meta: e.meta ?? {},
        recordedAt: new Date(0),
      }));
      local.set(stream, [...(local.get(stream) ?? []), ...added]);
      return expectedVersion + events.length;
    },
    async appendMany(appends) {
      // Checked before anything is written, and nothing else appends to the fork in between but its own caller.
      for (const a of appends) if ((await read(a.stream)).length !== a.expectedVersion) throw new ConcurrencyError(a.stream, a.expectedVersion);
      const versions: number[] = [];
      for (const a of appends) versions.push(await fork.append(a.stream, a.expectedVersion, a.events));
      return versions;
    },
    async readAll(o: ReadAllOptions = {}) {
      const fromBase = (await base.readAll({ ...o, limit: undefined })).filter(visible);
      const fromLocal = [...local.values()].flat().filter((e) => (!o.streamPrefix || e.stream.startsWith(o.streamPrefix)) && (!o.types || o.types.includes(e.type)));
      const all = [...fromBase, ...fromLocal].filter((e) => !o.after || BigInt(e.globalPosition) > BigInt(o.after));
      return o.limit === undefined ? all : all.slice(0, o.limit);
    },
    async streams(prefix: string) {
      const names = new Set([...(await base.streams(prefix)).map((s) => s.stream), ...[...local.keys()].filter((s) => s.startsWith(prefix))]);
      const listed = await Promise.all([...names].sort().map(async (stream) => ({ stream, version: (await read(stream)).length })));
      return listed.filter((s) => s.version > 0);
    },
  };
  return fork;
}
