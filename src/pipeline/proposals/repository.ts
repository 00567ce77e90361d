/**
 * The proposal repository: every proposal's state folded from its stream, held by one instance (the
 * composition root builds one per app). Events never change once written, so a state folded to version
 * n stays true for those n events and only newer events are folded; the listing reads only the events
 * appended after the last it saw, and answers with the very same array while nothing moved.
 */
import { evolveProposal, initialProposalState, type ProposalState } from '../../domain/proposal.ts';
import type { EventStore, StoredEvent } from '../../store/port.ts';
import { parseEvent, proposalStream, streamPrefixes, streams } from '../streams.ts';

export interface ProposalRepository {
  /** One proposal's state as its stream is now (not opened: `exists` false). */
  load(proposalId: string): Promise<ProposalState>;
  /** Every proposal's state, in stream name order; the same array as last time while no proposal moved. */
  list(): Promise<readonly ProposalState[]>;
  /** The state this repository last folded for the proposal, without reading; undefined if never folded. */
  known(proposalId: string): ProposalState | undefined;
  /** The state of a proposal's stream as the caller just read it (folding only what is new to this repository). */
  fold(proposalId: string, events: readonly StoredEvent[]): ProposalState;
}

/** A folded proposal: the version it was folded to, and the global position of that last event. */
type Folded = { version: number; last: string | undefined; state: ProposalState };

/** The last listing given: the store's stream listing it answered (none on a commit-ordered store), its answer, and each answer's stream name. */
type Listing = { source: unknown; answer: readonly ProposalState[]; names: string[] };

/** Where a stream is or would go in a list sorted by name (JavaScript's order): the first place not before it. */
function insertionOf<T>(sorted: readonly T[], stream: string, nameOf: (item: T) => string = String): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (nameOf(sorted[mid] as T) < stream) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where a stream is in a listing's names: a binary search, then a scan if the order is not JavaScript's; -1 if absent. */
function placeOf(names: readonly string[], stream: string): number {
  const at = insertionOf(names, stream);
  return names[at] === stream ? at : names.indexOf(stream);
}

/** Whether global position `a` comes after `b` (decimal strings of whole numbers, compared without a BigInt each). */
const isAfter = (a: string, b: string): boolean => (a.length === b.length ? a > b : a.length > b.length);

const PREFIX = streamPrefixes.proposal;
const streamOf = (entry: { stream: string }) => entry.stream;

export interface RepositoryOptions {
  /**
   * true when the store gives global positions in commit order (one writer: the memory store, embedded
   * PGlite). Then the events after the last position read are all that moved (a new stream among them
   * by its first event), and a listing never asks the store for its streams, nor walks their versions to
   * catch an event that committed late (PostgreSQL, several writers).
   */
  commitOrdered?: boolean;
}

