/**
 * Typed streams: events are read back as their stream's union, checked by zod, including the shapes
 * older versions wrote; an event no schema admits is refused with where it is, not read as garbage. A
 * backtest's store, which only the run's typed code writes to, vouches for its events: they are read as stored.
 */
import { describe, expect, it } from 'vitest';
import { foldProposal } from '../../src/domain/proposal.ts';
import { createMemoryEventStore } from '../../src/store/memory.ts';
import { isHalted } from '../../src/pipeline/execution.ts';
import { MalformedEventError, readStream, streams } from '../../src/pipeline/streams.ts';
import { foldWeek, parseWeekEvent } from '../../src/pipeline/week.ts';
import { isVouchedFor } from '../../src/store/trusted.ts';

const at = new Date('2026-11-24T15:00:00Z');

const opened = {
  proposalId: 'p1',
  council: 'c',
  week: '2026-11-23',
  runId: 'r1',
  asOf: '2026-11-23T13:00:00Z',
  expiresAt: '2026-11-25T21:00:00Z',
  decision: { instrument: 'SPY', direction: 'LONG', conviction: 1, horizon: '1w' },
  orders: [{ account: 'a', symbol: 'SPY', side: 'buy', qty: 3, reason: 'open LONG', clamps: [], clientOrderId: 'tc-p1-a-SPY' }],
};

