/**
 * Views of the proposal listing that every checkpoint asks for, carried from one listing to the next.
 * The repository answers with a new array whenever a proposal moved, but keeps each unmoved proposal's
 * state object and its place (names in order, streams never removed). A backtest lists thousands of times
 * over thousands of proposals of which a few moved: walking the new listing beside the last one finds those
 * few with one identity comparison per proposal, where a filter or a lookup per state cost a call each.
 *
 * The walk relies on nothing for its answer: a state that is the very object at the walk's place in the
 * last listing is unmoved (states are immutable); any other is looked at afresh, so a listing of another
 * lineage (another store) or order only makes the walk look at more states.
 */
import type { ProposalState } from '../domain/proposal.ts';

/**
 * Calls `moved` for each state of `next`, in its order, that is not the very state at its place in
 * `last`: the proposals that moved or are new since `last` was listed.
 */
export function eachMoved(last: readonly ProposalState[], next: readonly ProposalState[], moved: (state: ProposalState) => void): void {
  let j = 0;
  for (const state of next) {
    const before = last[j];
    if (state === before) {
      j++;
      continue;
    }
    // A proposal that moved takes its old place; a new one is inserted before the place.
    if (before !== undefined && before.proposalId === state.proposalId) j++;
    moved(state);
  }
}

/**
 * `listing.filter(test)`, answered from the last listing's answer: an unmoved state keeps the verdict it
 * had, and only the states that moved are tested. The same array again for the same listing.
 */
export function listingFilter(test: (state: ProposalState) => boolean): (listing: readonly ProposalState[]) => readonly ProposalState[] {
  let last: { listing: readonly ProposalState[]; kept: readonly ProposalState[] } | undefined;
  return (listing) => {
    if (last?.listing === listing) return last.kept;
    const kept = last ? refiltered(last.listing, last.kept, listing, test) : listing.filter(test);
    last = { listing, kept };
    return kept;
  };
}

/** The states of `next` that pass `test`, where `kept` are those of `last` that did (in order). */
function refiltered(last: readonly ProposalState[], kept: readonly ProposalState[], next: readonly ProposalState[], test: (state: ProposalState) => boolean): ProposalState[] {
  const out: ProposalState[] = [];
  let j = 0; // the place in `last`
  let k = 0; // the place in `kept`: how many of last[0..j) passed
  for (const state of next) {
    const before = last[j];
    const passed = before !== undefined && kept[k] === before;
    if (state === before) {
      if (passed) {
        out.push(state);
        k++;
      }
      j++;
      continue;
    }
    if (before !== undefined && before.proposalId === state.proposalId) {
      if (passed) k++;
      j++;
    }
    if (test(state)) out.push(state);
  }
  return out;
}
