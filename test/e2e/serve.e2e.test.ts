/**
 * `council serve` as a supervisor runs it: no terminal, nothing on stdin, no chat platform. It keeps
 * running, answers /healthz, /readyz and /metrics on the operations listener, and a SIGTERM during an
 * execution lets the execution finish (each order placed and recorded once) before it exits 0, whether
 * the execution was resumed at start or approved on the dashboard, which shares the listener.
 * On PGlite, and on PostgreSQL 15 (a schema of its own) when TEST_DATABASE_URL is set.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledBarsDir } from '../../src/market/csv.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';
import { startFakeDiscord } from '../fakes/discord.ts';
import { startFakeSlack } from '../fakes/slack.ts';
import { scenarioDatabase } from '../faults/support/database.ts';
import { track } from '../support/children.ts';
import { BIN, council, ROOT } from '../support/cli.ts';
import { redeem } from '../web/support.ts';

let fake: FakeAlpaca;

beforeAll(async () => {
  fake = await startFakeAlpaca();
});

afterAll(async () => {
  await fake?.close();
});

interface Served {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  /** Resolves when stderr has printed a line matching `pattern`. */
  logged(pattern: RegExp): Promise<void>;
  exit: Promise<[number | null, NodeJS.Signals | null]>;
}

async function startServe(env: Record<string, string>, nodeArgs: string[] = []): Promise<Served> {
  const child = track(
    spawn(process.execPath, [...nodeArgs, BIN, 'serve'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', COUNCIL_HTTP_PORT: '0', ...env },
      // No terminal and nothing to read: /dev/null, as systemd and containers give.
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stderr!.on('data', (d) => {
    err += d;
    for (const w of [...waiters]) if (w.pattern.test(err)) waiters.splice(waiters.indexOf(w), 1) && w.resolve();
  });
  const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const logged = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(err)) return resolve();
      waiters.push({ pattern, resolve });
      void exit.then(([code]) => reject(new Error(`serve exited with ${code} before ${pattern}:\n${err}`)));
    });
  await logged(/operations listener on http:\/\/127\.0\.0\.1:\d+/);
  const url = /operations listener on (http:\/\/127\.0\.0\.1:\d+)/.exec(err)![1]!;
  return { child, url, stderr: () => err, logged, exit };
}

const get = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
};

/**
 * /readyz once it answers `status`, asked again every 20 ms until then (the test cannot be told when a
 * chat client has acted); after `guardMs`, whatever it answers last, so a wrong answer fails plainly.
 */
async function readyzOnce(base: string, status: number, guardMs = 15_000): Promise<{ status: number; failing: string[] }> {
  const until = Date.now() + guardMs;
  for (;;) {
    const r = await get(`${base}/readyz`);
    if (r.status === status || Date.now() > until) return { status: r.status, failing: (JSON.parse(r.text) as { failing: string[] }).failing };
    await new Promise((done) => setTimeout(done, 20));
  }
}

/** Waits for a condition the test cannot be told about (a request reaching the fake), checking every 20 ms. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 20));
}

/**
 * A scenario's database with the week of 2024-03-04 planned (not approved), the COUNCIL account on the
 * fake Alpaca under `keyId`/`secret` and the others simulated; its proposal and COUNCIL's order.
 */
async function plannedWithCouncilOnAlpaca(name: string, keyId: string, secret: string) {
  const database = await scenarioDatabase(name);
  fake.addAccount(keyId, secret);
  const env = {
    ...database.env,
    MARKET_DATA_DIR: bundledBarsDir(),
    ALPACA_API_URL: fake.url,
    ALPACA_DATA_URL: fake.url,
    ALPACA_COUNCIL_KEY_ID: keyId,
    ALPACA_COUNCIL_SECRET: secret,
  };
  const run = await council(['run', '--week', '2024-03-04', '--json'], env);
  expect(run.code, run.stderr).toBe(0);
  const proposal = (JSON.parse(run.stdout) as { proposal: { id: string; orders: { account: string; clientOrderId: string }[] } }).proposal;
  const councilOrder = proposal.orders.find((o) => o.account === 'COUNCIL')!;
  expect(councilOrder).toBeDefined();
  return { database, env, proposal, councilOrder };
}

