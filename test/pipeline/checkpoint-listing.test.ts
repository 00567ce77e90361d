/**
 * The checkpoint's listing views (checkpoint-listing.ts) carried from one proposal listing to the next:
 * the same answers as filtering each listing afresh, over listings that move as the repository's do
 * (states replaced in place, proposals inserted by name) and over listings that do not (another store's,
 * reordered), from a seeded walk.
 */
import { describe, expect, it } from 'vitest';
import { initialProposalState, type ProposalState } from '../../src/domain/proposal.ts';
import { eachMoved, listingFilter } from '../../src/pipeline/checkpoint-listing.ts';

/** A small seeded generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const stateOf = (proposalId: string, pending: boolean): ProposalState => ({ ...initialProposalState(), exists: true, proposalId, status: pending ? 'PENDING' : 'EXECUTED' });

/** The next listing as the repository makes it: a few states moved in place, a few proposals inserted in name order. */
function moved(listing: readonly ProposalState[], next: () => number, serial: { n: number }): ProposalState[] {
  const out = listing.map((s) => (next() < 0.05 ? stateOf(s.proposalId, next() < 0.3) : s));
  const inserts = Math.floor(next() * 3);
  for (let i = 0; i < inserts; i++) out.push(stateOf(`p-${String(serial.n++).padStart(5, '0')}-${Math.floor(next() * 1000)}`, next() < 0.5));
  return out.sort((a, b) => (a.proposalId < b.proposalId ? -1 : a.proposalId > b.proposalId ? 1 : 0));
}

describe('the checkpoint listing views', () => {
  it('When listings move as the repository moves them, Then the carried filter answers as a fresh filter and only moved or new states are looked at', () => {
    const next = random(21);
    const serial = { n: 0 };
    const pending = (s: ProposalState) => s.status === 'PENDING';
    const view = listingFilter(pending);
    let listing: ProposalState[] = [];
    for (let step = 0; step < 400; step++) {
      const last = listing;
      listing = moved(last, next, serial);
      const lastStates = new Set(last);
      const looked: ProposalState[] = [];
      eachMoved(last, listing, (s) => looked.push(s));
      expect(looked).toEqual(listing.filter((s) => !lastStates.has(s)));
      expect(view(listing)).toEqual(listing.filter(pending));
      // The same listing again: the very same answer.
      expect(view(listing)).toBe(view(listing));
    }
    expect(listing.length).toBeGreaterThan(300);
  });

  it('When a listing comes from another lineage (reordered, or with states gone), Then the answers are still those of a fresh filter', () => {
    const next = random(7);
    const serial = { n: 0 };
    const pending = (s: ProposalState) => s.status === 'PENDING';
    const view = listingFilter(pending);
    let listing: ProposalState[] = [];
    for (let step = 0; step < 200; step++) {
      const last = listing;
      listing = moved(last, next, serial);
      if (step % 7 === 3) listing = listing.filter(() => next() < 0.8);
      if (step % 11 === 5) listing = [...listing].reverse();
      const lastStates = new Set(last);
      const looked = new Set<ProposalState>();
      eachMoved(last, listing, (s) => looked.add(s));
      for (const s of listing) if (!lastStates.has(s)) expect(looked.has(s)).toBe(true);
      expect(view(listing)).toEqual(listing.filter(pending));
    }
  });
});
