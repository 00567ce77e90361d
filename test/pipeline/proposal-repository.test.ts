/**
 * The proposal repository folds each proposal once and the listing incrementally: it reads only the
 * events after the last it saw, gives a new state only to the proposals that moved, and the very same
 * array while none did. The listing of streams stays the truth about versions, so an event that
 * committed behind a later position (PostgreSQL) is still folded.
 */
import { describe, expect, it } from 'vitest';
import type { ProposalEvent } from '../../src/domain/proposal.ts';
import { createProposalRepository } from '../../src/pipeline/proposals/repository.ts';
import { streams } from '../../src/pipeline/streams.ts';
import { createMemoryEventStore } from '../../src/store/memory.ts';
import type { EventStore, ReadAllOptions, StoredEvent } from '../../src/store/port.ts';

const at = new Date('2026-11-24T15:00:00Z');

const opened = (proposalId: string): ProposalEvent => ({
  type: 'ProposalOpened',
  data: {
    proposalId,
    council: 'c',
    week: '2026-11-23',
    runId: 'r1',
    asOf: '2026-11-23T13:00:00Z',
    expiresAt: '2026-11-25T21:00:00Z',
    decision: { instrument: 'SPY', direction: 'LONG', conviction: 1, horizon: '1w' },
    orders: [],
    targets: [],
  },
});
const rejected: ProposalEvent = { type: 'ProposalRejected', data: { by: 'slack:U1', at: at.toISOString(), via: 'slack', reason: null } };

/** The store, with every read it is asked for written down (a wrapper, not a mock: the store answers). */
function watched(inner: EventStore, hide: (e: StoredEvent) => boolean = () => false) {
  const reads: string[] = [];
  const readAlls: ReadAllOptions[] = [];
  const store: EventStore = {
    ...inner,
    read: (stream) => {
      reads.push(stream);
      return inner.read(stream);
    },
    readAll: async (options = {}) => {
      readAlls.push(options);
      return (await inner.readAll(options)).filter((e) => !hide(e));
    },
  };
  return { store, reads, readAlls };
}

async function openMany(store: EventStore, ids: readonly string[]): Promise<void> {
  for (const id of ids) await streams.proposal(id).append(store, 0, [opened(id)]);
}

