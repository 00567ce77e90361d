/**
 * Alpaca's trade stream through the SDK's websocket client against the fake (issue 17): each account
 * authenticates and listens on its own connection; an entry's fill and a stop the price path triggers
 * arrive as OrderUpdates (a leg's as its parent with the legs); a dropped connection is opened again
 * after the backoff, on injected timers, and every time it listens again the account has a gap.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AlpacaBroker, createAlpacaBroker } from '../../src/brokers/alpaca.ts';
import { backoffMs, type StreamTimers } from '../../src/brokers/alpaca-stream.ts';
import type { OrderUpdate } from '../../src/brokers/port.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';
import { keyOf, secretOf } from './env.ts';

let fake: FakeAlpaca;
let broker: AlpacaBroker;
let stop: (() => void) | undefined;
const at = new Date('2024-04-22T14:00:00Z');
const updates: OrderUpdate[] = [];
const gaps: string[] = [];
/** Reconnects wait here until the test runs them. */
const waiting: { run: () => void; ms: number }[] = [];
const timers: StreamTimers = {
  setTimeout: (run, ms) => {
    const timer = { run, ms };
    waiting.push(timer);
    return timer;
  },
  clearTimeout: (handle) => {
    const i = waiting.indexOf(handle as (typeof waiting)[number]);
    if (i >= 0) waiting.splice(i, 1);
  },
};

beforeEach(async () => {
  updates.length = 0;
  gaps.length = 0;
  waiting.length = 0;
  fake = await startFakeAlpaca();
  for (const account of ['COUNCIL', 'GEMINI']) fake.addAccount(keyOf(account), secretOf(account), { fillMode: 'fill' });
  fake.prices.set('IWM', 150);
  broker = createAlpacaBroker({
    accounts: Object.fromEntries(['COUNCIL', 'GEMINI'].map((a) => [a, { keyId: keyOf(a), secret: secretOf(a) }])),
    endpoints: { paper: true, apiUrl: fake.url, dataUrl: fake.url },
    tuning: { timeoutMs: 1_000, retry: false, rateLimit: false },
    stream: { initialDelayMs: 250, maxDelayMs: 4_000, pingIntervalMs: 0, timers },
  });
  stop = broker.watch({ onUpdate: (u) => void updates.push(u), onGap: (a) => void gaps.push(a) });
  await vi.waitFor(() => expect([...gaps].sort()).toEqual(['COUNCIL', 'GEMINI']), { timeout: 5_000 });
});

afterEach(async () => {
  stop?.();
  broker.close();
  await fake.close();
});

