/**
 * The secret that signs dashboard sign-in links: COUNCIL_WEB_SECRET when set, else one generated once
 * and kept in `<dataDir>/web-secret` (mode 0600), so `council web-login` and `council serve` on the same
 * data folder sign and check alike without sharing a database connection.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.ts';

export const SECRET_FILE = 'web-secret';

/** The web secret; created in the data folder on first use when the environment has none. */
export function webSecret(config: Pick<Config, 'web' | 'dataDir'>): string {
  if (config.web.secret) return config.web.secret;
  const path = join(config.dataDir, SECRET_FILE);
  try {
    const kept = readFileSync(path, 'utf8').trim();
    if (kept.length >= 32) return kept;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    // 'wx': two processes starting together keep the first one's secret.
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8').trim();
    throw error;
  }
}

/**
 * The configuration with its web secret resolved (the environment's, else the data folder's, created
 * then), so every redactor built from it redacts a generated secret as it does a configured one.
 */
export function withWebSecret<C extends Pick<Config, 'web' | 'dataDir'>>(config: C): C {
  return { ...config, web: { ...config.web, secret: webSecret(config) } };
}
