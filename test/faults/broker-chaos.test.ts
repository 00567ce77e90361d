/**
 * Broker chaos on six Alpaca paper accounts at once, through the real SDK against the fake Alpaca: in one
 * approval every account meets a different fault (a 500 before Alpaca took the order, a 500 after it did,
 * a timeout after it did, a duplicate client order id, partial fills, a short Alpaca stopped lending after
 * the waiting proposal last asked, so Alpaca refuses it itself); then
 * a week in which every submit fails at once. Each ends with the right orders recorded and none sent twice.
 * test/brokers/ covers each fault alone; here they overlap.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../src/app/index.ts';
import type { ProposalOrder } from '../../src/domain/proposal.ts';
import { proposalStream } from '../../src/pipeline/run.ts';
import type { StoredEvent } from '../../src/store/port.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';
import { faultApp } from './support/app.ts';
import { type ScenarioDatabase, scenarioDatabase } from './support/database.ts';
import { ACCOUNTS, keyOf, postsByClientOrderId } from './support/scenario.ts';
import { partsOf } from '../../src/compose.ts';

let db: ScenarioDatabase;
let fake: FakeAlpaca;
let app: App;

beforeAll(async () => {
  db = await scenarioDatabase('broker_chaos');
  fake = await startFakeAlpaca();
  ({ app } = await faultApp(db, fake, { fillMode: 'fill' }));
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
  await db?.dispose();
});

async function proposalFor(week: string): Promise<{ id: string; orders: ProposalOrder[] }> {
  const proposal = (await app.run({ week })).proposal;
  if (!proposal) throw new Error(`no proposal for ${week}`);
  return { id: proposal.proposalId, orders: proposal.orders };
}

const eventsOf = (id: string) => partsOf(app).store.read(proposalStream(id));
const ofType = (events: StoredEvent[], type: string) =>
  events.filter((e) => e.type === type).map((e) => e.data as { account: string; clientOrderId: string; qty: number; reason?: string });
const orderOf = (orders: ProposalOrder[], account: string) => {
  const order = orders.find((o) => o.account === account);
  if (!order) throw new Error(`no order for ${account}`);
  return order;
};
/** The client order ids the fake broker holds for an account. */
const heldBy = (account: string) => fake.accounts.get(keyOf(account))?.orders.map((o) => o.client_order_id) ?? [];