describe('the Alpaca trade stream', () => {
  it('When the price path crosses a resting stop, Then its fill is pushed on the stream, nothing polled, as the parent with its filled leg, on that account only', async () => {
    const entry = await broker.submit({
      account: 'COUNCIL',
      clientOrderId: 'tc-p1-council-iwm',
      symbol: 'IWM',
      side: 'buy',
      qty: 139,
      at,
      protect: { stopPrice: 141, takeProfitPrice: null },
    });
    await vi.waitFor(() => expect(updates).toContainEqual(expect.objectContaining({ account: 'COUNCIL', event: 'fill', leg: null })), { timeout: 5_000 });
    expect(updates.find((u) => u.event === 'fill')?.order).toMatchObject({ clientOrderId: entry.clientOrderId, filledQty: 139, legs: [expect.objectContaining({ kind: 'stop' })] });
    const requests = fake.log.length;
    const streamed = fake.streamed.length;
    fake.setPrice('IWM', 140.1);
    // The fake pushes the leg's fill on COUNCIL's stream as the price crosses it.
    expect(fake.streamed.slice(streamed)).toEqual([expect.objectContaining({ keyId: keyOf('COUNCIL'), event: 'fill' })]);
    // The wait only bounds a test whose update never comes; how soon it comes is bench/push.ts's figure
    // (goal < 2 s, issue 17), never asserted on the clock here.
    await vi.waitFor(() => expect(updates.some((u) => u.leg === 'stop' && u.event === 'fill')).toBe(true), { timeout: 5_000 });
    // Pushed, not polled: no reconnect (whose catch-up would poll) is waiting, and the only requests since
    // the price move are the broker reading the order that frame named (its parent among IWM's orders,
    // then the parent), on that account.
    expect(waiting).toEqual([]);
    const parentId = fake.accounts.get(keyOf('COUNCIL'))?.orders[0]?.id;
    const asked = fake.log.slice(requests).filter((r) => r.phase === 'received');
    expect(new Set(asked.map((r) => `${r.keyId} ${r.method} ${r.path}`))).toEqual(
      new Set([`${keyOf('COUNCIL')} GET /v2/orders`, `${keyOf('COUNCIL')} GET /v2/orders/${parentId}`]),
    );
    const stopped = updates.find((u) => u.leg === 'stop' && u.event === 'fill');
    expect(stopped).toMatchObject({ account: 'COUNCIL', order: { clientOrderId: entry.clientOrderId, side: 'buy', status: 'filled' } });
    expect(stopped?.order.legs).toEqual([expect.objectContaining({ kind: 'stop', status: 'filled', filledQty: 139, avgFillPrice: 140.1 })]);
    expect(updates.every((u) => u.account === 'COUNCIL')).toBe(true);
  });

  it('When a stop that replaced the legs after a resize is hit, Then its update is answered as the resize order with the filled stop', async () => {
    await broker.submit({ account: 'COUNCIL', clientOrderId: 'tc-p1-council-iwm', symbol: 'IWM', side: 'buy', qty: 10, at, protect: { stopPrice: 141, takeProfitPrice: null } });
    const resize = await broker.submit({ account: 'COUNCIL', clientOrderId: 'tc-p2-council-iwm', symbol: 'IWM', side: 'buy', qty: 5, at });
    await broker.replaceLegs({ account: 'COUNCIL', symbol: 'IWM', qty: 15, legs: { stopPrice: 144, takeProfitPrice: 170 }, clientOrderId: resize.clientOrderId, at });
    fake.setPrice('IWM', 143.5);
    await vi.waitFor(() => expect(updates.some((u) => u.leg === 'stop' && u.event === 'fill')).toBe(true), { timeout: 5_000 });
    const stopped = updates.find((u) => u.leg === 'stop' && u.event === 'fill');
    expect(stopped?.order).toMatchObject({ clientOrderId: resize.clientOrderId, side: 'buy', qty: 5 });
    expect(stopped?.order.legs).toEqual([
      expect.objectContaining({ kind: 'stop', status: 'filled', filledQty: 15, avgFillPrice: 143.5 }),
      expect.objectContaining({ kind: 'take_profit', status: 'canceled' }),
    ]);
  });

  it('When the connection drops, Then it is opened again after the backoff, listens again and reports a gap for that account; a stopped watch opens nothing', async () => {
    expect(fake.streams(keyOf('COUNCIL'))).toBe(1);
    fake.dropStreams(keyOf('COUNCIL'));
    await vi.waitFor(() => expect(waiting.map((w) => w.ms)).toEqual([250]));
    // Missed while down: the reconcile after the gap finds it, not the stream.
    await broker.submit({ account: 'COUNCIL', clientOrderId: 'tc-p2-council-iwm', symbol: 'IWM', side: 'buy', qty: 5, at });
    waiting.shift()?.run();
    await vi.waitFor(() => expect(gaps.filter((g) => g === 'COUNCIL')).toHaveLength(2), { timeout: 5_000 });
    expect(fake.streams(keyOf('COUNCIL'))).toBe(1);
    expect(updates).toEqual([]);
    // After a connection listens the backoff starts over; without one it doubles, up to the cap.
    fake.dropStreams(keyOf('COUNCIL'));
    await vi.waitFor(() => expect(waiting.map((w) => w.ms)).toEqual([250]));
    expect([0, 1, 2, 3, 4, 10].map((attempt) => backoffMs(attempt, { initialDelayMs: 250, maxDelayMs: 4_000 }))).toEqual([250, 500, 1_000, 2_000, 4_000, 4_000]);
    stop?.();
    stop = undefined;
    expect(waiting).toEqual([]);
    await vi.waitFor(() => expect(fake.streams()).toBe(0));
  });
});
