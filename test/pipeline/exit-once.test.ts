/**
 * An exit already ordered is not executed again (issue 21): a checkpoint that meets an exit whose order
 * is still working at the broker (a checkpoint instant run again after a restart, a second replica) or
 * was netted into a later proposal's order records its judgement and shows the exit as placed, but sends,
 * settles and reports nothing again. On the simulated broker and on Alpaca (the loopback fake).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { runBacktest } from '../../src/backtest/engine.ts';
import { buildApp, compose, partsOf } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/config.ts';
import { EXIT_PREFIX } from '../../src/domain/sizing.ts';
import { createLogger } from '../../src/logger.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { checkpointStream } from '../../src/pipeline/checkpoint.ts';
import { loadProposal } from '../../src/pipeline/execution.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { alpacaEnv, keyOf } from '../brokers/env.ts';
import { BARS_DIR } from '../market/raw.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';
import { testApp } from '../support/app.ts';

interface Desk {
  app: App;
  notices: Notice[];
  /** Fills the entry orders: the simulated broker does at Monday's open by itself, the fake when told. */
  fillEntries(orders: readonly { account: string; clientOrderId: string; qty: number }[]): void;
  /** Orders the broker has been sent so far. */
  sent(): Promise<number>;
  close(): Promise<void>;
}

let now = nyDateTime('2024-03-04', '07:00');

async function simulatedDesk(): Promise<Desk> {
  const { app, notices } = await testApp({}, { clock: () => now });
  return {
    app,
    notices,
    fillEntries: () => {},
    sent: async () => (await partsOf(app).store.readAll({ streamPrefix: 'sim:', types: ['SimOrderAccepted'] })).length,
    close: () => app.close(),
  };
}

async function alpacaDesk(): Promise<Desk> {
  const fake: FakeAlpaca = await startFakeAlpaca();
  fake.clock.now = () => now;
  const dir = mkdtempSync(join(tmpdir(), 'council-exit-once-'));
  const app = await buildApp(loadConfig(alpacaEnv(fake, dir)), {
    memory: true,
    logger: pino({ level: 'silent' }),
    clock: () => now,
    alpaca: { timeoutMs: 1_000, retry: { maxRetries: 1, retryDelayMs: 1 }, rateLimit: false },
  });
  const notices: Notice[] = [];
  app.addSink({ publish: async (n) => void notices.push(n) });
  return {
    app,
    notices,
    fillEntries: (orders) => {
      for (const o of orders) fake.fill(keyOf(o.account), o.clientOrderId, o.qty);
    },
    sent: async () => fake.log.filter((r) => r.method === 'POST' && r.path === '/v2/orders' && r.phase === 'received').length,
    close: async () => {
      await app.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const reportsOf = (notices: readonly Notice[], ids: ReadonlySet<string>) => notices.filter((n) => n.type === 'execution_report' && ids.has(n.proposalId));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe.each([
  { broker: 'the simulated broker', open: simulatedDesk },
  { broker: 'Alpaca', open: alpacaDesk },
])('On $broker: an exit is ordered once', ({ open }) => {
  it("Given Friday's last checkpoint ordered horizon exits that work until Monday's open, When that checkpoint runs again (a restart), Then the exits show as placed and nothing is sent, settled or reported again", async () => {
    now = nyDateTime('2024-03-04', '07:00');
    const desk = await open();
    cleanups.push(desk.close);
    const { app, notices } = desk;
    const week = await app.run({ week: '2024-03-04' });
    await app.approve({ proposalId: week.proposal!.proposalId, by: 'cli:alice', via: 'cli' });
    desk.fillEntries(week.proposal!.orders);
    await app.refreshFills(week.proposal!.proposalId);

    now = nyDateTime('2024-03-08', '15:50');
    const friday = await app.scheduledCheckpoint(now);
    const exits = friday.exits.filter((e) => e.reason === 'horizon' && e.status === 'placed');
    expect(exits.length).toBeGreaterThan(0);
    const ids = new Set(exits.map((e) => e.proposalId));
    expect(reportsOf(notices, ids)).toHaveLength(exits.length);
    const sent = await desk.sent();
    const recorded = (await partsOf(app).store.read(checkpointStream('main', '2024-03-04'))).length;

    const again = await app.scheduledCheckpoint(now);
    expect(again.fresh).toBe(false);
    expect(again.exits.map((e) => [e.proposalId, e.status, e.orders.map((o) => o.status)])).toEqual(exits.map((e) => [e.proposalId, 'placed', e.orders.map(() => 'submitted')]));
    expect(reportsOf(notices, ids)).toHaveLength(exits.length);
    expect(await desk.sent()).toBe(sent);
    expect((await partsOf(app).store.read(checkpointStream('main', '2024-03-04'))).length).toBe(recorded);
    for (const id of ids) expect((await loadProposal(partsOf(app).store, id)).status).toBe('EXECUTED');
  });
});

describe('In a backtest: exits netted into the next proposal', () => {
  it('When later checkpoints judge a position whose exit was netted into a rebalance due again, Then that exit is shown but never executed or reported again: one execution report per exit', async () => {
    const notices: Notice[] = [];
    const config = loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'bt-exit-once-')) });
    const withSink: typeof compose = async (...args) => {
      const app = await compose(...args);
      app.addSink({ publish: async (n) => void notices.push(n) });
      return app;
    };
    const result = await runBacktest(
      { compose: withSink, config, market: createCsvMarketData(BARS_DIR), logger: createLogger('silent') },
      { from: '2015-01-05', to: '2015-03-27' },
    );
    expect(result.netted.canceledOut + result.netted.folded).toBeGreaterThan(0);

    const reports = new Map<string, number>();
    for (const n of notices) if (n.type === 'execution_report' && n.proposalId.startsWith(EXIT_PREFIX)) reports.set(n.proposalId, (reports.get(n.proposalId) ?? 0) + 1);
    const judgedAgain = notices.flatMap((n) => (n.type === 'checkpoint_report' ? n.positions.filter((p) => p.exit) : []));
    const ordered = Object.values(result.exits).reduce((s, n) => s + (n ?? 0), 0);
    // More exits judged due than ordered: the netted positions, held on by the rebalance, come up again.
    expect(judgedAgain.length).toBeGreaterThan(ordered);
    expect(reports.size).toBe(ordered);
    expect([...reports].filter(([, count]) => count > 1)).toEqual([]);
  }, 120_000);
});
