/**
 * Halt and approval are one decision: the approval is written only while the kill switch is as it was
 * read (off). A halt that lands between the approval's read and its write (here: while the books are
 * read at the click) makes the approval fail as halted, with nothing placed. On embedded PGlite, and on
 * the database the fault suite's helper picks (PostgreSQL 15 when TEST_DATABASE_URL is set).
 */
import type { Broker } from '../../src/brokers/port.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { type ProposalEvent, ProposalError } from '../../src/domain/proposal.ts';
import { clientOrderId } from '../../src/domain/sizing.ts';
import { type ApproveDeps, approveProposal, isHalted, loadProposal, setHalted } from '../../src/pipeline/execution.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { streams } from '../../src/pipeline/streams.ts';
import { openDatabase } from '../../src/store/database.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import type { Database, EventStore } from '../../src/store/port.ts';
import { paperDesk } from '../support/paper-desk.ts';
import { POSTGRES_URL, scenarioDatabase } from '../faults/support/database.ts';

const now = new Date('2026-11-24T15:00:00Z');
const COUNCIL = 'halt-race';

async function openProposal(store: EventStore, proposalId: string): Promise<void> {
  const opened: ProposalEvent = {
    type: 'ProposalOpened',
    data: {
      proposalId,
      council: COUNCIL,
      week: '2026-11-23',
      runId: 'r1',
      asOf: '2026-11-23T13:00:00Z',
      expiresAt: '2026-11-25T21:00:00Z',
      decision: { instrument: 'SPY', direction: 'LONG', conviction: 1, horizon: '1w' },
      orders: [{ account: 'acct', symbol: 'SPY', side: 'buy', qty: 10, reason: 'open LONG 1.0', clamps: [], clientOrderId: clientOrderId(proposalId, 'acct', 'SPY') }],
      targets: [{ account: 'acct', symbol: 'SPY', qty: 10, price: 100 }],
    },
  };
  await streams.proposal(proposalId).append(store, 0, [opened]);
}

function depsOf(store: EventStore, broker: Broker, notices: Notice[]): ApproveDeps {
  return {
    store,
    broker,
    council: COUNCIL,
    sink: { publish: async (n) => void notices.push(n) },
    sizing: { universe: ['SPY'], risk: { maxPositionPct: 0.2, maxGrossPct: 1, allowShorts: true, minConviction: 0.5 } },
  };
}

const BACKENDS: { kind: string; open: () => Promise<{ db: Database; dispose: () => Promise<void> }> }[] = [
  {
    kind: 'PGlite',
    open: async () => {
      const db = await openDatabase({ dataDir: 'unused-in-memory', memory: true });
      return { db, dispose: () => db.close() };
    },
  },
  ...(POSTGRES_URL
    ? [
        {
          kind: 'PostgreSQL 15',
          open: async () => {
            const scenario = await scenarioDatabase('halt-race');
            const db = await scenario.open();
            return {
              db,
              dispose: async () => {
                await db.close();
                await scenario.dispose();
              },
            };
          },
        },
      ]
    : []),
];

describe.each(BACKENDS)('Halt and approval in one decision, on $kind', ({ open }) => {
  let dispose: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await dispose?.();
    dispose = undefined;
  });

  async function storeOf(): Promise<EventStore> {
    const opened = await open();
    dispose = opened.dispose;
    return createEventStore(opened.db);
  }

  it('When a halt is appended between the approval reading the kill switch and writing the approval, Then the approval fails as halted and nothing is placed', async () => {
    const store = await storeOf();
    await openProposal(store, 'p-race');
    const notices: Notice[] = [];
    let halts = 0;
    // Another approver halts trading while this click is reading the books: after its read, before its write.
    const desk = paperDesk({
      onBookRead: async () => {
        if (halts++ === 0) await setHalted({ ...depsOf(store, desk.broker, notices), accounts: ['acct'] }, true, 'cli:ops', now);
      },
    });

    const error = await approveProposal(depsOf(store, desk.broker, notices), { proposalId: 'p-race', by: 'slack:U1', via: 'slack', now }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProposalError);
    expect((error as ProposalError).code).toBe('HALTED');
    expect((error as ProposalError).message).toMatch(/trading is halted \(by cli:ops .*Nothing was placed/);
    expect(desk.submitted).toEqual([]);
    expect((await isHalted(store, COUNCIL)).halted).toBe(true);
    const stream = await streams.proposal('p-race').read(store);
    expect(stream.map((e) => e.type)).toEqual(['ProposalOpened']);
    expect((await loadProposal(store, 'p-race')).status).toBe('PENDING');
    expect(notices.map((n) => n.type)).toEqual(['halt_changed']);
  });

  it('When nothing halts trading during the click, Then the same approval is recorded with its first execution marker and its order placed once', async () => {
    const store = await storeOf();
    await openProposal(store, 'p-calm');
    const notices: Notice[] = [];
    const desk = paperDesk();

    const { state } = await approveProposal(depsOf(store, desk.broker, notices), { proposalId: 'p-calm', by: 'slack:U1', via: 'slack', now });

    expect(state.status).toBe('EXECUTED');
    expect(desk.submitted.map((o) => [o.symbol, o.side, o.qty])).toEqual([['SPY', 'buy', 10]]);
    const types = (await streams.proposal('p-calm').read(store)).map((e) => e.type);
    expect(types).toEqual(['ProposalOpened', 'ProposalApproved', 'ExecutionAttempted', 'OrderSubmitted', 'ExecutionCompleted']);
    // The kill switch was a condition of the approval, not written to.
    expect(await store.read(streams.control(COUNCIL).name)).toEqual([]);
  });

  it('When trading was halted and then resumed before the click, Then the approval goes through', async () => {
    const store = await storeOf();
    await openProposal(store, 'p-resumed');
    const notices: Notice[] = [];
    const desk = paperDesk();
    const deps = depsOf(store, desk.broker, notices);
    await setHalted({ ...deps, accounts: ['acct'] }, true, 'cli:ops', now);
    await expect(approveProposal(deps, { proposalId: 'p-resumed', by: 'slack:U1', via: 'slack', now })).rejects.toMatchObject({ code: 'HALTED' });
    await setHalted({ ...deps, accounts: ['acct'] }, false, 'cli:ops', now);

    const { state } = await approveProposal(deps, { proposalId: 'p-resumed', by: 'slack:U1', via: 'slack', now });

    expect(state.approvedBy?.by).toBe('slack:U1');
    expect(desk.submitted).toHaveLength(1);
  });
});