export function createProposalRepository(store: EventStore, options: RepositoryOptions = {}): ProposalRepository {
  const folded = new Map<string, Folded>();
  let listing: Listing | undefined;
  /** The global position of the last proposal event the listing has read. */
  let seen: string | undefined;
  /** Proposals folded to a new state since the last listing was given (by a load, a fold or the listing). */
  const moved = new Set<string>();

  function remember(proposalId: string, events: readonly StoredEvent[], state: ProposalState): ProposalState {
    const last = events[events.length - 1];
    folded.set(proposalId, { version: last?.version ?? 0, last: last?.globalPosition, state });
    moved.add(proposalId);
    return state;
  }

  function fold(proposalId: string, events: readonly StoredEvent[]): ProposalState {
    const known = folded.get(proposalId);
    // The position guards against a store emptied and refilled: then the stream is folded afresh.
    const still = known !== undefined && known.version <= events.length && events[known.version - 1]?.globalPosition === known.last;
    if (still && known.version === events.length) return known.state;
    return remember(proposalId, events, foldFrom(proposalId, events, still ? known.version : 0, still ? known.state : initialProposalState()));
  }

  /** `state` with the stream's events from index `from` on folded in, each parsed (no copy of the events). */
  function foldFrom(proposalId: string, events: readonly StoredEvent[], from: number, state: ProposalState): ProposalState {
    const stream = streams.proposal(proposalId);
    let next = state;
    for (let i = from; i < events.length; i++) next = evolveProposal(next, parseEvent(stream, events[i] as StoredEvent));
    return next;
  }

  async function load(proposalId: string): Promise<ProposalState> {
    return fold(proposalId, await store.read(proposalStream(proposalId)));
  }

  /**
   * Folds the proposal events appended since the listing last looked, stream by stream. A stream whose
   * new events do not follow what was folded (a gap) is read whole.
   */
  async function foldNew(): Promise<void> {
    const fresh = await store.readAll(seen === undefined ? { streamPrefix: PREFIX } : { streamPrefix: PREFIX, after: seen });
    if (fresh.length === 0) return; // nothing moved: most listings
    const byStream = new Map<string, StoredEvent[]>();
    for (const e of fresh) {
      const events = byStream.get(e.stream) ?? [];
      if (events.length === 0) byStream.set(e.stream, events);
      events.push(e);
      if (seen === undefined || isAfter(e.globalPosition, seen)) seen = e.globalPosition;
    }
    for (const [name, events] of byStream) {
      const proposalId = name.slice(PREFIX.length);
      const known = folded.get(proposalId);
      const from = known?.version ?? 0;
      // The events are in version order: those already folded (by a load) come first.
      let start = 0;
      while (start < events.length && (events[start] as StoredEvent).version <= from) start++;
      const first = events[start];
      if (!first) continue; // already folded by a load
      if (first.version !== from + 1) await load(proposalId);
      else remember(proposalId, events, foldFrom(proposalId, events, start, known?.state ?? initialProposalState()));
    }
  }

  async function list(): Promise<readonly ProposalState[]> {
    if (options.commitOrdered) {
      // Every event after the last position read is all that moved, and a new stream shows there by its
      // first event: the store's listing of streams is not needed (a memory store copies it whenever a
      // proposal moves, thousands of times over thousands of proposals in a backtest).
      await foldNew();
      if (listing && moved.size === 0) return listing.answer;
      const changed = [...moved];
      moved.clear();
      listing = relisted(listing, listing ? undefined : foldedStreams(), changed);
      return listing.answer;
    }
    const entries = await store.streams(PREFIX);
    // The memory store answers an unchanged prefix with the very same listing: nothing moved.
    if (listing?.source === entries && moved.size === 0) return listing.answer;
    await foldNew();
    // The listing is the truth about versions. On PostgreSQL an event can commit after a later position
    // was read (positions are taken before commit): a stream the listing shows further on is read whole.
    for (const { stream, version } of entries) {
      const proposalId = stream.slice(PREFIX.length);
      if ((folded.get(proposalId)?.version ?? 0) < version) await load(proposalId);
    }
    const changed = [...moved];
    moved.clear();
    if (listing && changed.length === 0 && entries.length === listing.answer.length) {
      listing.source = entries;
      return listing.answer;
    }
    listing = relisted(listing, entries, changed);
    return listing.answer;
  }

  /** Every stream folded that holds an event, in name order: a commit-ordered store's listing once foldNew has run. */
  function foldedStreams(): { stream: string }[] {
    const names: string[] = [];
    for (const [proposalId, { version }] of folded) if (version > 0) names.push(PREFIX + proposalId);
    return names.sort().map((stream) => ({ stream }));
  }

  /**
   * The next listing from the last: proposals that did not move keep their state, the moved get theirs,
   * and new ones take their place by a binary search (streams are never removed, and a store lists in
   * "C" order, JavaScript's for these names). The answer is one new array (callers remember views by its
   * identity), allocated once at its length; the names, this repository's own, grow in place. Only when
   * that does not add up to the store's listing (a name out of that order, or a stream whose fold an
   * earlier listing took) is the store's listing walked, matching names against the last. Without the
   * store's listing (a commit-ordered store: `entries` undefined), a stream is new when it holds an event.
   * A backtest lists thousands of times over thousands of proposals.
   */
  function relisted(last: Listing | undefined, entries: readonly { stream: string }[] | undefined, changed: readonly string[]): Listing {
    if (last) {
      const { names } = last;
      let answer: ProposalState[] | undefined;
      let added: { at: number; stream: string; state: ProposalState }[] | undefined;
      let fits = true;
      for (let i = 0; i < changed.length; i++) {
        const proposalId = changed[i] as string;
        const stream = PREFIX + proposalId;
        const { version, state } = folded.get(proposalId) as Folded;
        const at = insertionOf(names, stream);
        if (names[at] === stream) {
          answer ??= last.answer.slice();
          answer[at] = state;
        } else if (entries ? entries[insertionOf(entries, stream, streamOf)]?.stream === stream : version > 0) {
          added ??= [];
          added.push({ at, stream, state });
        } else if (entries) fits = false;
      }
      if (fits && (!entries || names.length + (added?.length ?? 0) === entries.length)) {
        const from = answer ?? last.answer;
        if (!added) return { source: entries, answer: answer ?? from.slice(), names };
        // Merged in one pass into an array of the new length; the names take the new ones in place,
        // from the last place back, so each place found in the old names still holds.
        added.sort((x, y) => x.at - y.at || (x.stream < y.stream ? -1 : 1));
        const merged = new Array<ProposalState>(from.length + added.length);
        let read = 0;
        let write = 0;
        for (const { at, state } of added) {
          while (read < at) merged[write++] = from[read++] as ProposalState;
          merged[write++] = state;
        }
        while (read < from.length) merged[write++] = from[read++] as ProposalState;
        for (let i = added.length - 1; i >= 0; i--) {
          const { at, stream } = added[i] as (typeof added)[number];
          if (at === names.length) names.push(stream);
          else names.splice(at, 0, stream);
        }
        return { source: entries, answer: merged, names };
      }
    }
    const stateOf = (stream: string) => (folded.get(stream.slice(PREFIX.length)) as Folded).state;
    const names: string[] = [];
    const answer: ProposalState[] = [];
    let j = 0;
    for (const { stream } of entries ?? foldedStreams()) {
      names.push(stream);
      answer.push(last && last.names[j] === stream ? (last.answer[j++] as ProposalState) : stateOf(stream));
    }
    for (const proposalId of changed) {
      const at = placeOf(names, PREFIX + proposalId);
      if (at >= 0) answer[at] = (folded.get(proposalId) as Folded).state;
    }
    return { source: entries, answer, names };
  }

  return { load, list, known: (proposalId) => folded.get(proposalId)?.state, fold };
}

// The repository of each store for callers that pass a store, not a repository (the function API that
// execution.ts keeps for the app layer). New code takes the repository the composition root built.
const byStore = new WeakMap<EventStore, ProposalRepository>();

/** The repository this module keeps for a store (one per store object). */
export function repositoryOf(store: EventStore): ProposalRepository {
  let repository = byStore.get(store);
  if (!repository) {
    repository = createProposalRepository(store);
    byStore.set(store, repository);
  }
  return repository;
}
