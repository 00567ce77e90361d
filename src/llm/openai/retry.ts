/** One request, retried on 429/5xx/timeouts within a retry cap and a deadline, never waiting longer than the cap on retry-after. */
import type { ChatRequest, ChatResponse, Transport } from './types.ts';
import { TransportError } from './types.ts';

export interface RetryPolicy {
  timeoutMs: number;
  retries: number;
  maxRetryAfterMs: number;
}

export interface RetryDeps {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const realTimers: RetryDeps = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Exponential backoff when the server names no delay: 0.5 s, 1 s, 2 s ... up to 8 s. */
const backoffMs = (attempt: number) => Math.min(8_000, 500 * 2 ** attempt);

export async function sendWithRetry(
  transport: Transport,
  request: ChatRequest,
  policy: RetryPolicy,
  deadline: number,
  deps: RetryDeps,
): Promise<{ response: ChatResponse; tries: number }> {
  for (let attempt = 0; ; attempt++) {
    const left = deadline - deps.now();
    if (left <= 0) throw new TransportError('stage deadline reached before the model answered', false, undefined, undefined, attempt);
    const timeoutMs = Math.max(1, Math.floor(Math.min(policy.timeoutMs, left)));
    try {
      return { response: await transport.send(request, { timeoutMs }), tries: attempt + 1 };
    } catch (error) {
      const e = error instanceof TransportError ? error : new TransportError(String(error), false, undefined, undefined);
      const reason = e.message === 'timed out waiting for the model' ? `timed out after ${timeoutMs} ms` : e.message;
      if (!e.retryable || attempt >= policy.retries)
        throw new TransportError(attempt > 0 ? `${reason} (after ${attempt + 1} tries)` : reason, false, undefined, e.status, attempt + 1);
      const wait = Math.min(e.retryAfterMs ?? backoffMs(attempt), policy.maxRetryAfterMs);
      if (deps.now() + wait >= deadline) throw new TransportError(`${reason}; no time left before the stage deadline to retry`, false, undefined, e.status, attempt + 1);
      await deps.sleep(wait);
    }
  }
}
