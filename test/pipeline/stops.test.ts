/**
 * Protective legs through the pipeline, on the simulated broker and the bundled bars (issue 17): an
 * opening order goes out with its stop; an exit cancels the resting legs first, and when the stop already
 * filled (SPY opened through it on 2020-03-09) it places nothing, however often it is executed; the stop's
 * fill is recorded once, in the entry's proposal; a halt cancels what adds risk and keeps the stop and the
 * working exit, so resuming has nothing to put back.
 */
import { describe, expect, it } from 'vitest';
import type { Broker, BrokerAdapter } from '../../src/brokers/port.ts';
import { createBrokerRouter } from '../../src/brokers/router.ts';
import { createSimulatedBroker } from '../../src/brokers/simulated.ts';
import type { ProposalEvent, ProposalOrder } from '../../src/domain/proposal.ts';
import { clientOrderId } from '../../src/domain/sizing.ts';
import { createNyseCalendar } from '../../src/market/calendar.ts';
import { createCsvMarketData } from '../../src/market/csv.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { runCheckpoint } from '../../src/pipeline/checkpoint.ts';
import { type ExecutionDeps, executeProposal, loadProposal, setHalted, syncFills, syncLegFills } from '../../src/pipeline/execution.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { streams } from '../../src/pipeline/streams.ts';
import { createMemoryEventStore } from '../../src/store/memory.ts';
import type { EventStore } from '../../src/store/port.ts';
import { BARS_DIR } from '../market/raw.ts';

const COUNCIL = 'stops';

function desk(): { deps: ExecutionDeps; notices: Notice[]; store: EventStore; broker: Broker } {
  const store = createMemoryEventStore();
  const broker = createBrokerRouter({
    fallback: createSimulatedBroker({
      store,
      market: createCsvMarketData(BARS_DIR),
      calendar: createNyseCalendar(),
      settings: { startingCash: 100_000, slippageBps: 2, feePerShare: 0.005, minFee: 1 },
    }),
  });
  const notices: Notice[] = [];
  return { deps: { store, broker, council: COUNCIL, sink: { publish: async (n) => void notices.push(n) } }, notices, store, broker };
}

/** An approved proposal with one order, as a policy or a click leaves it. */
async function approved(store: EventStore, proposalId: string, order: Omit<ProposalOrder, 'clientOrderId' | 'clamps' | 'reason'> & { reason?: string }, at: Date) {
  const placed: ProposalOrder = { reason: 'open LONG SPY at conviction 1', clamps: [], ...order, clientOrderId: clientOrderId(proposalId, order.account, order.symbol) };
  const events: ProposalEvent[] = [
    {
      type: 'ProposalOpened',
      data: {
        proposalId,
        council: COUNCIL,
        week: '2020-03-02',
        runId: proposalId.startsWith('x-') ? 'exit:invalidation' : 'r1',
        asOf: at.toISOString(),
        expiresAt: new Date(at.getTime() + 86_400_000).toISOString(),
        decision: { instrument: order.symbol, direction: 'LONG', conviction: 1, horizon: '1w' },
        orders: [placed],
      },
    },
    { type: 'ProposalApproved', data: { by: 'policy:exit', at: at.toISOString(), via: 'test' } },
  ];
  await streams.proposal(proposalId).append(store, 0, events);
  return placed;
}

