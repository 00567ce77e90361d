/**
 * `council web-login` while `council serve` holds the embedded database: the link is signed with the
 * secret in the data folder alone, and serve, which holds the database, records its single use.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { track } from '../support/children.ts';
import { BIN, ROOT, council } from '../support/cli.ts';
import { redeem } from './support.ts';

/** A port the OS says is free now (serve's link must name it before serve starts). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('council web-login', () => {
  it('Given council serve running on the embedded database, When the operator asks for a link, Then it signs them in once, as cli:NAME', async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'warn',
      COUNCIL_HTTP_PORT: String(port),
      COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-web-login-')),
    };
    const serve = track(spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] }));
    let out = '';
    await new Promise<void>((ready, fail) => {
      serve.stdout.on('data', (d) => {
        out += d;
        if (out.includes('trading-council console')) ready();
      });
      serve.once('exit', (code) => fail(new Error(`serve exited early with ${code}`)));
    });
    try {
      const login = await council(['web-login', '--as', 'alice', '--json'], env);
      expect(login.code, login.stderr).toBe(0);
      const { url, principal } = JSON.parse(login.stdout) as { url: string; principal: string };
      expect(principal).toBe('cli:alice');
      expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/signin\\?token=v1\\.`));

      const first = await redeem(url);
      expect(first.status).toBe(303);
      const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
      const me = (await (await fetch(`http://127.0.0.1:${port}/api/session`, { headers: { cookie } })).json()) as { principal: string; approver: boolean };
      expect(me).toMatchObject({ principal: 'cli:alice', approver: true });
      expect((await redeem(url)).status).toBe(403);

      const bad = await council(['web-login', '--as', 'a b'], env);
      expect(bad.code).toBe(2);
    } finally {
      serve.stdin.end('quit\n');
      await once(serve, 'exit');
    }
  }, 60_000);
});