describe('Proposal repository', () => {
  it('When nothing moved since the last listing, Then the very same array comes back and no stream is read', async () => {
    const { store, reads, readAlls } = watched(createMemoryEventStore(() => at));
    await openMany(store, ['p1', 'p2', 'p3']);
    const proposals = createProposalRepository(store);

    const first = await proposals.list();
    const second = await proposals.list();

    expect(second).toBe(first);
    expect(first.map((p) => p.proposalId)).toEqual(['p1', 'p2', 'p3']);
    expect(reads).toEqual([]);
    expect(readAlls).toHaveLength(1);
  });

  it('When one proposal of three moves, Then the listing reads only the events after the last it saw and only that proposal gets a new state', async () => {
    const { store, reads, readAlls } = watched(createMemoryEventStore(() => at));
    await openMany(store, ['p1', 'p2', 'p3']);
    const proposals = createProposalRepository(store);
    const before = await proposals.list();
    await streams.proposal('p2').append(store, 1, [rejected]);

    const after = await proposals.list();

    expect(after).not.toBe(before);
    expect(after[0]).toBe(before[0]);
    expect(after[2]).toBe(before[2]);
    expect(after[1]?.status).toBe('REJECTED');
    expect(readAlls.at(-1)?.after).toBe('3');
    expect(reads).toEqual([]);
  });

  it('When a proposal is loaded after it moved, Then the next listing shows its new state without folding it again', async () => {
    const store = createMemoryEventStore(() => at);
    await openMany(store, ['p1', 'p2']);
    const proposals = createProposalRepository(store);
    await proposals.list();
    await streams.proposal('p1').append(store, 1, [rejected]);
    const loaded = await proposals.load('p1');

    const listed = await proposals.list();

    expect(listed[0]).toBe(loaded);
    expect(loaded.status).toBe('REJECTED');
  });

  it('When an event committed behind a position the listing had already read past (PostgreSQL), Then the listing still folds it, reading that stream whole', async () => {
    const inner = createMemoryEventStore(() => at);
    await openMany(inner, ['p1', 'p2']);
    // The rejection of p1 is not among the events read after the last position: as if it had committed late.
    let hidden = true;
    const { store, reads } = watched(inner, (e) => hidden && e.stream === 'proposal:p1' && e.version === 2);
    const proposals = createProposalRepository(store);
    await proposals.list();
    await streams.proposal('p1').append(inner, 1, [rejected]);
    await streams.proposal('p2').append(inner, 1, [rejected]);

    const listed = await proposals.list();
    hidden = false;

    expect(listed.map((p) => p.status)).toEqual(['REJECTED', 'REJECTED']);
    expect(reads).toEqual(['proposal:p1']);
  });

  it('When a new proposal is opened, Then it takes its place in stream order', async () => {
    const store = createMemoryEventStore(() => at);
    await openMany(store, ['b', 'd']);
    const proposals = createProposalRepository(store);
    await proposals.list();
    await openMany(store, ['c', 'a']);

    expect((await proposals.list()).map((p) => p.proposalId)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('Proposal repository, listing after listing', () => {
  it('When two proposals open between the same neighbours while another moves, Then the new listing holds all in stream order and the last one is left as it was', async () => {
    const store = createMemoryEventStore(() => at);
    await openMany(store, ['a', 'd']);
    const proposals = createProposalRepository(store);
    const before = await proposals.list();
    await openMany(store, ['c', 'b', 'e']);
    await streams.proposal('d').append(store, 1, [rejected]);

    const after = await proposals.list();

    expect(after.map((p) => `${p.proposalId} ${p.status}`)).toEqual(['a PENDING', 'b PENDING', 'c PENDING', 'd REJECTED', 'e PENDING']);
    expect(before.map((p) => `${p.proposalId} ${p.status}`)).toEqual(['a PENDING', 'd PENDING']);
    expect(after[0]).toBe(before[0]);
    await openMany(store, ['f']);
    expect((await proposals.list()).map((p) => p.proposalId)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
});

describe('Proposal repository on a store whose positions follow commits (memory, PGlite)', () => {
  const summary = (states: readonly { proposalId: string; status: string }[]) => states.map((p) => `${p.proposalId} ${p.status}`);

  it('When nothing moved, Then the very same array comes back, the store’s listing of streams is never asked for, and no stream is read', async () => {
    const { store, reads } = watched(createMemoryEventStore(() => at));
    let listed = 0;
    const counting: EventStore = {
      ...store,
      streams: (prefix) => {
        listed += 1;
        return store.streams(prefix);
      },
    };
    await openMany(store, ['p1', 'p2']);
    const proposals = createProposalRepository(counting, { commitOrdered: true });

    const first = await proposals.list();

    expect(await proposals.list()).toBe(first);
    expect(summary(first)).toEqual(['p1 PENDING', 'p2 PENDING']);
    expect(listed).toBe(0);
    expect(reads).toEqual([]);
  });

  it('When proposals open anywhere, move, or are loaded before they exist, Then each listing is what a repository reading the store’s listing answers', async () => {
    const store = createMemoryEventStore(() => at);
    await openMany(store, ['d', 'b']);
    const ordered = createProposalRepository(store, { commitOrdered: true });
    const before = await ordered.list();
    expect((await ordered.load('c')).exists).toBe(false);
    expect(await ordered.list()).toEqual(before);

    await openMany(store, ['c', 'a', 'e']);
    await streams.proposal('d').append(store, 1, [rejected]);
    await ordered.load('a');
    const after = await ordered.list();

    expect(summary(after)).toEqual(summary(await createProposalRepository(store).list()));
    expect(summary(after)).toEqual(['a PENDING', 'b PENDING', 'c PENDING', 'd REJECTED', 'e PENDING']);
    expect(summary(before)).toEqual(['b PENDING', 'd PENDING']);
    expect(after[1]).toBe(before[0]);
  });

  it('When the first listing comes after loads, Then it holds every stream with events, in stream order', async () => {
    const store = createMemoryEventStore(() => at);
    await openMany(store, ['y', 'x']);
    const ordered = createProposalRepository(store, { commitOrdered: true });
    await ordered.load('y');
    await ordered.load('missing');

    expect(summary(await ordered.list())).toEqual(['x PENDING', 'y PENDING']);
  });
});
