/** `npm run discord:register` as a real process against the fake Discord REST API. */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeDiscord, startFakeDiscord } from '../../fakes/discord.ts';

const root = resolve(import.meta.dirname, '../../..');
let fake: FakeDiscord;

function register(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      join(root, 'node_modules/.bin/tsx'),
      ['src/bot/discord/register.ts'],
      { cwd: root, env: { PATH: process.env.PATH ?? '', COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-reg-')), ...env } },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  fake = await startFakeDiscord();
});
afterAll(async () => {
  await fake.close();
});

describe('Registering the /council command', () => {
  it('When DISCORD_GUILD_ID is set, Then /council with run, status, halt, resume and the desk’s subcommands is uploaded to that guild with the bot token', async () => {
    const out = await register({ DISCORD_TOKEN: fake.token, DISCORD_APPLICATION_ID: fake.applicationId, DISCORD_GUILD_ID: fake.guildId, DISCORD_API_URL: fake.apiUrl });

    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`registered /council in guild ${fake.guildId}`);
    const put = fake.requests.find((r) => r.method === 'PUT');
    expect(put?.path).toBe(`/applications/${fake.applicationId}/guilds/${fake.guildId}/commands`);
    expect(put?.authorization).toBe(`Bot ${fake.token}`);
    const [command] = put!.body as { name: string; options: { name: string; options?: { name: string }[] }[] }[];
    expect(command!.name).toBe('council');
    expect(command!.options.map((o) => o.name)).toEqual([
      'run',
      'status',
      'halt',
      'resume',
      'pause',
      'unpause',
      'positions',
      'profit',
      'history',
      'leaderboard',
      'cost',
      'exit',
      'web',
    ]);
    expect(command!.options[0]!.options!.map((o) => o.name)).toEqual(['query', 'week']);
  });

  it('When no guild is set, Then the command is registered globally', async () => {
    const out = await register({ DISCORD_TOKEN: fake.token, DISCORD_APPLICATION_ID: fake.applicationId, DISCORD_API_URL: `${fake.apiUrl}/v10/` });

    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('registered /council globally');
    expect(fake.requests.filter((r) => r.method === 'PUT').at(-1)?.path).toBe(`/applications/${fake.applicationId}/commands`);
  });

  it('When the application id is missing or the token is refused, Then it exits non-zero with the reason and never prints the token', async () => {
    const missing = await register({ DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('DISCORD_APPLICATION_ID');

    const refused = await register({ DISCORD_TOKEN: 'wrong.secret.token', DISCORD_APPLICATION_ID: fake.applicationId, DISCORD_API_URL: fake.apiUrl });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/401|Unauthorized/);
    expect(refused.stderr).not.toContain('wrong.secret.token');
  });

  it('When the API answers with an error that echoes the token it was sent, Then the message is printed without the token in any form', async () => {
    // A proxy in front of Discord that quotes the request's Authorization header back.
    const echo = createServer((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 0, message: `401: Unauthorized (you sent ${req.headers.authorization}, ${encodeURIComponent(req.headers.authorization ?? '')})` }));
    });
    await new Promise<void>((listening) => echo.listen(0, '127.0.0.1', listening));
    const token = 'MTIzNDU2Nzg5.echoed.d2hhdGV2ZXJzZWNyZXQ';
    try {
      const { port } = echo.address() as AddressInfo;
      const out = await register({ DISCORD_TOKEN: token, DISCORD_APPLICATION_ID: fake.applicationId, DISCORD_API_URL: `http://127.0.0.1:${port}` });
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(/401: Unauthorized \(you sent Bot \[redacted\]/);
      for (const form of [token, encodeURIComponent(token), Buffer.from(token).toString('base64')]) expect(out.stderr).not.toContain(form);
    } finally {
      await new Promise((closed) => echo.close(closed));
    }
  });
});
