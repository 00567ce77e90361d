/** Environment for an App whose six accounts trade on the fake Alpaca. */
import type { FakeAlpaca } from '../fakes/alpaca.ts';

export const ACCOUNTS = ['CHATGPT', 'GEMINI', 'CLAUDE', 'GROQ', 'DEEPSEEK', 'COUNCIL'] as const;
export const keyOf = (account: string) => `PK${account}`;
export const secretOf = (account: string) => `secret-${account.toLowerCase()}-do-not-log`;

/** Adds the six paper accounts to the fake and returns the env that points the app at them. */
export function alpacaEnv(fake: FakeAlpaca, dataDir: string, options: { fillMode?: 'hold' | 'fill' | 'partial' } = {}): Record<string, string> {
  const env: Record<string, string> = { COUNCIL_DATA_DIR: dataDir, ALPACA_API_URL: fake.url, ALPACA_DATA_URL: fake.url, LOG_LEVEL: 'silent' };
  for (const account of ACCOUNTS) {
    fake.addAccount(keyOf(account), secretOf(account), { fillMode: options.fillMode ?? 'hold' });
    env[`ALPACA_${account}_KEY_ID`] = keyOf(account);
    env[`ALPACA_${account}_SECRET`] = secretOf(account);
  }
  return env;
}
