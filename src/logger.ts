/**
 * pino to stderr: human lines on a terminal, JSON lines otherwise (LOG_FORMAT forces either), with every
 * secret-bearing field redacted by name and, given a redactor, every configured secret redacted by value
 * on every line written, whichever field or upstream carried it.
 */
import { pino, type Logger } from 'pino';

/** What the logger needs of a redactor (redact.ts's `Redactor` is one; it logs through this module, so this one does not import it). */
export interface LineRedactor {
  /** How many secrets it knows (none: lines are written as they are). */
  readonly secrets: number;
  /** The line with every secret replaced. */
  text(line: string): string;
}

export const REDACT_PATHS = [
  '*.apiKey',
  '*.secret',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.keyId',
  '*.password',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  '*.headers["x-slack-signature"]',
  '*.headers["apca-api-secret-key"]',
  '*.headers["apca-api-key-id"]',
  'config.llm',
  'config.slack',
  'config.discord',
  'config.alpaca',
  // A PostgreSQL URL carries its password (postgres://user:password@host/db).
  'config.databaseUrl',
  'databaseUrl',
  '*.databaseUrl',
  '*.connectionString',
];

export type LogFormat = 'pretty' | 'json';

/** `format` unset: pretty when the destination is a terminal, JSON otherwise. */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr, format?: LogFormat, secrets?: LineRedactor): Logger {
  const isTty = (destination as { isTTY?: boolean }).isTTY === true;
  const stream = (format ?? (isTty ? 'pretty' : 'json')) === 'pretty' ? prettyStream(destination, isTty) : destination;
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { app: 'council' },
      // The whole serialized line, after every serializer: nothing reaches the stream unscrubbed.
      ...(secrets?.secrets ? { hooks: { streamWrite: (line: string) => secrets.text(line) } } : {}),
    },
    stream as pino.DestinationStream,
  );
}

const LEVELS: Record<number, [name: string, color: number]> = { 10: ['TRACE', 90], 20: ['DEBUG', 36], 30: ['INFO', 32], 40: ['WARN', 33], 50: ['ERROR', 31], 60: ['FATAL', 35] };
const QUIET = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'app', 'err']);

/**
 * pino's JSON lines as one human line each (time, level, message, the other fields as key=value) and an
 * error's stack indented below. Each record is one write, so it never splits another writer's line.
 */
export function prettyStream(destination: NodeJS.WritableStream, color: boolean): { write(line: string): void } {
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  return {
    write(line: string) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        destination.write(line);
        return;
      }
      const [name, code] = LEVELS[Number(record['level'])] ?? ['LOG', 0];
      const time = new Date(Number(record['time'])).toISOString().slice(11, 23);
      const fields = Object.entries(record)
        .filter(([k]) => !QUIET.has(k))
        .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`);
      const err = record['err'] as { type?: string; message?: string; stack?: string } | undefined;
      const stack = err ? `\n    ${(err.stack ?? `${err.type ?? 'Error'}: ${err.message}`).split('\n').join('\n    ')}` : '';
      destination.write(`${paint(90, time)} ${paint(code, name.padEnd(5))} ${String(record['msg'] ?? '')}${fields.length ? ` ${paint(90, fields.join(' '))}` : ''}${stack}\n`);
    },
  };
}

export type { Logger };
