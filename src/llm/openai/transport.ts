/**
 * The one place the openai SDK is used: one chat completion per send(), the SDK's own retries off
 * (ours cap a server's retry-after; the SDK's do not), every failure turned into a TransportError
 * whose message never carries the key. The SDK loads at the first send: builtin seats, backtests and
 * replays never load it.
 */
import type OpenAI from 'openai';
import type { Transport } from './types.ts';
import { TransportError } from './types.ts';
import { explainError } from '../../explain.ts';

export interface OpenAiTransportOptions {
  baseUrl: string;
  apiKey: string;
  /** Only for tests and proxies; default: global fetch. */
  fetch?: typeof fetch;
}

export function openAiTransport(options: OpenAiTransportOptions): Transport {
  let sdk: Promise<{ OpenAI: typeof OpenAI; client: OpenAI }> | undefined;
  const load = () =>
    (sdk ??= import('openai').then(({ default: OpenAI }) => ({
      OpenAI,
      client: new OpenAI({ baseURL: options.baseUrl, apiKey: options.apiKey, maxRetries: 0, fetch: options.fetch }),
    })));
  const hide = (text: string) => (options.apiKey ? text.split(options.apiKey).join('[redacted]') : text);
  return {
    async send(request, { timeoutMs, signal }) {
      const { OpenAI, client } = await load();
      let completion: OpenAI.Chat.Completions.ChatCompletion;
      try {
        completion = await client.chat.completions.create({ ...request, stream: false }, { timeout: timeoutMs, signal, maxRetries: 0 });
      } catch (error) {
        throw toTransportError(OpenAI, error, hide, options.baseUrl);
      }
      const choice = completion.choices[0];
      if (!choice) throw new TransportError('the answer had no choices', true, undefined, undefined);
      return {
        model: completion.model || request.model,
        content: choice.message.content ?? null,
        refusal: choice.message.refusal ?? null,
        finishReason: choice.finish_reason ?? 'stop',
        usage: { promptTokens: completion.usage?.prompt_tokens ?? 0, completionTokens: completion.usage?.completion_tokens ?? 0 },
      };
    },
  };
}

function toTransportError(sdk: typeof OpenAI, error: unknown, hide: (s: string) => string, baseUrl: string): TransportError {
  if (error instanceof sdk.APIConnectionTimeoutError) return new TransportError('timed out waiting for the model', true, undefined, undefined);
  if (error instanceof sdk.APIUserAbortError) return new TransportError('stage deadline reached', false, undefined, undefined);
  if (error instanceof sdk.APIConnectionError) return new TransportError(`connection to ${baseUrl} failed: ${hide(explainError(error))}`, true, undefined, undefined);
  if (error instanceof sdk.APIError) {
    const status = error.status;
    const retryable = status === 408 || status === 409 || status === 429 || (status !== undefined && status >= 500);
    // The SDK's message already starts with the status ("503 upstream overloaded").
    const detail = hide(error.message).replace(new RegExp(`^${status} `), '');
    return new TransportError(`HTTP ${status ?? '?'}: ${detail}`, retryable, retryAfterMs(error.headers), status);
  }
  return new TransportError(hide(error instanceof Error ? error.message : String(error)), false, undefined, undefined);
}

/** retry-after-ms first, then retry-after in seconds or as an HTTP date (as the SDK reads them). */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers?.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
