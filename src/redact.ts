/**
 * Redaction by value: every configured secret is replaced wherever it appears, whatever field holds it
 * and whoever wrote it, above all an upstream (Alpaca, Slack, the LLM router, a proxy) whose error body
 * echoes the credentials it was sent. Used by the logger on every line it writes and by
 * `userErrorText`, the one function that turns an error into what a chat user or the CLI reads.
 *
 * Each secret is matched plain, URL-encoded, JSON-escaped and in base64 (standard and URL alphabets),
 * including inside a longer base64 text such as `Basic base64(keyId:secret)`: every three-byte
 * alignment's fully determined characters are matched.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from './config/config.ts';
import { isUserFacing } from './domain/errors.ts';
import type { Logger } from './logger.ts';

export const REDACTED = '[redacted]';

/** Shorter values are not matched: they would blank ordinary words, and a real secret is never this short. */
const MIN_SECRET = 6;
/** The shortest base64 fragment matched inside a longer base64 text. */
const MIN_FRAGMENT = 8;

export interface Redactor {
  /** The text with every form of every secret replaced by [redacted]. */
  text(text: string): string;
  /**
   * A copy of the value with every string redacted (keys too), through objects, arrays and errors
   * (message, stack, cause and own fields; the class name is kept); the value itself when nothing changed.
   */
  value<T>(value: T): T;
  /** How many secrets it knows (a redactor of none changes nothing). */
  readonly secrets: number;
}

/** Every secret the configuration holds. */
export function secretsOf(config: Pick<Config, 'llm' | 'alpaca' | 'slack' | 'discord' | 'databaseUrl'> & { web?: Config['web'] }): string[] {
  const secrets: (string | undefined)[] = [
    config.llm?.apiKey,
    ...Object.values(config.alpaca.accounts).flatMap((k) => [k.keyId, k.secret]),
    config.alpaca.dataKeys?.keyId,
    config.alpaca.dataKeys?.secret,
    config.slack?.botToken,
    config.slack?.signingSecret,
    config.slack?.appToken,
    config.discord?.token,
    config.web?.secret,
    ...(config.databaseUrl ? urlSecrets(config.databaseUrl) : []),
  ];
  return [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET))];
}

/** The redactor of a configuration's secrets, plus any others (a web secret read from the data folder). */
export function redactorFor(config: Parameters<typeof secretsOf>[0], extra: readonly string[] = []): Redactor {
  return createRedactor([...secretsOf(config), ...extra]);
}

export function createRedactor(secrets: readonly string[]): Redactor {
  const forms = new Set<string>();
  for (const secret of secrets) if (secret.length >= MIN_SECRET) for (const form of formsOf(secret)) forms.add(form);
  // Longest first, so a secret's URL-encoded form is not half-replaced through a shorter fragment.
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  const pattern = sorted.length ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : undefined;

  const text = (input: string): string => (pattern && input.length >= MIN_SECRET ? input.replace(pattern, REDACTED) : input);

  const value = <T>(input: T): T => (pattern ? (scrub(input, text, new Map()) as T) : input);

  return { text, value, secrets: secrets.length };
}

function formsOf(secret: string): string[] {
  const forms = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
  try {
    forms.push(decodeURIComponent(secret));
  } catch {
    // Not URL-encoded text: nothing more to match.
  }
  const bytes = Buffer.from(secret, 'utf8');
  forms.push(bytes.toString('base64'), bytes.toString('base64url'));
  // Inside a longer base64 text the secret starts at byte offset 0, 1 or 2 of a three-byte group; for
  // each, the characters that depend on the secret's bytes alone.
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), bytes]);
    const whole = Math.floor(padded.length / 3) * 4;
    const core = padded.toString('base64').slice(shift === 0 ? 0 : 4, whole);
    if (core.length >= MIN_FRAGMENT) forms.push(core, core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return forms.filter((f) => f.length >= MIN_SECRET);
}

/** A URL's password, as written and decoded, and the URL itself when it carries one. */
function urlSecrets(url: string): string[] {
  const raw = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:([^@/]*)@/i.exec(url)?.[1];
  if (!raw) return [];
  const out = [url, raw];
  try {
    out.push(decodeURIComponent(raw));
  } catch {
    // Kept as written.
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function scrub(input: unknown, text: (s: string) => string, seen: Map<object, unknown>): unknown {
  if (typeof input === 'string') return text(input);
  if (typeof input !== 'object' || input === null) return input;
  if (seen.has(input)) return seen.get(input);
  if (input instanceof Date || ArrayBuffer.isView(input)) return input;
  if (Array.isArray(input)) {
    const out: unknown[] = [];
    seen.set(input, out);
    let changed = false;
    for (const item of input) {
      const next = scrub(item, text, seen);
      changed ||= next !== item;
      out.push(next);
    }
    return changed ? out : input;
  }
  if (input instanceof Error) {
    // A copy of the same class, so `instanceof` and the code survive for whoever reads it next.
    const out = Object.create(Object.getPrototypeOf(input) as object) as Record<string, unknown>;
    seen.set(input, out);
    for (const key of new Set(['name', 'message', 'stack', 'cause', ...Object.keys(input)])) {
      const v = (input as unknown as Record<string, unknown>)[key];
      if (v === undefined) continue;
      // As enumerable as on the original: message and stack stay hidden from a plain JSON.stringify.
      const enumerable = Object.prototype.propertyIsEnumerable.call(input, key);
      Object.defineProperty(out, key, { value: scrub(v, text, seen), enumerable, writable: true, configurable: true });
    }
    return out;
  }
  const proto = Object.getPrototypeOf(input) as unknown;
  if (proto !== Object.prototype && proto !== null) return input;
  const out: Record<string, unknown> = {};
  seen.set(input, out);
  let changed = false;
  for (const [key, v] of Object.entries(input)) {
    const k = text(key);
    const next = scrub(v, text, seen);
    changed ||= next !== v || k !== key;
    out[k] = next;
  }
  return changed ? out : input;
}

/** What a user reads for an error: its own message when written for people, else a class and an id. */
export type UserErrorText = { kind: 'user'; message: string } | { kind: 'internal'; summary: string; errorId: string };

/**
 * The one way an error becomes text for a chat user or the CLI. A user-facing error (one that extends
 * UserFacingError, src/domain/errors.ts: a refused approval, a bad command, a database that is down)
 * shows its message, redacted. Anything else, an upstream's answer above all, is shown as a short class
 * (its name and HTTP status, never its text) and an error id; the whole error goes to the log under that id.
 */
export function userErrorText(error: unknown, deps: { logger: Logger; redact: Redactor; newId?: () => string }, where: string): UserErrorText {
  if (isUserFacing(error)) return { kind: 'user', message: deps.redact.text(error.message) };
  const errorId = deps.newId?.() ?? randomUUID().slice(0, 8);
  deps.logger.error({ err: deps.redact.value(error), errorId, where }, `${where} failed`);
  return { kind: 'internal', summary: errorClass(error), errorId };
}

/** "AuthError (HTTP 401)", "TypeError": the kind of failure, with nothing an upstream wrote. */
export function errorClass(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const name = /^[A-Za-z][\w.]{0,40}$/.test(error.name) ? error.name : 'Error';
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && Number.isInteger(status) ? `${name} (HTTP ${status})` : name;
}

/** `userErrorText` as one line. */
export function userErrorLine(text: UserErrorText): string {
  return text.kind === 'user' ? text.message : `${text.summary} (error id ${text.errorId})`;
}
