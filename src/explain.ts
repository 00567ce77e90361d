/**
 * Errors as one line a person can act on: the SDKs wrap the real cause (undici's "fetch failed", the
 * Alpaca SDK's "the interceptors did not return an alternative response", openai's "Connection error.")
 * and the cause underneath, e.g. "connect ECONNREFUSED 127.0.0.1:9", is what says what to fix.
 */

/** Messages that only say "something below failed": the cause underneath is what a person needs. */
const WRAPPERS = [/interceptors did not return an alternative response/i, /^fetch failed$/i, /^connection error\.?$/i, /^request failed$/i, /^terminated$/i];

/**
 * One line for an error and its causes: the SDKs' wrapper messages dropped, the innermost real causes
 * kept (e.g. "connect ECONNREFUSED 127.0.0.1:9"), every secret replaced.
 */
export function explainError(error: unknown, secrets: readonly string[] = []): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    if (current instanceof AggregateError && current.errors.length) {
      parts.push([...new Set(current.errors.map((e) => explainError(e)))].join('; '));
      break;
    }
    const e = current as { message?: unknown; code?: unknown; status?: unknown; cause?: unknown };
    const message = typeof e.message === 'string' ? e.message.trim() : String(current);
    if (message && !WRAPPERS.some((w) => w.test(message))) {
      const code = typeof e.code === 'string' && !message.includes(e.code) ? `${e.code}: ` : '';
      parts.push(`${code}${message}`);
    }
    current = e.cause;
  }
  const text = parts.length ? [...new Set(parts)].join(': ') : error instanceof Error ? error.message : String(error);
  return redact(text, secrets);
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out;
}
