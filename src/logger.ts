/** pino to stderr, with every secret-bearing field redacted. */
import { pino, type Logger } from 'pino';

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

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'council' } }, destination as pino.DestinationStream);
}

export type { Logger };
