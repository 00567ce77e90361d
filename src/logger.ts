/**
 * pino to stderr, with every secret-bearing field redacted by name and, given a redactor, every
 * configured secret redacted by value on every line written, whichever field or upstream carried it.
 */
import { pino, type Logger } from 'pino';
import type { Redactor } from './redact.ts';

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

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr, secrets?: Redactor): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { app: 'council' },
      // The whole serialized line, after every serializer: nothing reaches the stream unscrubbed.
      ...(secrets?.secrets ? { hooks: { streamWrite: (line: string) => secrets.text(line) } } : {}),
    },
    destination as pino.DestinationStream,
  );
}

export type { Logger };
