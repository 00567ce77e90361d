/**
 * One structured question to one model, start to finish: the request (json_schema, or JSON mode plus
 * the schema in the prompt), the answer (from a replay, the cache or the router), strict extraction,
 * zod, the domain checks, one repair turn that shows the model its errors, then an answer or an
 * abstention with the reason. Every call is recorded; the budget is checked before each one.
 */
import type { zodResponseFormat } from 'openai/helpers/zod';
import type { z } from 'zod';
import type { LlmSettings } from '../../config/config.ts';
import { addUsage, NO_USAGE, type SeatResult, type Usage } from '../../pipeline/seats.ts';
import type { AnswerStore, CallRecorder, LlmCallRecorded, Stage } from './audit.ts';
import { requestHash } from './audit.ts';
import type { Budget } from './budget.ts';
import { extractJson } from './extract.ts';
import { type RetryDeps, sendWithRetry } from './retry.ts';
import type { ChatMessage, ChatRequest, ChatResponse, OutputMode, Transport } from './types.ts';
import { TransportError } from './types.ts';

/**
 * The SDK's zod helper, loaded at the first question: it loads the openai package, which a council of
 * builtin seats never needs (serve without an LLM key, issue 21).
 */
let responseFormat: Promise<typeof zodResponseFormat> | undefined;
const loadResponseFormat = () => (responseFormat ??= import('openai/helpers/zod').then((m) => m.zodResponseFormat));

export interface AskDeps {
  council: string;
  settings: LlmSettings;
  transport: Transport;
  /** A replay (exclusive) or the prompt-hash cache; undefined: always the network. */
  answers: AnswerStore | undefined;
  recorder: CallRecorder;
  budget: Budget;
  timers: RetryDeps;
}

export interface Question<T> {
  week: string;
  stage: Stage;
  seat: string;
  model: string;
  promptVersion: string;
  /** The schema's name in response_format. */
  name: string;
  schema: z.ZodType<T>;
  messages: ChatMessage[];
  /** Domain rules the schema cannot say; any problem makes the answer malformed. */
  check: (value: T) => string[];
}

type Interpreted<T> = { ok: true; value: T } | { ok: false; problems: string[]; refused?: string };

export function priceOf(settings: LlmSettings, model: string, u: ChatResponse['usage']): Usage {
  const price = settings.models[model];
  const cost = price ? (u.promptTokens * price.inputPerMTok + u.completionTokens * price.outputPerMTok) / 1e6 : 0;
  return { calls: 1, promptTokens: u.promptTokens, completionTokens: u.completionTokens, costUsd: Math.round(cost * 1e6) / 1e6 };
}

export function outputModeOf(settings: LlmSettings, model: string): OutputMode {
  return settings.models[model]?.output ?? 'json_schema';
}

export function buildRequest<T>(q: Question<T>, messages: ChatMessage[], mode: OutputMode, settings: LlmSettings, toFormat: typeof zodResponseFormat): ChatRequest {
  const format = toFormat(q.schema, q.name);
  const request: ChatRequest =
    mode === 'json_schema'
      ? { model: q.model, messages, response_format: { type: 'json_schema', json_schema: { name: q.name, strict: true, schema: format.json_schema.schema ?? {} } } }
      : { model: q.model, messages: withSchemaInPrompt(messages, format.json_schema.schema ?? {}), response_format: { type: 'json_object' } };
  if (settings.temperature !== null) request.temperature = settings.temperature;
  return request;
}

/** JSON mode cannot carry the schema, so the system prompt does. */
function withSchemaInPrompt(messages: ChatMessage[], schema: Record<string, unknown>): ChatMessage[] {
  const { $schema: _, ...bare } = schema;
  return messages.map((m, i) =>
    i === 0 && m.role === 'system' ? { ...m, content: `${m.content}\n\nAnswer with one JSON object valid against this JSON schema:\n${JSON.stringify(bare)}` } : m,
  );
}

export function interpret<T>(q: Question<T>, response: ChatResponse): Interpreted<T> {
  if (response.refusal) return { ok: false, problems: [], refused: response.refusal };
  if (response.finishReason === 'content_filter') return { ok: false, problems: [], refused: 'stopped by the content filter' };
  const problems: string[] = [];
  if (response.finishReason === 'length') problems.push('the answer was cut off at the token limit; answer more briefly');
  const extracted = extractJson(response.content ?? '');
  if (!extracted.ok) return { ok: false, problems: [...problems, extracted.error] };
  const parsed = q.schema.safeParse(extracted.value);
  if (!parsed.success) return { ok: false, problems: [...problems, ...parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)] };
  const domain = q.check(parsed.data);
  return domain.length ? { ok: false, problems: [...problems, ...domain] } : { ok: true, value: parsed.data };
}