describe('Broker chaos: six accounts, a different fault on each, in one approval', () => {
  let id: string;
  let orders: ProposalOrder[];
  const sends = new Map<string, number>();

  it('When every account meets its own fault during one approval, and execution is resumed, Then each order is recorded once as placed or refused, and none reaches Alpaca twice', async () => {
    const asked = fake.log[fake.log.length - 1]?.seq ?? 0;
    ({ id, orders } = await proposalFor('2024-03-04'));
    expect(orders.map((o) => o.account).sort()).toEqual([...ACCOUNTS].sort());
    const chatgpt = orderOf(orders, 'CHATGPT');
    const gemini = orderOf(orders, 'GEMINI');
    expect(gemini.side).toBe('sell'); // GEMINI opens a short this week

    fake.script({ method: 'POST', path: '/v2/orders', keyId: keyOf('CHATGPT'), status: 500 }); // refused before it took the order
    // Asked while the decision waited: lendable then. It stops being lendable just before the click.
    await vi.waitFor(() => expect(fake.log.some((r) => r.seq > asked && r.phase === 'answered' && r.path === `/v2/assets/${gemini.symbol}`)).toBe(true), { timeout: 10_000 });
    fake.shortable.set(gemini.symbol, false);
    fake.script({ method: 'POST', path: '/v2/orders', keyId: keyOf('CLAUDE'), hang: true, accept: true }); // took it, then silence
    fake.script({ method: 'POST', path: '/v2/orders', keyId: keyOf('GROQ'), status: 422, message: 'client_order_id must be unique', accept: true }); // a duplicate
    fake.accounts.get(keyOf('DEEPSEEK'))!.fillMode = 'partial'; // half now, the rest later
    fake.script({ method: 'POST', path: '/v2/orders', keyId: keyOf('COUNCIL'), status: 500, accept: true }); // took it, then failed
    try {
      await app.approve({ proposalId: id, by: 'cli:alice', via: 'cli' });
      let events = await eventsOf(id);
      expect(
        ofType(events, 'OrderSubmitted')
          .map((e) => e.account)
          .sort(),
      ).toEqual(['CLAUDE', 'COUNCIL', 'DEEPSEEK', 'GROQ']);
      expect(ofType(events, 'OrderRejected').map((e) => [e.account, e.reason])).toEqual([
        ['GEMINI', `Alpaca refused sell ${gemini.qty} ${gemini.symbol}: asset ${gemini.symbol} cannot be sold short`],
      ]);
      expect(events.some((e) => e.type === 'ExecutionCompleted')).toBe(false); // CHATGPT's order is in doubt

      await app.resumeExecutions();
      await app.resumeExecutions(); // a second resume finds nothing left to do
      events = await eventsOf(id);
      expect(
        ofType(events, 'OrderSubmitted')
          .map((e) => e.clientOrderId)
          .sort(),
      ).toEqual(
        orders
          .filter((o) => o.account !== 'GEMINI')
          .map((o) => o.clientOrderId)
          .sort(),
      );
      expect(ofType(events, 'OrderRejected')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'ExecutionCompleted')).toHaveLength(1);
    } finally {
      fake.shortable.delete(gemini.symbol);
    }

    for (const [clientOrderId, n] of postsByClientOrderId(fake)) sends.set(clientOrderId, n);
    expect(sends.get(chatgpt.clientOrderId)).toBe(2); // the refused 500, then one send after the lookup found nothing
    expect(sends.get(gemini.clientOrderId)).toBe(1); // refused by Alpaca, never resent
    for (const account of ['CLAUDE', 'GROQ', 'DEEPSEEK', 'COUNCIL']) expect(sends.get(orderOf(orders, account).clientOrderId)).toBe(1);
    for (const order of orders) expect(heldBy(order.account)).toEqual(order.account === 'GEMINI' ? [] : [order.clientOrderId]);
  });

  it('When the partially filled order fills the rest, Then the fills add up to each order exactly, and the positions at Alpaca match the records', async () => {
    const deepseek = orderOf(orders, 'DEEPSEEK');
    fake.fill(keyOf('DEEPSEEK'), deepseek.clientOrderId, deepseek.qty);
    await app.refreshFills(id);
    await app.refreshFills(id); // nothing new: no more events

    const fills = ofType(await eventsOf(id), 'OrderFilled');
    expect(fills.filter((f) => f.account === 'DEEPSEEK').map((f) => f.qty)).toEqual([Math.ceil(deepseek.qty / 2), deepseek.qty - Math.ceil(deepseek.qty / 2)]);
    for (const order of orders.filter((o) => o.account !== 'GEMINI')) {
      expect(fills.filter((f) => f.clientOrderId === order.clientOrderId).reduce((sum, f) => sum + f.qty, 0)).toBe(order.qty);
      expect(fake.accounts.get(keyOf(order.account))!.positions.get(order.symbol)?.qty).toBe(order.side === 'buy' ? order.qty : -order.qty);
    }
    expect(fake.accounts.get(keyOf('GEMINI'))!.positions.size).toBe(0);
  });
});

describe('Broker chaos: every submit fails at once', () => {
  it('When every POST of every account is answered 500 and Alpaca took those of three accounts, Then those are found and recorded, the rest are placed by the resume, and Alpaca holds each order once', async () => {
    for (const account of ACCOUNTS) fake.accounts.get(keyOf(account))!.fillMode = 'hold';
    const { id, orders } = await proposalFor('2024-03-11');
    const taken = new Set(['GEMINI', 'GROQ', 'COUNCIL']);
    const before = postsByClientOrderId(fake);
    // An account closing last week's position and opening a new one sends two orders: both fail alike.
    for (const order of orders) fake.script({ method: 'POST', path: '/v2/orders', keyId: keyOf(order.account), status: 500, accept: taken.has(order.account) });
    const idsOf = (pick: (o: ProposalOrder) => boolean) =>
      orders
        .filter(pick)
        .map((o) => o.clientOrderId)
        .sort();

    await app.approve({ proposalId: id, by: 'cli:alice', via: 'cli' });
    let submitted = ofType(await eventsOf(id), 'OrderSubmitted').map((e) => e.clientOrderId);
    expect(submitted.sort()).toEqual(idsOf((o) => taken.has(o.account)));

    await app.resumeExecutions();
    const events = await eventsOf(id);
    submitted = ofType(events, 'OrderSubmitted').map((e) => e.clientOrderId);
    expect(submitted.sort()).toEqual(idsOf(() => true));
    expect(events.filter((e) => e.type === 'ExecutionCompleted')).toHaveLength(1);

    const after = postsByClientOrderId(fake);
    for (const order of orders) {
      expect(before.has(order.clientOrderId)).toBe(false);
      expect(after.get(order.clientOrderId)).toBe(taken.has(order.account) ? 1 : 2);
      expect(heldBy(order.account).filter((c) => c === order.clientOrderId)).toEqual([order.clientOrderId]);
    }
    for (const account of ACCOUNTS) {
      const week2 = heldBy(account).filter((c) => orders.some((o) => o.clientOrderId === c));
      expect(week2.sort()).toEqual(idsOf((o) => o.account === account));
    }
  });
});