describe('Protective legs through the pipeline', () => {
  it('When an exit is executed after the stop already filled at a gap, Then it places nothing (twice executed, still nothing) and the stop fill is recorded once in the entry proposal', async () => {
    const { deps, store, broker } = desk();
    const entry = await approved(
      store,
      'w1',
      { account: 'A', symbol: 'SPY', side: 'buy', qty: 10, protect: { stopPrice: 260, takeProfitPrice: null } },
      nyDateTime('2020-03-06', '08:00'),
    );
    await executeProposal(deps, 'w1', nyDateTime('2020-03-06', '08:00'), nyDateTime('2020-03-06', '17:00'));
    expect((await broker.findByClientOrderId('A', entry.clientOrderId))?.legs?.map((l) => [l.kind, l.price, l.status])).toEqual([['stop', 260, 'accepted']]);

    // An exit decided on Monday 2020-03-09 15:50; SPY opened at 250.94 that morning, under the stop.
    const exit = await approved(
      store,
      'x-w1-a-spy',
      { account: 'A', symbol: 'SPY', side: 'sell', qty: 10, reason: 'exit (invalidation): test', cancelLegs: true },
      nyDateTime('2020-03-09', '15:50'),
    );
    for (const attempt of [1, 2]) {
      const { orders } = await executeProposal(deps, 'x-w1-a-spy', nyDateTime('2020-03-09', '15:50'), nyDateTime('2020-03-09', '15:50'));
      expect(
        orders.map((o) => [o.status, o.note]),
        `attempt ${attempt}`,
      ).toEqual([['rejected', expect.stringMatching(/^not placed: the position is already out \(the stop of .* filled 10 at 250\.89/)]]);
    }
    expect(await broker.findByClientOrderId('A', exit.clientOrderId)).toBeUndefined();
    const filled = (await store.read('proposal:w1')).filter((e) => e.type === 'OrderFilled').map((e) => e.data);
    expect(filled).toEqual([
      expect.objectContaining({ clientOrderId: entry.clientOrderId, side: 'buy', qty: 10 }),
      expect.objectContaining({ clientOrderId: `${entry.clientOrderId}-sl`, side: 'sell', qty: 10, price: 250.891, filledAt: '2020-03-09T09:30', leg: 'stop', fee: 1 }),
    ]);
    await syncLegFills(deps, ['A'], nyDateTime('2020-03-10', '09:00'));
    expect((await loadProposal(store, 'w1')).fills[`${entry.clientOrderId}-sl`]?.qty).toBe(10);
    expect((await broker.account('A', nyDateTime('2020-03-10', '09:00'))).positions).toEqual([]);
  });

  it('When an exit is executed before anything triggered, Then the legs are canceled first and the exit goes out once', async () => {
    const { deps, store, broker } = desk();
    const entry = await approved(
      store,
      'w1',
      { account: 'A', symbol: 'SPY', side: 'buy', qty: 10, protect: { stopPrice: 260, takeProfitPrice: 300 } },
      nyDateTime('2020-03-06', '08:00'),
    );
    await executeProposal(deps, 'w1', nyDateTime('2020-03-06', '08:00'), nyDateTime('2020-03-06', '17:00'));
    const exit = await approved(
      store,
      'x-w1-a-spy',
      { account: 'A', symbol: 'SPY', side: 'sell', qty: 10, reason: 'exit (horizon): test', cancelLegs: true },
      nyDateTime('2020-03-06', '17:30'),
    );
    await executeProposal(deps, 'x-w1-a-spy', nyDateTime('2020-03-06', '17:30'));
    await executeProposal(deps, 'x-w1-a-spy', nyDateTime('2020-03-06', '17:31'));
    expect((await broker.findByClientOrderId('A', entry.clientOrderId))?.legs?.map((l) => l.status)).toEqual(['canceled', 'canceled']);
    expect((await store.read('proposal:x-w1-a-spy')).filter((e) => e.type === 'OrderSubmitted')).toHaveLength(1);
    // Monday's gap no longer stops anything: the exit sells at the open, once.
    await executeProposal(deps, 'x-w1-a-spy', nyDateTime('2020-03-09', '10:00'));
    expect((await broker.findByClientOrderId('A', exit.clientOrderId))?.status).toBe('filled');
    expect((await loadProposal(store, 'w1')).fills[`${entry.clientOrderId}-sl`]).toBeUndefined();
    expect((await broker.account('A', nyDateTime('2020-03-09', '17:00'))).positions).toEqual([]);
  });

  it('When a resize fills, Then one stop for the whole position replaces the old legs before the fill is recorded, once; a stop-out then sells every share, recorded in the resize', async () => {
    const { deps, store, broker } = desk();
    const entry = await approved(
      store,
      'w1',
      { account: 'A', symbol: 'SPY', side: 'buy', qty: 10, protect: { stopPrice: 200, takeProfitPrice: null } },
      nyDateTime('2020-03-02', '08:00'),
    );
    await executeProposal(deps, 'w1', nyDateTime('2020-03-02', '08:00'), nyDateTime('2020-03-02', '17:00'));
    const add = await approved(
      store,
      'w2',
      { account: 'A', symbol: 'SPY', side: 'buy', qty: 5, reason: 'resize LONG SPY at conviction 2', replaceLegs: { stopPrice: 240, takeProfitPrice: null, qty: 15 } },
      nyDateTime('2020-03-03', '08:00'),
    );
    await executeProposal(deps, 'w2', nyDateTime('2020-03-03', '08:00'), nyDateTime('2020-03-03', '17:00'));
    await executeProposal(deps, 'w2', nyDateTime('2020-03-03', '17:05'), nyDateTime('2020-03-03', '17:05'));
    expect((await broker.findByClientOrderId('A', entry.clientOrderId))?.legs?.map((l) => l.status)).toEqual(['canceled']);
    expect((await broker.findByClientOrderId('A', add.clientOrderId))?.legs?.map((l) => [l.kind, l.price, l.status])).toEqual([['stop', 240, 'accepted']]);
    expect((await store.read('sim:A')).filter((e) => e.type === 'SimLegsReplaced')).toHaveLength(1);
    // 2020-03-12 opens at 233, under the stop: all 15 shares go, recorded in the resize's proposal.
    await syncLegFills(deps, ['A'], nyDateTime('2020-03-12', '09:31'));
    expect((await loadProposal(store, 'w2')).fills[`${add.clientOrderId}-sl`]).toMatchObject({ qty: 15, filledAt: '2020-03-12T09:30' });
    expect((await store.read('proposal:w2')).filter((e) => e.type === 'OrderFilled').map((e) => [(e.data as { side: string }).side, (e.data as { qty: number }).qty])).toEqual([
      ['buy', 5],
      ['sell', 15],
    ]);
  });

  it('When the next proposal nets a working exit out (nothing traded), Then the position it keeps gets its stop back, and that stop fills into the new proposal', async () => {
    const { deps, store, broker } = desk();
    const entry = await approved(
      store,
      'w1',
      { account: 'A', symbol: 'SPY', side: 'buy', qty: 10, protect: { stopPrice: 260, takeProfitPrice: null } },
      nyDateTime('2020-03-05', '08:00'),
    );
    await executeProposal(deps, 'w1', nyDateTime('2020-03-05', '08:00'), nyDateTime('2020-03-06', '17:00'));
    const exit = await approved(
      store,
      'x-w1-a-spy',
      { account: 'A', symbol: 'SPY', side: 'sell', qty: 10, reason: 'exit (horizon): test', cancelLegs: true },
      nyDateTime('2020-03-06', '17:00'),
    );
    await executeProposal(deps, 'x-w1-a-spy', nyDateTime('2020-03-06', '17:00'));
    expect((await broker.findByClientOrderId('A', entry.clientOrderId))?.legs?.[0]?.status).toBe('canceled');
    // The next proposal holds the 10 shares on: the working exit is netted out and nothing is placed.
    const at = nyDateTime('2020-03-06', '18:00');
    await streams.proposal('w2').append(store, 0, [
      {
        type: 'ProposalOpened',
        data: {
          proposalId: 'w2',
          council: COUNCIL,
          week: '2020-03-09',
          runId: 'r2',
          asOf: at.toISOString(),
          expiresAt: new Date(at.getTime() + 86_400_000).toISOString(),
          decision: { instrument: 'SPY', direction: 'LONG', conviction: 1, horizon: '1w' },
          orders: [],
          targets: [{ account: 'A', symbol: 'SPY', qty: 10, price: 271.14, stop: 260, takeProfit: null }],
        },
      },
      {
        type: 'ProposalApproved',
        data: {
          by: 'test',
          at: at.toISOString(),
          via: 'test',
          orders: [],
          netted: [{ account: 'A', clientOrderId: exit.clientOrderId, symbol: 'SPY', side: 'sell', qty: 10, into: null }],
        },
      },
    ]);
    await executeProposal(deps, 'w2', at);
    expect((await broker.findByClientOrderId('A', exit.clientOrderId))?.status).toBe('canceled');
    const holder = await broker.findByClientOrderId('A', 'tc-w2-a-spy');
    expect(holder?.legs?.map((l) => [l.kind, l.price, l.status])).toEqual([['stop', 260, 'accepted']]);
    // Monday opens through it: the stop sells the 10 shares, recorded in w2.
    await syncLegFills(deps, ['A'], nyDateTime('2020-03-09', '09:31'));
    expect((await loadProposal(store, 'w2')).fills['tc-w2-a-spy-sl']).toMatchObject({ qty: 10, filledAt: '2020-03-09T09:30' });
    expect((await store.read('proposal:w2')).find((e) => e.type === 'OrderFilled')?.data).toMatchObject({ side: 'sell', leg: 'stop' });
    expect((await broker.account('A', nyDateTime('2020-03-09', '17:00'))).positions).toEqual([]);
  });

  it('When a broker that is not settled here (as Alpaca) stopped the position out, Then the checkpoint polls the entry, records the stop fill once, and holds nothing', async () => {
    const store = createMemoryEventStore();
    const market = createCsvMarketData(BARS_DIR);
    const calendar = createNyseCalendar();
    const sim = createSimulatedBroker({ store, market, calendar, settings: { startingCash: 100_000, slippageBps: 0, feePerShare: 0, minFee: 0 } });
    // The simulated broker's core under another kind, without its settle: its own time passes in the test.
    const paper: BrokerAdapter = { kind: 'paper', submit: sim.submit, findByClientOrderId: sim.findByClientOrderId, account: sim.account, cancelOpenOrders: sim.cancelOpenOrders };
    const broker = createBrokerRouter({ accounts: { A: paper } });
    const deps = {
      store,
      broker,
      council: COUNCIL,
      sink: { publish: async () => {} },
      market,
      calendar,
      accounts: ['A'],
      checkpointTimes: ['09:00', '15:50'],
      requireExitApproval: false,
    };
    const entry = await approved(
      store,
      'w1',
      { account: 'A', symbol: 'SPY', side: 'buy', qty: 10, protect: { stopPrice: 260, takeProfitPrice: null } },
      nyDateTime('2020-03-06', '08:00'),
    );
    await executeProposal(deps, 'w1', nyDateTime('2020-03-06', '08:00'));
    await sim.settle(['A'], nyDateTime('2020-03-06', '17:00'));
    await syncFills(deps, 'w1', nyDateTime('2020-03-06', '17:00'));
    await sim.settle(['A'], nyDateTime('2020-03-09', '09:31'));
    for (const time of ['12:00', '15:50']) {
      const r = await runCheckpoint(deps, nyDateTime('2020-03-09', time));
      expect(r.positions).toEqual([]);
      expect(r.exits).toEqual([]);
    }
    const fills = (await store.read('proposal:w1')).filter((e) => e.type === 'OrderFilled').map((e) => e.data);
    expect(fills).toEqual([
      expect.objectContaining({ clientOrderId: entry.clientOrderId, side: 'buy' }),
      expect.objectContaining({ clientOrderId: `${entry.clientOrderId}-sl`, side: 'sell', qty: 10, leg: 'stop', filledAt: '2020-03-09T09:30' }),
    ]);
  });

  it('When trading is halted, Then an opening still working is canceled, and the resting stop and the working exit stay; resuming has nothing to put back', async () => {
    const { deps, store, broker } = desk();
    const entry = await approved(
      store,
      'w1',
      { account: 'A', symbol: 'SPY', side: 'buy', qty: 10, protect: { stopPrice: 200, takeProfitPrice: null } },
      nyDateTime('2020-03-02', '08:00'),
    );
    await executeProposal(deps, 'w1', nyDateTime('2020-03-02', '08:00'), nyDateTime('2020-03-02', '17:00'));
    const exit = await approved(
      store,
      'x-w1-a-spy',
      { account: 'A', symbol: 'SPY', side: 'sell', qty: 5, reason: 'exit (horizon): test', cancelLegs: false },
      nyDateTime('2020-03-02', '17:30'),
    );
    await executeProposal(deps, 'x-w1-a-spy', nyDateTime('2020-03-02', '17:30'));
    const opening = await approved(
      store,
      'w2',
      { account: 'A', symbol: 'QQQ', side: 'buy', qty: 5, protect: { stopPrice: 150, takeProfitPrice: null } },
      nyDateTime('2020-03-02', '17:30'),
    );
    await executeProposal(deps, 'w2', nyDateTime('2020-03-02', '17:30'));

    const canceled = await setHalted({ ...deps, accounts: ['A'] }, true, 'cli:ops', nyDateTime('2020-03-02', '18:00'));
    expect(canceled).toBe(1);
    expect((await broker.findByClientOrderId('A', opening.clientOrderId))?.status).toBe('canceled');
    expect((await broker.findByClientOrderId('A', exit.clientOrderId))?.status).toBe('accepted');
    expect((await broker.findByClientOrderId('A', entry.clientOrderId))?.legs?.map((l) => l.status)).toEqual(['accepted']);
    await setHalted({ ...deps, accounts: ['A'] }, false, 'cli:ops', nyDateTime('2020-03-02', '18:05'));
    expect((await broker.findByClientOrderId('A', exit.clientOrderId))?.status).toBe('accepted');
  });
});
