import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { track } from '../support/children.ts';
import { BIN, ROOT, council } from '../support/cli.ts';

describe('The embedded database is held by one process', () => {
  it('Given council serve running on the embedded database, When another council command starts, Then it says plainly the database is in use and changes nothing', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'warn',
      COUNCIL_HTTP_PORT: '0',
      COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-lock-')),
    };
    const serve = track(spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] }));
    let out = '';
    // The console greets once the database is open and migrated: from then on the folder is locked.
    await new Promise<void>((ready, fail) => {
      serve.stdout.on('data', (d) => {
        out += d;
        if (out.includes('trading-council console')) ready();
      });
      serve.once('exit', (code) => fail(new Error(`serve exited early with ${code}`)));
    });
    try {
      const second = await council(['status', '--json'], env);
      expect(second.code).toBe(3);
      expect(JSON.parse(second.stdout).error.code).toBe('DB_IN_USE');
      expect(second.stderr).toMatch(/in use by process \d+/);
      expect(second.stderr).toMatch(/DATABASE_URL/);
    } finally {
      serve.stdin.end('quit\n');
      await once(serve, 'exit');
    }
    const after = await council(['status', '--json'], env);
    expect(after.code, after.stderr).toBe(0);
  });
});