describe('council serve, headless', () => {
  it('Given a broken required part (the LLM router unreachable), When serve starts, Then it refuses with the failing line and what to fix, exit 5, before taking any work', async () => {
    const database = await scenarioDatabase('serve-refuses');
    try {
      const result = await council(['serve'], { ...database.env, LLM_API_KEY: 'sk-serve-refuses-key', LLM_BASE_URL: 'http://127.0.0.1:1/v1' });
      expect(result.code, result.stderr).toBe(5);
      expect(result.stderr).toMatch(/serve refuses to start; fix the failing part\(s\):\nFAIL {2}llm router +GET http:\/\/127\.0\.0\.1:1\/v1\/models/);
      expect(result.stderr).toContain('fix: check LLM_BASE_URL');
      expect(result.stderr).not.toContain('sk-serve-refuses-key');
      expect(result.stdout).not.toContain('trading-council console');
    } finally {
      await database.dispose();
    }
  }, 120_000);

  it('Given --json, When serve refuses to start (a broken part, or its port taken), Then stdout holds the error document with the reason, and the exit code is 5', async () => {
    const database = await scenarioDatabase('serve-refuses-json');
    try {
      const broken = await council(['serve', '--json'], { ...database.env, LLM_API_KEY: 'sk-serve-json-key', LLM_BASE_URL: 'http://127.0.0.1:1/v1' });
      expect(broken.code, broken.stderr).toBe(5);
      const error = (JSON.parse(broken.stdout) as { error: { code: string; message: string; errorId: string } }).error;
      expect(error).toEqual({
        code: 'PREFLIGHT',
        message: expect.stringContaining('llm router: GET http://127.0.0.1:1/v1/models'),
        errorId: expect.stringMatching(/^[0-9a-f]{8}$/),
      });
      expect(error.message).toContain('fix: check LLM_BASE_URL');
      expect(broken.stdout).not.toContain('sk-serve-json-key');

      const taken = createServer();
      await new Promise<void>((listening) => taken.listen(0, '127.0.0.1', listening));
      try {
        const port = String((taken.address() as AddressInfo).port);
        const busy = await council(['serve', '--json'], { ...database.env, COUNCIL_HTTP_PORT: port });
        expect(busy.code, busy.stderr).toBe(5);
        expect(JSON.parse(busy.stdout)).toEqual({
          error: { code: 'LISTEN', message: expect.stringContaining(`cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`), errorId: expect.stringMatching(/^[0-9a-f]{8}$/) },
        });
      } finally {
        await new Promise((closed) => taken.close(closed));
      }
    } finally {
      await database.dispose();
    }
  }, 120_000);

  it('Given no chat platform and nothing on stdin, When serve starts, Then it keeps running, is healthy and ready, is scraped, and a SIGTERM stops it with exit 0', async () => {
    const database = await scenarioDatabase('serve-idle');
    const served = await startServe(database.env);
    try {
      await served.logged(/headless: no chat platform/);
      const health = await get(`${served.url}/healthz`);
      expect(health.status).toBe(200);
      const ready = await get(`${served.url}/readyz`);
      expect(ready.status, ready.text).toBe(200);
      expect(JSON.parse(ready.text)).toMatchObject({ ready: true, failing: [] });
      const metrics = await get(`${served.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
      for (const name of [
        'council_runs_total',
        'council_stage_duration_seconds',
        'council_llm_calls_total',
        'council_llm_tokens_total',
        'council_llm_cost_usd_total',
        'council_orders_total',
        'council_approvals_total',
        'council_refusals_total',
        'council_scheduler_slots_total',
        'council_event_store_append_seconds',
        'process_resident_memory_bytes',
      ])
        expect(metrics.text).toContain(`# TYPE ${name}`);
      expect((await get(`${served.url}/nowhere`)).status).toBe(404);
      expect(served.child.exitCode).toBeNull();
    } finally {
      served.child.kill('SIGTERM');
    }
    const [code] = await served.exit;
    expect(code, served.stderr()).toBe(0);
    await database.dispose();
  }, 120_000);

  it('Given an approved proposal whose orders were never sent, When serve resumes it and a SIGTERM arrives while Alpaca holds the order, Then not ready meanwhile, the execution finishes, every order is placed and recorded once, and serve exits 0', async () => {
    // One account on the fake Alpaca, the others simulated: partial broker configuration, said at start.
    const { database, env, proposal, councilOrder } = await plannedWithCouncilOnAlpaca('serve-inflight', 'PKCOUNCIL', 'secret-council-do-not-log');

    // The approving process died right after recording the approval: nothing was sent.
    const db = await database.open();
    try {
      const store = createEventStore(db);
      const version = (await store.read(`proposal:${proposal.id}`)).length;
      await store.append(`proposal:${proposal.id}`, version, [
        { type: 'ProposalApproved', data: { by: 'cli:test', at: '2024-03-04T13:01:00.000Z', via: 'cli' } },
        { type: 'ExecutionAttempted', data: { attempt: 1, at: '2024-03-04T13:01:00.000Z' } },
      ]);
    } finally {
      await db.close();
    }

    fake.orderBarrier = 1_000; // Alpaca holds the order's answer
    const served = await startServe(env);
    await until(() => fake.posts().some((p) => p.body?.client_order_id === councilOrder.clientOrderId));
    expect(served.stderr()).toMatch(/brokers: Alpaca \(paper\): COUNCIL; simulated broker: CHATGPT, GEMINI, CLAUDE, GROQ, DEEPSEEK/);

    expect((await get(`${served.url}/healthz`)).status).toBe(200);
    const notReady = await get(`${served.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.text).failing).toEqual(['process: starting: 1 execution(s) resuming']);
    expect((await get(`${served.url}/metrics`)).text).toMatch(/council_event_store_append_seconds_count\{result="ok"\} [1-9]/);

    served.child.kill('SIGTERM');
    await served.logged(/SIGTERM: stopping; waiting up to 30 s for 1 piece/);
    fake.releaseOrders();
    const [code] = await served.exit;
    expect(code, served.stderr()).toBe(0);

    expect(fake.posts().filter((p) => p.body?.client_order_id === councilOrder.clientOrderId)).toHaveLength(1);
    const after = await database.open();
    try {
      const events = await createEventStore(after).read(`proposal:${proposal.id}`);
      const submitted = events.filter((e) => e.type === 'OrderSubmitted').map((e) => (e.data as { clientOrderId: string }).clientOrderId);
      expect(submitted.sort()).toEqual(proposal.orders.map((o) => o.clientOrderId).sort());
      expect(events.filter((e) => e.type === 'ExecutionCompleted')).toHaveLength(1);
    } finally {
      await after.close();
      await database.dispose();
    }
    expect(served.stderr()).not.toContain('secret-council-do-not-log');
  }, 240_000);
  it('Given an approval from the dashboard waiting on Alpaca, When a SIGTERM arrives, Then the stop waits for it, refuses a new change with 503, the approval answers with its orders, each placed and recorded once, and serve exits 0', async () => {
    const { database, env, proposal, councilOrder } = await plannedWithCouncilOnAlpaca('serve-web-inflight', 'PKWEBSTOP', 'secret-web-stop-do-not-log');

    const served = await startServe(env);
    let settled = false;
    let signalled = false;
    try {
      await served.logged(/headless: no chat platform/);
      // The operator signs in as `council web-login` hands out (the link names the port asked for, 0 here).
      const login = await council(['web-login', '--as', 'ops', '--json'], env);
      expect(login.code, login.stderr).toBe(0);
      const link = new URL((JSON.parse(login.stdout) as { url: string }).url);
      const signedIn = await redeem(`${served.url}${link.pathname}${link.search}`);
      expect(signedIn.status).toBe(303);
      const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0]!;
      const { csrf } = (await (await fetch(`${served.url}/api/session`, { headers: { cookie } })).json()) as { csrf: string };
      const post = (path: string) => fetch(`${served.url}${path}`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: '{}' });

      fake.orderBarrier = 1_000; // Alpaca holds the order's answer
      const approving = post(`/api/proposals/${proposal.id}/approve`).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { status: string; orders: { account: string }[] },
      }));
      const done = () => {
        settled = true;
      };
      approving.then(done, done);
      await until(() => fake.posts().some((p) => p.body?.client_order_id === councilOrder.clientOrderId));

      served.child.kill('SIGTERM');
      signalled = true;
      await served.logged(/SIGTERM: stopping; waiting up to 30 s for \d+ piece/);
      expect(served.stderr()).toMatch(/SIGTERM: stopping; waiting up to 30 s for 1 piece/);
      const refused = await post(`/api/proposals/${proposal.id}/reject`);
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('STOPPING');
      const notReady = await get(`${served.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(JSON.parse(notReady.text).failing).toContain('process: stopping');
      expect(settled).toBe(false);

      fake.releaseOrders();
      const approved = await approving;
      expect(approved.status).toBe(200);
      expect(approved.body.status).toBe('EXECUTED');
      expect(approved.body.orders.map((o) => o.account).sort()).toEqual(proposal.orders.map((o) => o.account).sort());
    } finally {
      fake.releaseOrders();
      // One signal only: a second one while serve closes would end it at once.
      if (!signalled) served.child.kill('SIGTERM');
    }
    const [code] = await served.exit;
    expect(code, served.stderr()).toBe(0);

    expect(fake.posts().filter((p) => p.body?.client_order_id === councilOrder.clientOrderId)).toHaveLength(1);
    const after = await database.open();
    try {
      const events = await createEventStore(after).read(`proposal:${proposal.id}`);
      const submitted = events.filter((e) => e.type === 'OrderSubmitted').map((e) => (e.data as { clientOrderId: string }).clientOrderId);
      expect(submitted.sort()).toEqual(proposal.orders.map((o) => o.clientOrderId).sort());
      expect(events.filter((e) => e.type === 'ProposalApproved')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'ProposalRejected')).toHaveLength(0);
      expect(events.filter((e) => e.type === 'ExecutionCompleted')).toHaveLength(1);
    } finally {
      await after.close();
      await database.dispose();
    }
    expect(served.stderr()).not.toContain('secret-web-stop-do-not-log');
  }, 240_000);
  it('Given Discord configured, When its gateway connection drops and stays down, Then /readyz answers 503 naming Discord until discord.js has resumed, then 200 again', async () => {
    const database = await scenarioDatabase('serve-chat-ready');
    const discord = await startFakeDiscord();
    const env = {
      ...database.env,
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_CHANNEL_ID: discord.channelId,
      DISCORD_API_URL: discord.apiUrl,
    };
    const served = await startServe(env);
    try {
      await served.logged(/discord: connected/);
      expect(await readyzOnce(served.url, 200)).toEqual({ status: 200, failing: [] });

      discord.holdHello = true;
      discord.dropConnection();
      await discord.waitFor('the client to reconnect', () => discord.gateway.connections >= 2);
      const down = await get(`${served.url}/readyz`);
      expect(down.status, down.text).toBe(503);
      expect(JSON.parse(down.text).failing).toEqual(['discord: connection lost; reconnecting']);
      expect((await get(`${served.url}/healthz`)).status).toBe(200);

      discord.releaseHello();
      await discord.waitFor('the session to resume', () => discord.gateway.resumes >= 1 || discord.gateway.identifies >= 2);
      expect(await readyzOnce(served.url, 200)).toEqual({ status: 200, failing: [] });
    } finally {
      discord.releaseHello();
      served.child.kill('SIGTERM');
    }
    const [code] = await served.exit;
    expect(code, served.stderr()).toBe(0);
    await discord.close();
    await database.dispose();
  }, 120_000);
  it('Given serve running headless, When an uncaught exception reaches the process, Then it is logged at fatal with an error id and serve ends with exit 70', async () => {
    const database = await scenarioDatabase('serve-fatal');
    // Loaded before the command, as a bug would: SIGUSR2 throws from a timer, outside any handler.
    const bug = `data:text/javascript,${encodeURIComponent("process.on('SIGUSR2', () => setImmediate(() => { throw new Error('an injected bug'); }));")}`;
    const served = await startServe(database.env, ['--import', bug]);
    try {
      await served.logged(/headless: no chat platform/);
      served.child.kill('SIGUSR2');
      const [code] = await served.exit;
      expect(code, served.stderr()).toBe(70);
      const fatal = served
        .stderr()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; errorId?: string; msg: string; err?: { message: string } })
        .find((line) => line.level === 60);
      expect(fatal?.msg).toMatch(/^uncaught exception: stopping \(error id [0-9a-f]{8}\)$/);
      expect(fatal?.msg).toContain(fatal?.errorId);
      expect(fatal?.err?.message).toBe('an injected bug');
      // The database was closed on the way out: the next command opens it at once (no lock left behind).
      const next = await council(['status', '--json'], database.env);
      expect(next.code, next.stderr).toBe(0);
    } finally {
      served.child.kill('SIGKILL');
      await database.dispose();
    }
  }, 120_000);
  it('Given Slack in Socket Mode, When its socket drops and no hello comes yet, Then /readyz answers 503 naming Slack until Slack says hello again, then 200', async () => {
    const database = await scenarioDatabase('serve-slack-ready');
    const slack = await startFakeSlack({ token: 'xoxb-serve-ready', appToken: 'xapp-serve-ready' });
    const env = { ...database.env, SLACK_BOT_TOKEN: 'xoxb-serve-ready', SLACK_APP_TOKEN: 'xapp-serve-ready', SLACK_API_URL: slack.apiUrl, SLACK_CHANNEL_ID: 'C1' };
    const served = await startServe(env);
    try {
      await served.logged(/slack: listening/);
      expect(await readyzOnce(served.url, 200)).toEqual({ status: 200, failing: [] });

      slack.dropSocket({ holdHello: true });
      // The Socket Mode client waits its ping timeout before it reconnects; the socket is down meanwhile and after.
      expect(await readyzOnce(served.url, 503)).toEqual({ status: 503, failing: ['slack: connection lost; reconnecting'] });
      await slack.waitFor(() => slack.socketConnections >= 2 || undefined, 'the client to reconnect');
      const held = await get(`${served.url}/readyz`);
      expect(held.status, held.text).toBe(503);
      expect((await get(`${served.url}/healthz`)).status).toBe(200);

      slack.releaseHello();
      expect(await readyzOnce(served.url, 200)).toEqual({ status: 200, failing: [] });
    } finally {
      slack.releaseHello();
      served.child.kill('SIGTERM');
    }
    const [code] = await served.exit;
    expect(code, served.stderr()).toBe(0);
    await slack.close();
    await database.dispose();
  }, 120_000);
});