describe('Typed streams', () => {
  it('When a proposal stream holds events as the first releases wrote them (no targets, an approval without orders, an expiry without reason), Then they read back typed and fold', async () => {
    const store = createMemoryEventStore(() => at);
    await store.append('proposal:p1', 0, [
      { type: 'ProposalOpened', data: opened },
      { type: 'ApprovalRefused', data: { by: 'x', at: at.toISOString(), via: 'slack', action: 'approve', reason: 'not an approver' } },
      { type: 'ProposalApproved', data: { by: 'slack:U1', at: at.toISOString(), via: 'slack', extra: 'kept' } },
    ]);
    const events = await readStream(store, streams.proposal('p1'));
    expect(events.map((e) => e.type)).toEqual(['ProposalOpened', 'ApprovalRefused', 'ProposalApproved']);
    const [first, , approved] = events;
    expect(first?.type === 'ProposalOpened' && first.data.targets).toBe(undefined);
    expect(approved?.type === 'ProposalApproved' && approved.data.orders).toBe(undefined);
    expect(approved?.data).toMatchObject({ extra: 'kept' });
    const state = foldProposal(events);
    expect([state.status, state.refusals, state.orders.length]).toEqual(['APPROVED', 1, 1]);
  });

  it('When the kill switch and its refusals are read, Then each comes typed, an older HaltRefused without `via` too', async () => {
    const store = createMemoryEventStore(() => at);
    await store.append('control:c', 0, [{ type: 'Halted', data: { by: 'cli:ops', at: at.toISOString() } }]);
    await store.appendAtHead('refusals:control:c', [{ type: 'HaltRefused', data: { by: 'slack:U9', at: at.toISOString(), action: 'halt', reason: 'not an approver' } }]);
    const [halted] = await readStream(store, streams.control('c'));
    expect(halted?.data.by).toBe('cli:ops');
    const [refused] = await readStream(store, streams.controlRefusals('c'));
    expect(refused?.type === 'HaltRefused' && refused.data.via).toBe(undefined);
  });

  it("When an older control stream holds a stranger's HaltRefused after the halt, Then it still reads and trading is still halted", async () => {
    const store = createMemoryEventStore(() => at);
    await store.append('control:c', 0, [
      { type: 'Halted', data: { by: 'cli:ops', at: at.toISOString() } },
      { type: 'HaltRefused', data: { by: 'slack:U9', at: at.toISOString(), action: 'resume', reason: 'not an approver' } },
    ]);
    expect(await isHalted(store, 'c')).toEqual({ halted: true, by: 'cli:ops', at: at.toISOString() });
    await store.append('control:c', 2, [{ type: 'Resumed', data: { by: 'cli:ops', at: at.toISOString() } }]);
    expect((await isHalted(store, 'c')).halted).toBe(false);
  });

  it('When an event in a stream does not match the schema, Then reading it fails naming the stream and the version', async () => {
    const store = createMemoryEventStore(() => at);
    await store.append('proposal:bad', 0, [
      { type: 'ProposalOpened', data: opened },
      { type: 'OrderRejected', data: { reason: 'no id' } },
    ]);
    const error = await readStream(store, streams.proposal('bad')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedEventError);
    expect((error as MalformedEventError).message).toMatch(/event 2 \(OrderRejected\) of stream proposal:bad/);
  });

  it('When a typed decision is appended to a checkpoint stream twice, Then it is recorded once and read back typed', async () => {
    const store = createMemoryEventStore(() => at);
    const stream = streams.checkpoint('c', '2026-11-23');
    const exit = {
      proposalId: 'exit-1',
      at: at.toISOString(),
      account: 'a',
      symbol: 'SPY',
      side: 'sell' as const,
      qty: 3,
      reason: 'horizon' as const,
      detail: 'due',
      entryProposalId: 'p1',
    };
    for (let i = 0; i < 2; i++)
      await stream.decide(store, (events) => (events.some((e) => e.type === 'ExitOrdered' && e.data.proposalId === exit.proposalId) ? [] : [{ type: 'ExitOrdered', data: exit }]));
    const events = await readStream(store, stream);
    expect(events.map((e) => (e.type === 'ExitOrdered' ? e.data.entryProposalId : null))).toEqual(['p1']);
  });

  it('When a store trusting its writers (the backtest’s) holds the events, Then each is read as stored, with no schema check; a store that does not trust them still checks', async () => {
    const trusting = createMemoryEventStore(() => at, { trust: true });
    await trusting.append('proposal:p1', 0, [{ type: 'ProposalOpened', data: opened }]);
    const stored = await trusting.read('proposal:p1');
    const [read] = await readStream(trusting, streams.proposal('p1'));
    expect(read).toBe(stored[0]);
    // The mark is the event's own: a copy of it is not vouched for.
    expect(isVouchedFor(stored[0]!)).toBe(true);
    expect(isVouchedFor({ ...stored[0]! })).toBe(false);
    expect(foldProposal(await readStream(trusting, streams.proposal('p1'))).status).toBe('PENDING');
    const started = { runId: 'r1', week: '2026-11-23', asOf: at.toISOString(), query: null, seats: [], chair: { models: ['m'], account: 'COUNCIL' } };
    await trusting.append('week:c:2026-11-23', 0, [{ type: 'RunStarted', data: started }]);
    const [week] = await trusting.read('week:c:2026-11-23');
    expect(parseWeekEvent(week!)?.data).toBe(week!.data);
    // The same events in a store that does not vouch for them are parsed: a copy, checked.
    const checking = createMemoryEventStore(() => at);
    await checking.append('week:c:2026-11-23', 0, [{ type: 'RunStarted', data: started }]);
    const [checked] = await checking.read('week:c:2026-11-23');
    expect(parseWeekEvent(checked!)?.data).not.toBe(checked!.data);
    expect(foldWeek([checked!]).started).toEqual(foldWeek([week!]).started);
  });

  it('When a decision is appended without reading the stream back, Then it answers the version, the decision sees the events parsed, and deciding nothing answers the version read', async () => {
    const store = createMemoryEventStore(() => at);
    const stream = streams.proposal('p1');
    const seen: string[][] = [];
    const decideOpen = (events: { type: string }[]) => {
      seen.push(events.map((e) => e.type));
      return events.length === 0 ? [{ type: 'ProposalOpened' as const, data: { ...opened, orders: [] } }] : [];
    };

    expect(await stream.appendDecision(store, decideOpen)).toBe(1);
    expect(await stream.appendDecision(store, decideOpen)).toBe(1);
    expect(seen).toEqual([[], ['ProposalOpened']]);
    // decide answers the events after the decision, parsed, whether or not it appended.
    const decided = await stream.decide(store, () => [{ type: 'ProposalExpired', data: { at: at.toISOString() } }]);
    expect(decided.map((e) => [e.version, e.type])).toEqual([
      [1, 'ProposalOpened'],
      [2, 'ProposalExpired'],
    ]);
    expect((await stream.decide(store, () => [])).map((e) => e.version)).toEqual([1, 2]);
  });
});
