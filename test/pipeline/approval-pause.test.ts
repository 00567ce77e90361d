/**
 * A pause and an approval are one decision, as a halt and an approval are: a weekly proposal's approval
 * is written only while trading is not paused as its write sees it, so a pause that lands while the
 * click reads the books refuses it with nothing placed; an exit's approval goes through a pause.
 */
import type { Broker } from '../../src/brokers/port.ts';
import { describe, expect, it } from 'vitest';
import { type ProposalEvent, ProposalError } from '../../src/domain/proposal.ts';
import { clientOrderId } from '../../src/domain/sizing.ts';
import { type ApproveDeps, approveProposal, loadProposal } from '../../src/pipeline/execution.ts';
import { setPaused } from '../../src/pipeline/proposals/halt.ts';
import { streams } from '../../src/pipeline/streams.ts';
import { openDatabase } from '../../src/store/database.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import type { EventStore } from '../../src/store/port.ts';
import { paperDesk } from '../support/paper-desk.ts';

const now = new Date('2026-11-24T15:00:00Z');
const COUNCIL = 'pause-race';
const quiet = { publish: async () => {} };

async function open(store: EventStore, proposalId: string, runId: string, side: 'buy' | 'sell', target: number): Promise<void> {
  const opened: ProposalEvent = {
    type: 'ProposalOpened',
    data: {
      proposalId,
      council: COUNCIL,
      week: '2026-11-23',
      runId,
      asOf: '2026-11-23T13:00:00Z',
      expiresAt: '2026-11-25T21:00:00Z',
      decision: { instrument: 'SPY', direction: target > 0 ? 'LONG' : 'FLAT', conviction: target > 0 ? 1 : 0, horizon: '1w' },
      orders: [{ account: 'acct', symbol: 'SPY', side, qty: 10, reason: runId, clamps: [], clientOrderId: clientOrderId(proposalId, 'acct', 'SPY') }],
      targets: [{ account: 'acct', symbol: 'SPY', qty: target, price: 100 }],
    },
  };
  await streams.proposal(proposalId).append(store, 0, [opened]);
}

const depsOf = (store: EventStore, broker: Broker): ApproveDeps => ({
  store,
  broker,
  council: COUNCIL,
  sink: quiet,
  sizing: { universe: ['SPY'], risk: { maxPositionPct: 0.5, maxGrossPct: 1, allowShorts: true, minConviction: 0.5 } },
});

describe('Pause and approval in one decision', () => {
  it('When a pause lands while a weekly proposal’s approval reads the books, Then the approval is refused as paused and nothing is placed; an exit’s approval goes through the pause', async () => {
    const db = await openDatabase({ dataDir: 'unused-in-memory', memory: true });
    try {
      const store = createEventStore(db);
      await open(store, 'p-entry', 'r1', 'buy', 20);
      let reads = 0;
      // 10 SPY held, so the exit proposal below has something to close.
      const desk = paperDesk({
        positions: [{ symbol: 'SPY', qty: 10, avgPrice: 100, marketPrice: 100, marketValue: 1000, unrealizedPl: 0 }],
        onBookRead: async () => {
          if (reads++ === 0) await setPaused({ store, sink: quiet, council: COUNCIL }, true, 'cli:ops', 'cli', now);
        },
      });
      const refused = await approveProposal(depsOf(store, desk.broker), { proposalId: 'p-entry', by: 'cli:ada', via: 'cli', now }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ProposalError);
      expect((refused as ProposalError).code).toBe('PAUSED');
      expect((await loadProposal(store, 'p-entry')).status).toBe('PENDING');
      expect(desk.submitted).toEqual([]);

      // An exit (scope 'listed') is risk-reducing: approved and placed while paused.
      await open(store, 'x-exit', 'exit:manual', 'sell', 0);
      const { state } = await approveProposal(depsOf(store, desk.broker), { proposalId: 'x-exit', by: 'cli:ada', via: 'cli', now });
      expect(state.approvedBy?.by).toBe('cli:ada');
      expect(desk.submitted.map((o) => [o.side, o.qty])).toEqual([['sell', 10]]);
    } finally {
      await db.close();
    }
  });
});