const repairPrompt = (problems: string[]) =>
  `Your answer could not be used:\n${problems.map((p) => `- ${p}`).join('\n')}\nSend the corrected answer: one JSON object only, no prose, no code fence.`;

export async function ask<T>(deps: AskDeps, q: Question<T>): Promise<SeatResult<T>> {
  const { settings, timers } = deps;
  const deadline = timers.now() + settings.stageDeadlineMs;
  let usage = NO_USAGE;
  let messages = q.messages;
  let mode = outputModeOf(settings, q.model);
  const fail = (error: string): SeatResult<T> => ({ ok: false, error, model: q.model, usage });
  const toFormat = await loadResponseFormat();

  for (const turn of ['answer', 'repair'] as const) {
    const over = await deps.budget.exceeded(q.week);
    let request = buildRequest(q, messages, mode, settings, toFormat);
    const base = { week: q.week, stage: q.stage, seat: q.seat, model: q.model, promptVersion: q.promptVersion, turn };
    if (over) {
      await deps.recorder.record(deps.council, {
        ...base,
        requestHash: requestHash(request),
        request,
        source: 'none',
        tries: 0,
        response: null,
        outcome: 'over_budget',
        problems: [over],
        usage: NO_USAGE,
        latencyMs: 0,
        httpStatus: null,
      });
      return fail(over);
    }
    const started = timers.now();
    let got: Awaited<ReturnType<typeof answer>>;
    try {
      got = await answer(deps, request, deadline);
    } catch (error) {
      // A router or model without json_schema says so with a 400: ask again in JSON mode, once.
      if (error instanceof TransportError && error.status === 400 && mode === 'json_schema') {
        await recordFailure(deps, base, request, error, timers.now() - started);
        mode = 'json_object';
        request = buildRequest(q, messages, mode, settings, toFormat);
        try {
          got = await answer(deps, request, deadline);
        } catch (second) {
          return fail(await recordFailure(deps, base, request, second, timers.now() - started));
        }
      } else return fail(await recordFailure(deps, base, request, error, timers.now() - started));
    }
    const callUsage = got.source === 'network' ? priceOf(settings, q.model, got.response.usage) : (got.usage ?? NO_USAGE);
    usage = addUsage(usage, callUsage);
    if (got.source === 'network') deps.budget.spend(q.week, callUsage.costUsd);
    const result = interpret(q, got.response);
    const outcome: LlmCallRecorded['outcome'] = result.ok ? 'ok' : result.refused !== undefined ? 'refused' : 'malformed';
    await deps.recorder.record(deps.council, {
      ...base,
      requestHash: requestHash(request),
      request,
      source: got.source,
      tries: got.tries,
      response: got.response,
      outcome,
      problems: result.ok ? [] : result.refused !== undefined ? [result.refused] : result.problems,
      usage: callUsage,
      latencyMs: Math.round(timers.now() - started),
      httpStatus: null,
    });
    if (result.ok) return { ok: true, value: result.value, model: q.model, usage };
    if (result.refused !== undefined) return fail(`the model refused: ${result.refused}`);
    if (turn === 'repair') return fail(`malformed answer, still after one repair: ${result.problems.join('; ')}`);
    messages = [...messages, { role: 'assistant', content: got.response.content ?? '' }, { role: 'user', content: repairPrompt(result.problems) }];
  }
  return fail('unreachable');
}

async function answer(deps: AskDeps, request: ChatRequest, deadline: number) {
  const hash = requestHash(request);
  const stored = await deps.answers?.get(hash);
  if (stored && deps.answers) {
    if ('error' in stored) throw new TransportError(stored.error, false, undefined, stored.status ?? undefined);
    return { response: stored.response, usage: stored.usage, source: deps.answers.source, tries: 0 };
  }
  if (deps.answers?.exclusive) throw new TransportError(deps.answers.miss ?? 'no stored answer for this request (no calls allowed)', false, undefined, undefined);
  const { response, tries } = await sendWithRetry(deps.transport, request, deps.settings, deadline, deps.timers);
  await deps.answers?.put(hash, request, response);
  return { response, usage: undefined, source: 'network' as const, tries };
}

async function recordFailure(
  deps: AskDeps,
  base: Pick<LlmCallRecorded, 'week' | 'stage' | 'seat' | 'model' | 'promptVersion' | 'turn'>,
  request: ChatRequest,
  error: unknown,
  latencyMs: number,
): Promise<string> {
  const message = error instanceof Error ? error.message : String(error);
  await deps.recorder.record(deps.council, {
    ...base,
    requestHash: requestHash(request),
    request,
    source: deps.answers?.exclusive ? deps.answers.source : 'network',
    tries: error instanceof TransportError ? error.tries : 0,
    response: null,
    outcome: 'failed',
    problems: [message],
    usage: NO_USAGE,
    latencyMs: Math.round(latencyMs),
    httpStatus: error instanceof TransportError ? (error.status ?? null) : null,
  });
  return message;
}
