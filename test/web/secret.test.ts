/** The dashboard's web secret, generated in the data folder when the environment has none, is redacted like any configured secret. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { REDACTED, redactorFor } from '../../src/redact.ts';
import { SECRET_FILE, withWebSecret } from '../../src/web/secret.ts';

describe('The web secret', () => {
  it('Given no COUNCIL_WEB_SECRET, When serve resolves the secret, Then the one generated in the data folder is redacted in every form', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'council-web-secret-'));
    const loaded = loadConfig({ COUNCIL_DATA_DIR: dataDir });
    expect(loaded.web.secret).toBeUndefined();
    const config = withWebSecret(loaded);
    const kept = readFileSync(join(dataDir, SECRET_FILE), 'utf8').trim();
    expect(config.web.secret).toBe(kept);
    const redactor = redactorFor(config);
    expect(redactor.text(`signing with ${kept}`)).toBe(`signing with ${REDACTED}`);
    expect(redactor.text(Buffer.from(kept).toString('base64'))).toBe(REDACTED);
    // The same folder gives the same secret: a second process signs and checks alike.
    expect(withWebSecret(loadConfig({ COUNCIL_DATA_DIR: dataDir })).web.secret).toBe(kept);
  });

  it('Given COUNCIL_WEB_SECRET, Then it is the secret and nothing is written', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'council-web-secret-'));
    const config = withWebSecret(loadConfig({ COUNCIL_DATA_DIR: dataDir, COUNCIL_WEB_SECRET: 'a-configured-secret-of-32-characters!' }));
    expect(config.web.secret).toBe('a-configured-secret-of-32-characters!');
    expect(() => readFileSync(join(dataDir, SECRET_FILE))).toThrow();
  });
});
