/**
 * What a sell needs to know before it goes to Alpaca, asked ahead of the click: whether Alpaca lends the
 * symbol. A proposal waiting for its click keeps the answer fresh, so the click sends at once and still
 * sees a change made while it waited. Through the real SDK against the fake Alpaca; the clock is injected.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AlpacaBroker, createAlpacaBroker } from '../../src/brokers/alpaca.ts';
import { OrderRejectedError } from '../../src/brokers/port.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';
import { keyOf, secretOf } from './env.ts';

let fake: FakeAlpaca;
let broker: AlpacaBroker | undefined;
let now = new Date('2024-04-22T11:00:00Z');
const clock = () => now;
const sell = { account: 'GEMINI', symbol: 'UUP', side: 'sell' as const, qty: 10 };

beforeAll(async () => {
  fake = await startFakeAlpaca();
  fake.addAccount(keyOf('GEMINI'), secretOf('GEMINI'));
});

afterEach(() => {
  broker?.close();
  fake.shortable.clear();
});

afterAll(async () => {
  await fake?.close();
});

function brokerWith(shortability: { maxAgeMs?: number; refreshMs?: number }): AlpacaBroker {
  broker = createAlpacaBroker({
    accounts: { GEMINI: { keyId: keyOf('GEMINI'), secret: secretOf('GEMINI') } },
    endpoints: { paper: true, apiUrl: fake.url, dataUrl: fake.url },
    tuning: { timeoutMs: 1_000, retry: false, rateLimit: false },
    clock,
    shortability,
  });
  return broker;
}

const lastSeq = () => fake.log[fake.log.length - 1]?.seq ?? 0;
const received = (after: number, path: string) => fake.log.filter((r) => r.seq > after && r.phase === 'received' && r.path === path);
const order = (n: number) => ({ ...sell, clientOrderId: `tc-short-${n}`, at: now });

describe('Shortability asked ahead of the click', () => {
  it('When a waiting proposal was checked as lendable, Then its short goes to Alpaca with no request before the POST', async () => {
    const b = brokerWith({});
    await b.anticipate([sell], new Date(now.getTime() + 3_600_000));
    const mark = lastSeq();
    await b.submit(order(1));
    expect(fake.log.filter((r) => r.seq > mark && r.phase === 'received').map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v2/orders']);
  });

  it('When Alpaca stops lending while the proposal waits, Then the refresh sees it and the short is refused before it is sent', async () => {
    const b = brokerWith({ refreshMs: 5 });
    await b.anticipate([sell], new Date(now.getTime() + 3_600_000));
    fake.shortable.set('UUP', false);
    const mark = lastSeq();
    // The refresh runs on its own timer; wait for the answer it got after the change.
    await vi.waitFor(() => expect(fake.log.some((r) => r.seq > mark && r.phase === 'answered' && r.path === '/v2/assets/UUP')).toBe(true), { timeout: 10_000 });
    const posted = lastSeq();
    await expect(b.submit(order(2))).rejects.toThrow(new OrderRejectedError('UUP is not shortable at Alpaca, so the short was not sent'));
    expect(received(posted, '/v2/orders')).toHaveLength(0);
  });

  it('When the last answer is older than its age limit, Then the click asks again before it sends', async () => {
    const b = brokerWith({ maxAgeMs: 60_000 });
    await b.anticipate([sell], new Date(now.getTime() + 60_000));
    now = new Date(now.getTime() + 120_000); // the proposal's wait is over and the answer is two minutes old
    try {
      const mark = lastSeq();
      await b.submit(order(3));
      expect(received(mark, '/v2/assets/UUP')).toHaveLength(1);
      expect(received(mark, '/v2/orders')).toHaveLength(1);
    } finally {
      now = new Date('2024-04-22T11:00:00Z');
    }
  });

  it('When a sell only closes a long on an asset Alpaca does not lend, Then it is sent: no borrow is needed', async () => {
    const b = brokerWith({});
    fake.accounts.get(keyOf('GEMINI'))!.positions.set('TLT', { qty: 50, avg: 90 });
    fake.shortable.set('TLT', false);
    await b.anticipate([{ ...sell, symbol: 'TLT' }], new Date(now.getTime() + 3_600_000));
    const placed = await b.submit({ ...order(4), symbol: 'TLT', qty: 50 });
    expect(placed.status).not.toBe('rejected');
  });

  it('When the click has just read the book, Then a sell within its long goes out with no position or lending request before the POST', async () => {
    const b = brokerWith({});
    fake.accounts.get(keyOf('GEMINI'))!.positions.set('IEF', { qty: 30, avg: 95 });
    await b.account('GEMINI', now); // what an approval reads at the click; lending of IEF was never asked
    const mark = lastSeq();
    await b.prepare?.([{ ...sell, symbol: 'IEF', qty: 30 }]);
    await b.submit({ ...order(5), symbol: 'IEF', qty: 30 });
    expect(fake.log.filter((r) => r.seq > mark && r.phase === 'received').map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v2/orders']);
  });

  it('When the click has just read the book, Then a sell beyond its long asks only whether Alpaca lends, and a refusal sends nothing', async () => {
    const b = brokerWith({});
    fake.accounts.get(keyOf('GEMINI'))!.positions.set('SHY', { qty: 5, avg: 80 });
    fake.shortable.set('SHY', false);
    await b.account('GEMINI', now);
    const mark = lastSeq();
    await b.prepare?.([{ ...sell, symbol: 'SHY', qty: 15 }]);
    await expect(b.submit({ ...order(6), symbol: 'SHY', qty: 15 })).rejects.toThrow(new OrderRejectedError('SHY is not shortable at Alpaca, so the short was not sent'));
    expect(fake.log.filter((r) => r.seq > mark && r.phase === 'received').map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v2/assets/SHY']);
  });
});
