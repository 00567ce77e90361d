/**
 * Fills within seconds (issue 17): six paper accounts on the fake Alpaca, the App listening to the trade
 * stream through the real SDK. Every opening order carries its stop (as the pipeline sends it once its
 * pitches carry stops; here a thin adapter adds one 5% away, so this test stands on the broker alone).
 * A stop the fake's price path triggers is recorded in its proposal's stream once, as a leg fill, and
 * replied in the thread, pushed: no checkpoint and no catch-up poll between (how soon, goal < 2 s, is
 * bench/push.ts's figure); a stop hit while the stream was down is found by the catch-up after the
 * reconnect, and seeing it again records nothing twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App, OrderUpdateWatch } from '../../src/app/index.ts';
import { renderNotice } from '../../src/bot/console/render.ts';
import { renderNotice as renderDiscord } from '../../src/bot/discord/render.ts';
import { renderNotice as renderSlack } from '../../src/bot/slack/render.ts';
import { createAlpacaBroker } from '../../src/brokers/alpaca.ts';
import type { StreamTimers } from '../../src/brokers/alpaca-stream.ts';
import type { BrokerAdapter } from '../../src/brokers/port.ts';
import { createBrokerRouter } from '../../src/brokers/router.ts';
import { buildApp, partsOf } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { ProposalOrder } from '../../src/domain/proposal.ts';
import { nyDateTime } from '../../src/market/time.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { proposalStream } from '../../src/pipeline/run.ts';
import { ACCOUNTS, alpacaEnv, keyOf, secretOf } from '../brokers/env.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';

let fake: FakeAlpaca;
let app: App;
let watch: OrderUpdateWatch;
let dir: string;
const now = nyDateTime('2024-03-04', '07:00');
const notices: { notice: Notice }[] = [];
const reconnects: (() => void)[] = [];
const timers: StreamTimers = { setTimeout: (run) => reconnects.push(run), clearTimeout: () => {} };
let bought: ProposalOrder[] = [];
let proposalId = '';

beforeAll(async () => {
  fake = await startFakeAlpaca();
  fake.clock.now = () => now;
  dir = mkdtempSync(join(tmpdir(), 'council-order-updates-'));
  const config = loadConfig(alpacaEnv(fake, dir, { fillMode: 'fill' }));
  const alpaca = createAlpacaBroker({
    accounts: Object.fromEntries(ACCOUNTS.map((a) => [a, { keyId: keyOf(a), secret: secretOf(a) }])),
    endpoints: { paper: true, apiUrl: fake.url, dataUrl: fake.url },
    tuning: { timeoutMs: 2_000, retry: { maxRetries: 1, retryDelayMs: 1 }, rateLimit: false },
    clock: () => now,
    stream: { initialDelayMs: 10, pingIntervalMs: 0, timers },
  });
  // Every opening order with a stop 5% away from the fake's price (100 unless set).
  const protecting: BrokerAdapter = Object.assign(Object.create(alpaca) as typeof alpaca, {
    submit: (order: Parameters<typeof alpaca.submit>[0]) => alpaca.submit({ ...order, protect: { stopPrice: order.side === 'buy' ? 95 : 105, takeProfitPrice: null } }),
  });
  const broker = createBrokerRouter({ accounts: Object.fromEntries(ACCOUNTS.map((a) => [a, protecting])) });
  app = await buildApp(config, { memory: true, logger: pino({ level: 'silent' }), clock: () => now, broker });
  app.addSink({ publish: async (notice) => void notices.push({ notice }) });
  watch = app.watchOrderUpdates();
  await vi.waitFor(() => expect(fake.streams()).toBe(ACCOUNTS.length), { timeout: 10_000 });
  await watch.idle();
  const state = await app.run({ week: '2024-03-04' });
  proposalId = state.proposal?.proposalId ?? '';
  await app.approve({ proposalId, by: 'cli:alice', via: 'cli' });
  await watch.idle();
  bought = (await app.proposal(proposalId)).orders.filter((o) => o.side === 'buy');
}, 60_000);

afterAll(async () => {
  watch?.stop();
  await app?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

const legFills = async (clientOrderId: string) =>
  (await partsOf(app).store.read(proposalStream(proposalId))).filter(
    (e) => e.type === 'OrderFilled' && (e.data as { clientOrderId: string }).clientOrderId === `${clientOrderId}-sl`,
  );
const updatesFor = (clientOrderId: string) => notices.filter(({ notice: n }) => n.type === 'order_update' && n.clientOrderId === `${clientOrderId}-sl`);

describe('order updates from the Alpaca trade stream', () => {
  it('When an opening order goes out, Then it reaches Alpaca with its stop', () => {
    expect(bought.length).toBeGreaterThan(0);
    const opening = fake.posts().map((r) => r.body ?? {});
    expect(opening.length).toBeGreaterThan(0);
    for (const body of opening) expect(body).toMatchObject({ order_class: 'oto', stop_loss: { stop_price: body.side === 'buy' ? '95' : '105' } });
  });

  it('When the price path triggers a stop, Then the leg fill is recorded once in its proposal and replied in the thread, pushed: no checkpoint or poll between', {
    timeout: 20_000,
  }, async () => {
    const order = bought[0]!;
    const checkpoints = await partsOf(app).store.streams('checkpoint:');
    const heard = notices.length;
    const streamed = fake.streamed.length;
    fake.setPrice(order.symbol, 90.5);
    // The fake pushes the stop's fill on the account's stream as the price crosses it.
    expect(fake.streamed.slice(streamed)).toContainEqual(expect.objectContaining({ keyId: keyOf(order.account), event: 'fill' }));
    // The wait only bounds a test whose reply never comes; how soon it comes is bench/push.ts's figure
    // (goal < 2 s, issue 17), never asserted on the clock here.
    await vi.waitFor(() => expect(updatesFor(order.clientOrderId)).toHaveLength(1), { timeout: 10_000 });
    // Pushed, not polled: every stream stayed open (no reconnect waits, so no catch-up polled), no
    // checkpoint recorded anything, and the thread heard nothing but order updates meanwhile.
    expect([reconnects.length, fake.streams()]).toEqual([0, ACCOUNTS.length]);
    expect(await partsOf(app).store.streams('checkpoint:')).toEqual(checkpoints);
    expect(new Set(notices.slice(heard).map(({ notice: n }) => n.type))).toEqual(new Set(['order_update']));
    const reply = updatesFor(order.clientOrderId)[0]!;
    expect(reply.notice).toMatchObject({ type: 'order_update', week: '2024-03-04', account: order.account, leg: 'stop', side: 'sell', qty: order.qty, price: 90.5 });
    expect(JSON.stringify(renderSlack(reply.notice))).toContain(`stop hit, SOLD ${order.qty} ${order.symbol} at 90.50`);
    expect(renderDiscord(reply.notice).thread).toEqual([
      expect.objectContaining({ body: expect.objectContaining({ content: expect.stringContaining(`${order.account}: stop hit, SOLD ${order.qty} ${order.symbol} at 90.50`) }) }),
    ]);
    expect(renderNotice(reply.notice)).toContain(
      `${order.account}: stop hit, SOLD ${order.qty} ${order.symbol} at 90.50 (-$${(9.5 * order.qty).toLocaleString('en-US', { minimumFractionDigits: 2 })})`,
    );
    await watch.idle();
    // Every account's stop on that symbol was hit: each recorded and replied once.
    for (const o of bought.filter((b) => b.symbol === order.symbol)) expect([(await legFills(o.clientOrderId)).length, updatesFor(o.clientOrderId).length]).toEqual([1, 1]);
    expect(await legFills(order.clientOrderId)).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ account: order.account, side: 'sell', qty: order.qty, price: 90.5, leg: 'stop' }) }),
    ]);
  });

  it('When the stream drops and a stop is hit meanwhile, Then the reconnect catches the account up by polling: recorded once, announced, and nothing twice', {
    timeout: 20_000,
  }, async () => {
    const order = bought.find((o) => o.symbol !== bought[0]!.symbol) ?? bought[0]!;
    const already = (await legFills(order.clientOrderId)).length;
    fake.dropStreams(keyOf(order.account));
    await vi.waitFor(() => expect(reconnects).toHaveLength(1));
    const streamedBefore = fake.streamed.filter((s) => s.keyId === keyOf(order.account)).length;
    fake.setPrice(order.symbol, 80);
    // Nobody listened: the fill went nowhere.
    expect(fake.streamed.filter((s) => s.keyId === keyOf(order.account))).toHaveLength(streamedBefore);
    reconnects.shift()?.();
    await vi.waitFor(async () => expect(await legFills(order.clientOrderId)).toHaveLength(1), { timeout: 10_000 });
    expect(already).toBe(order.symbol === bought[0]!.symbol ? 1 : 0);
    // Seen again (another gap): nothing more is recorded.
    fake.dropStreams(keyOf(order.account));
    await vi.waitFor(() => expect(reconnects).toHaveLength(1));
    reconnects.shift()?.();
    await vi.waitFor(() => expect(fake.streams(keyOf(order.account))).toBe(1), { timeout: 10_000 });
    await watch.idle();
    expect(await legFills(order.clientOrderId)).toHaveLength(1);
    expect(updatesFor(order.clientOrderId)).toHaveLength(1);
    expect(updatesFor(order.clientOrderId)[0]?.notice).toMatchObject({ leg: 'stop', qty: order.qty, price: 80 });
    // The records and the broker agree after each catch-up: the legs' fills closed the positions.
    expect(notices.filter(({ notice: n }) => n.type === 'reconciliation_report')).toEqual([]);
  });

  it('When the broker holds what the records do not after a gap, Then the catch-up reconciles the account and reports it', { timeout: 20_000 }, async () => {
    fake.dropStreams(keyOf('DEEPSEEK'));
    await vi.waitFor(() => expect(reconnects).toHaveLength(1));
    fake.accounts.get(keyOf('DEEPSEEK'))!.positions.set('TLT', { qty: 7, avg: 90 });
    reconnects.shift()?.();
    await vi.waitFor(() => expect(notices.filter(({ notice: n }) => n.type === 'reconciliation_report')).toHaveLength(1), { timeout: 10_000 });
    expect(notices.find(({ notice: n }) => n.type === 'reconciliation_report')?.notice).toMatchObject({
      accounts: [{ account: 'DEEPSEEK', positions: [{ symbol: 'TLT', broker: 7, recorded: 0 }] }],
    });
  });
});
