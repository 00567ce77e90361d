/**
 * Six paper accounts on a fake Alpaca, driven through the real SDK by the App's use cases: approvals,
 * parallel orders, ambiguous answers looked up rather than resent, definite refusals recorded while the
 * other accounts proceed, shorts only where shortable, partial fills accumulated, status per account.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { renderNotice, renderStatus } from '../../src/bot/console/render.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { ProposalOrder } from '../../src/domain/proposal.ts';
import { buildApp, partsOf } from '../../src/compose.ts';
import { nyDateTime } from '../../src/market/time.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { proposalStream } from '../../src/pipeline/run.ts';
import { type FakeAlpaca, type LoggedRequest, startFakeAlpaca } from '../fakes/alpaca.ts';
import { ACCOUNTS, alpacaEnv, keyOf } from './env.ts';

let fake: FakeAlpaca;
let app: App;
let dir: string;
let now = nyDateTime('2024-03-04', '07:00');
const notices: Notice[] = [];
let filled: ProposalOrder | undefined;

beforeAll(async () => {
  fake = await startFakeAlpaca();
  fake.clock.now = () => now;
  dir = mkdtempSync(join(tmpdir(), 'council-alpaca-'));
  const config = loadConfig(alpacaEnv(fake, dir));
  app = await buildApp(config, {
    memory: true,
    logger: pino({ level: 'silent' }),
    clock: () => now,
    alpaca: { timeoutMs: 1_000, retry: { maxRetries: 1, retryDelayMs: 1 }, rateLimit: false },
  });
  app.addSink({ publish: async (n) => void notices.push(n) });
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Convenes the council for a week at 07:00 New York on its Monday and returns its proposal. */
async function proposalFor(week: string): Promise<{ id: string; orders: ProposalOrder[] }> {
  // The fake never fills on its own, so the last week's orders would still be working. In life they
  // filled at that week's open; left working, an approval counts them as held and refuses a proposal
  // planned without them (test/e2e/targets.e2e.test.ts). Each week here starts from the book it shows.
  await Promise.all(ACCOUNTS.map((account) => partsOf(app).broker.cancelOpenOrders(account, now)));
  now = nyDateTime(week, '07:00');
  const state = await app.run({ week });
  const proposal = state.proposal;
  if (!proposal) throw new Error(`no proposal for ${week}`);
  return { id: proposal.proposalId, orders: proposal.orders };
}

const eventsOf = async (proposalId: string) => partsOf(app).store.read(proposalStream(proposalId));
const since = (seq: number) => fake.log.filter((r) => r.seq > seq);
const lastSeq = () => fake.log[fake.log.length - 1]?.seq ?? 0;
const orderOf = (orders: ProposalOrder[], account: string) => orders.find((o) => o.account === account)!;
const isPost = (r: LoggedRequest) => r.method === 'POST' && r.path === '/v2/orders';
/** Waits until Alpaca has answered the shortability question the waiting proposal asked about `symbol`. */
const anticipated = (symbol: string, after = 0) =>
  vi.waitFor(() => expect(fake.log.some((r) => r.seq > after && r.phase === 'answered' && r.path === `/v2/assets/${symbol}`)).toBe(true), { timeout: 10_000 });

describe('Alpaca broker, six paper accounts', () => {
  it('When a proposal is approved, Then six market day orders go to six accounts at once, each under its deterministic client order id', async () => {
    const { id, orders } = await proposalFor('2024-03-04');
    expect(orders.map((o) => o.account).sort()).toEqual([...ACCOUNTS].sort());
    const mark = lastSeq();
    // A channel that takes its time to post the approval (a chat API round trip) does not hold the orders.
    let ordersOutFirst: boolean | undefined;
    const detach = app.addSink({
      publish: async (n) => {
        if (n.type !== 'proposal_approved') return;
        ordersOutFirst = await vi
          .waitFor(() => expect(since(mark).filter((r) => isPost(r) && r.phase === 'received')).toHaveLength(6), { timeout: 5_000 })
          .then(
            () => true,
            () => false,
          );
      },
    });
    fake.orderBarrier = 6; // no POST is answered before all six have arrived: a sequential sender would stall here
    try {
      await app.approve({ proposalId: id, by: 'cli:alice', via: 'cli' });
    } finally {
      fake.orderBarrier = 0;
      detach();
    }
    expect(ordersOutFirst).toBe(true);

    // The click read every book (account, positions, working orders of six accounts) once, and all of it
    // was answered before the first order went out.
    const reads = since(mark).filter(
      (r) => r.method === 'GET' && (r.path === '/v2/account' || r.path === '/v2/positions' || (r.path === '/v2/orders' && r.query.status === 'open')),
    );
    expect(reads.filter((r) => r.phase === 'received')).toHaveLength(18);
    const firstPost = since(mark).find((r) => isPost(r) && r.phase === 'received')!;
    expect(reads.filter((r) => r.phase === 'answered').every((r) => r.seq < firstPost.seq)).toBe(true);

    const posts = since(mark).filter(isPost);
    const received = posts.filter((r) => r.phase === 'received');
    const firstAnswer = posts.find((r) => r.phase === 'answered')!;
    expect(received).toHaveLength(6);
    expect(received.every((r) => r.seq < firstAnswer.seq)).toBe(true);
    expect(new Set(received.map((r) => r.keyId))).toEqual(new Set(ACCOUNTS.map(keyOf)));
    for (const order of orders) {
      const sent = received.find((r) => r.keyId === keyOf(order.account))!;
      expect(sent.body).toMatchObject({
        client_order_id: order.clientOrderId,
        symbol: order.symbol,
        side: order.side,
        qty: String(order.qty),
        type: 'market',
        // An order carrying its stop is gtc, so its legs rest overnight once it fills.
        time_in_force: sent.body?.stop_loss ? 'gtc' : 'day',
      });
    }

    const submitted = (await eventsOf(id)).filter((e) => e.type === 'OrderSubmitted').map((e) => e.data as { account: string; broker: string; brokerOrderId: string });
    expect(submitted.map((s) => s.account).sort()).toEqual([...ACCOUNTS].sort());
    expect(submitted.every((s) => s.broker === 'alpaca' && s.brokerOrderId.length > 0)).toBe(true);
    expect((await eventsOf(id)).some((e) => e.type === 'ExecutionCompleted')).toBe(true);
  });

  it('When Alpaca takes an order but answers 500, Then the adapter looks it up by client order id and records it, with no second POST', async () => {
    const { id, orders } = await proposalFor('2024-03-11');
    const claude = orderOf(orders, 'CLAUDE');
    fake.script({ method: 'POST', path: '/v2/orders', keyId: keyOf('CLAUDE'), status: 500, accept: true });
    const mark = lastSeq();
    await app.approve({ proposalId: id, by: 'cli:alice', via: 'cli' });

    const claudeCalls = since(mark).filter((r) => r.keyId === keyOf('CLAUDE') && r.phase === 'received');
    const posts = claudeCalls.filter(isPost);
    expect(posts).toHaveLength(1);
    const lookupAfter = claudeCalls.find((r) => r.path === '/v2/orders:by_client_order_id' && r.seq > posts[0]!.seq);
    expect(lookupAfter?.query.client_order_id).toBe(claude.clientOrderId);
    const submitted = (await eventsOf(id)).filter((e) => e.type === 'OrderSubmitted').map((e) => (e.data as { clientOrderId: string }).clientOrderId);
    expect(submitted).toContain(claude.clientOrderId);
    expect(fake.accounts.get(keyOf('CLAUDE'))!.orders.filter((o) => o.client_order_id === claude.clientOrderId)).toHaveLength(1);
  });

  it('When a submit times out or fails before Alpaca took it, Then the lookup finds nothing, the order stays unplaced and is shown, and the next resume places it once', async () => {
    const { id, orders } = await proposalFor('2024-03-18');
    const groq = orderOf(orders, 'GROQ');
    const council = orderOf(orders, 'COUNCIL');
    fake.script({ method: 'POST', path: '/v2/orders', keyId: keyOf('GROQ'), status: 503 });
    fake.script({ method: 'POST', path: '/v2/orders', keyId: keyOf('COUNCIL'), hang: true, accept: true });
    const mark = lastSeq();
    notices.length = 0;
    await app.approve({ proposalId: id, by: 'cli:alice', via: 'cli' });

    let events = await eventsOf(id);
    const submittedIds = () => events.filter((e) => e.type === 'OrderSubmitted').map((e) => (e.data as { clientOrderId: string }).clientOrderId);
    expect(submittedIds()).not.toContain(groq.clientOrderId);
    expect(submittedIds()).toContain(council.clientOrderId); // hung, but Alpaca had it: found by the lookup
    expect(events.some((e) => e.type === 'ExecutionCompleted')).toBe(false);
    const unknown = notices.find((n) => n.type === 'run_failed' && n.errorId === groq.clientOrderId);
    expect(unknown && renderNotice(unknown)).toMatch(/unknown state.*503/);

    await app.resumeExecutions();
    events = await eventsOf(id);
    expect(submittedIds()).toContain(groq.clientOrderId);
    expect(events.some((e) => e.type === 'ExecutionCompleted')).toBe(true);
    const posts = since(mark).filter((r) => isPost(r) && r.phase === 'received');
    expect(posts.filter((r) => r.body?.client_order_id === groq.clientOrderId)).toHaveLength(2); // the 503, then one send after a lookup found nothing
    expect(posts.filter((r) => r.body?.client_order_id === council.clientOrderId)).toHaveLength(1);
  });

  it('When Alpaca refuses one account for buying power (403) and another as invalid (422), Then both are recorded and shown while the other four proceed', async () => {
    const { id, orders } = await proposalFor('2024-04-01');
    // Alpaca's own refusal, after the approval's check of the book found enough equity and buying power.
    fake.script({ method: 'POST', path: '/v2/orders', keyId: keyOf('GROQ'), status: 403, message: 'insufficient buying power' });
    fake.script({ method: 'POST', path: '/v2/orders', keyId: keyOf('DEEPSEEK'), status: 422, message: `asset ${orderOf(orders, 'DEEPSEEK').symbol} is not tradable` });
    notices.length = 0;
    await app.approve({ proposalId: id, by: 'cli:alice', via: 'cli' });

    const events = await eventsOf(id);
    const rejected = events.filter((e) => e.type === 'OrderRejected').map((e) => e.data as { account: string; reason: string });
    expect(rejected.map((r) => r.account).sort()).toEqual(['DEEPSEEK', 'GROQ']);
    expect(rejected.find((r) => r.account === 'GROQ')!.reason).toMatch(/insufficient buying power/);
    expect(rejected.find((r) => r.account === 'DEEPSEEK')!.reason).toMatch(/not tradable/);
    expect(events.filter((e) => e.type === 'OrderSubmitted')).toHaveLength(4);
    const report = notices.find((n) => n.type === 'execution_report');
    const text = renderNotice(report!);
    expect(text).toMatch(/GROQ: BUY \d+ \w+[^\n]* +rejected: Alpaca refused buy \d+ \w+: insufficient buying power/);
    expect(text).toMatch(/DEEPSEEK: .* rejected: .*not tradable/);
  });

  it('When Alpaca stopped lending an asset more than a minute before the click, Then the short is re-checked at the click, not sent, and the reason is recorded', async () => {
    const asked = lastSeq();
    const { id, orders } = await proposalFor('2024-04-08');
    const gemini = orderOf(orders, 'GEMINI');
    expect(gemini.side).toBe('sell');
    await anticipated(gemini.symbol, asked); // asked while the decision waited: shortable then
    fake.shortable.set(gemini.symbol, false);
    now = new Date(now.getTime() + 5 * 60_000); // the click comes five minutes later
    const mark = lastSeq();
    try {
      await app.approve({ proposalId: id, by: 'cli:alice', via: 'cli' });
    } finally {
      fake.shortable.delete(gemini.symbol);
    }
    const geminiCalls = since(mark).filter((r) => r.keyId === keyOf('GEMINI') && r.phase === 'received');
    expect(geminiCalls.filter(isPost)).toHaveLength(0);
    expect(geminiCalls.map((r) => r.path)).toContain(`/v2/assets/${gemini.symbol}`);
    const rejected = (await eventsOf(id)).find((e) => e.type === 'OrderRejected')?.data as { account: string; reason: string };
    expect(rejected).toMatchObject({ account: 'GEMINI', reason: `${gemini.symbol} is not shortable at Alpaca, so the short was not sent` });
  });

  it('When Alpaca stops lending an asset within the minute before the click, Then Alpaca itself refuses the short, the refusal is recorded and shown, and the other accounts proceed', async () => {
    const asked = lastSeq();
    const { id, orders } = await proposalFor('2024-04-22');
    const gemini = orderOf(orders, 'GEMINI');
    await anticipated(gemini.symbol, asked);
    fake.shortable.set(gemini.symbol, false);
    const mark = lastSeq();
    try {
      await app.approve({ proposalId: id, by: 'cli:alice', via: 'cli' });
    } finally {
      fake.shortable.delete(gemini.symbol);
    }
    const geminiPosts = since(mark).filter((r) => r.keyId === keyOf('GEMINI') && isPost(r) && r.phase === 'answered');
    expect(geminiPosts.map((r) => r.status)).toEqual([403]);
    const events = await eventsOf(id);
    const rejected = events.filter((e) => e.type === 'OrderRejected').map((e) => e.data as { account: string; reason: string });
    expect(rejected).toEqual([expect.objectContaining({ account: 'GEMINI', reason: expect.stringMatching(/^Alpaca refused sell \d+ \w+: asset \w+ cannot be sold short$/) })]);
    expect(events.filter((e) => e.type === 'OrderSubmitted').map((e) => (e.data as { account: string }).account)).not.toContain('GEMINI');
    expect(fake.accounts.get(keyOf('GEMINI'))!.positions.get(gemini.symbol)?.qty ?? 0).toBeGreaterThanOrEqual(0); // no short was opened
    const report = notices.filter((n) => n.type === 'execution_report' && n.proposalId === id).pop();
    expect(renderNotice(report!)).toMatch(/GEMINI: SELL \d+ \w+[^\n]* +rejected: Alpaca refused sell \d+ \w+: asset \w+ cannot be sold short/);
  });

  it('When an order fills in two parts, Then each part becomes an OrderFilled event and together they add up to the order at its average price', async () => {
    const { id, orders } = await proposalFor('2024-04-15');
    await app.approve({ proposalId: id, by: 'cli:alice', via: 'cli' });
    const order = orderOf(orders, 'CHATGPT');
    const first = Math.floor(order.qty / 2);
    fake.fill(keyOf('CHATGPT'), order.clientOrderId, first, 28);
    await app.refreshFills(id);
    fake.fill(keyOf('CHATGPT'), order.clientOrderId, order.qty - first, 29);
    await app.refreshFills(id);
    await app.refreshFills(id); // nothing new: no third event

    const fills = (await eventsOf(id)).filter((e) => e.type === 'OrderFilled').map((e) => e.data as { clientOrderId: string; qty: number; price: number });
    expect(fills.map((f) => [f.clientOrderId, f.qty])).toEqual([
      [order.clientOrderId, first],
      [order.clientOrderId, order.qty - first],
    ]);
    expect(fills[0]!.price).toBe(28);
    expect(fills[1]!.price).toBeCloseTo(29, 2); // derived from Alpaca's cumulative average, rounded to 4 places
    filled = order;
  });

  it('When status is asked, Then each account shows its broker, equity, cash, buying power, positions with unrealised P/L and open orders', async () => {
    fake.prices.set(filled!.symbol, 30);
    const status = await app.status();
    expect(status.mode.brokers).toEqual(Object.fromEntries(ACCOUNTS.map((a) => [a, 'alpaca'])));
    expect(status.mode.market).toBe('alpaca:iex');
    expect(status.mode.time).toBe('live');
    const chatgpt = status.accounts.find((a) => a.account === 'CHATGPT')!;
    expect(chatgpt.broker).toBe('alpaca');
    expect(chatgpt.buyingPower).toBeGreaterThan(0);
    const position = chatgpt.positions.find((p) => p.symbol === filled!.symbol);
    expect(position).toMatchObject({ qty: filled!.qty, marketPrice: 30 });
    expect(position!.unrealizedPl).toBeCloseTo((30 - position!.avgPrice) * position!.qty, 1);
    // CHATGPT's order of the week filled above; the other accounts' orders of that week still work.
    expect(status.accounts.some((a) => a.openOrders.length > 0)).toBe(true);
    const text = renderStatus(status);
    expect(text).toMatch(/CHATGPT +\[alpaca\] equity \$[\d,.]+, cash \$[\d,.]+, buying power \$[\d,.]+/);
    expect(text).toMatch(/open order: (buy|sell) \d+ \w+ \(accepted\)/);
  });

  it('When the broker holds what the records do not, Then reconciliation reports it as an event and a notice, and changes nothing at the broker', async () => {
    const deepseek = fake.accounts.get(keyOf('DEEPSEEK'))!;
    deepseek.positions.set('TLT', { qty: 7, avg: 90 });
    deepseek.orders.push({
      id: 'manual-1',
      client_order_id: 'typed-by-hand',
      symbol: 'TLT',
      side: 'buy',
      qty: 3,
      filled_qty: 0,
      filled_avg_price: null,
      status: 'new',
      created_at: now.toISOString(),
      filled_at: null,
      time_in_force: 'day',
      type: 'market',
      order_class: 'simple',
      stop_price: null,
      limit_price: null,
      canceled_at: null,
      legs: [],
    });
    notices.length = 0;
    const mark = lastSeq();
    const differences = await app.reconcile();

    const report = differences.find((a) => a.account === 'DEEPSEEK')!;
    expect(report.positions).toContainEqual({ symbol: 'TLT', broker: 7, recorded: 0 });
    expect(report.foreignOpenOrders).toEqual([{ clientOrderId: 'typed-by-hand', symbol: 'TLT', side: 'buy', qty: 3 }]);
    const stored = await partsOf(app).store.read('reconciliation:main');
    expect(stored.at(-1)?.type).toBe('Reconciled');
    const notice = notices.find((n) => n.type === 'reconciliation_report')!;
    // Between the lines: the earlier weeks' orders this file canceled (the fake never fills them), reported as ended.
    expect(renderNotice(notice)).toMatch(
      /DEEPSEEK:\n(?:.*\n)*?.*open BUY 3 TLT \(typed-by-hand\) was not placed by the council\n(?:.*\n)*?.*TLT: the broker holds 7 shares, the council's fills add up to 0/,
    );
    expect(since(mark).filter((r) => r.method !== 'GET')).toEqual([]);
  });
});
