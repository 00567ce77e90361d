/**
 * Every stream the council's pipeline writes, by name, with the zod schema of the events it may hold,
 * and a typed way to read and append them: `readStream(store, streams.proposal(id))` returns the
 * parsed union, so no reader casts `data`. Schemas accept whatever was ever written to the stream
 * (fields added later are optional, unknown keys kept), so an existing database still reads.
 *
 * The week stream's events (`week:<council>:<week>`) have their typed union in week.ts, where the week
 * decider folds them (parseWeekEvent); the LLM audit streams (`llm:…`) are src/llm's.
 */
import { z } from 'zod';
import type { ProposalEvent } from '../domain/proposal.ts';
import { appendDecided, appendDecision } from '../store/append.ts';
import type { EventStore, StoredEvent, StreamAppend } from '../store/port.ts';
import { isVouchedFor } from '../store/trusted.ts';
import { checkpointEventSchema } from './checkpoint-record.ts';
import type { AccountReconciliation } from './notices.ts';
import { approvalRefused, proposalEventSchema } from './proposals/events.ts';

/** The name of a council week's stream (its events: week.ts). */
export const weekStream = (council: string, week: string) => `week:${council}:${week}`;

/** The name of a proposal's stream (see `streams.proposal`). */
export const proposalStream = (proposalId: string) => `proposal:${proposalId}`;

/** An event as appended: its type and its payload. */
export interface EventOf<T extends string = string, D = unknown> {
  type: T;
  data: D;
}

/**
 * One stream: its name, the schema every event in it is checked against when read, and its reads and
 * appends typed by that union. (Methods, not generic functions: a decision's events then take their
 * type from the stream, with no annotation at the call.)
 */
export interface Stream<E extends EventOf> {
  readonly name: string;
  readonly schema: z.ZodType<E>;
  /** All its events, in order, parsed. */
  read(store: EventStore): Promise<Recorded<E>[]>;
  /** Stored events of this stream, parsed. */
  parse(events: readonly StoredEvent[]): Recorded<E>[];
  /** Appends at the expected version (EventStore.append). */
  append(store: EventStore, expectedVersion: number, events: readonly E[]): Promise<number>;
  /** Appends at the head, for records nothing decides on (EventStore.appendAtHead). */
  appendAtHead(store: EventStore, events: readonly E[]): Promise<number>;
  /**
   * Appends what `decide` returns for the events as they are now, deciding again after a concurrent
   * write (store/append.ts, the one retry policy). Returns the events after the append, parsed.
   */
  decide(store: EventStore, decide: (events: Recorded<E>[]) => readonly E[]): Promise<Recorded<E>[]>;
  /**
   * `decide` without reading the stream back (store/append.ts, appendDecision): the stream's last
   * version after the decision. For callers that need only the decision written.
   */
  appendDecision(store: EventStore, decide: (events: Recorded<E>[]) => readonly E[]): Promise<number>;
  /** This stream's part of an `appendMany`. */
  part(expectedVersion: number, events: readonly E[]): StreamAppend;
}

/** A stored event whose type and data were checked against its stream's schema (one member of the union each). */
export type Recorded<E extends EventOf> = E extends EventOf ? Omit<StoredEvent, 'type' | 'data'> & E : never;

/** Refusals around the kill switch and requests refused before any use case ran. */
export type ControlRefusalEvent =
  | { type: 'HaltRefused'; data: { by: string; at: string; action: string; reason: string; via?: string } }
  | { type: 'RequestRefused'; data: { by: string; at: string; via: string; action: string; reason: string } };

/**
 * The kill switch: `Halted` stops approvals and cancels open orders, `Resumed` lifts it. `Paused` stops
 * new entries only (exits, stops and checkpoints go on), `Unpaused` lifts it. Stores written before
 * refusals had streams of their own also hold a stranger's `HaltRefused` here.
 */
export type ControlEvent =
  | { type: 'Halted'; data: { by: string; at: string } }
  | { type: 'Resumed'; data: { by: string; at: string } }
  | { type: 'Paused'; data: { by: string; at: string; via?: string } }
  | { type: 'Unpaused'; data: { by: string; at: string; via?: string } }
  | Extract<ControlRefusalEvent, { type: 'HaltRefused' }>;

export type Refusal = Extract<ProposalEvent, { type: 'ApprovalRefused' }>['data'];

export type ReconciliationEvent = { type: 'Reconciled'; data: { at: string; accounts: AccountReconciliation[] } };

const byAt = z.looseObject({ by: z.string(), at: z.string() });

const haltRefused = z.object({
  type: z.literal('HaltRefused'),
  data: z.looseObject({ by: z.string(), at: z.string(), action: z.string(), reason: z.string(), via: z.string().optional() }),
});

const controlEventSchema: z.ZodType<ControlEvent> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Halted'), data: byAt }),
  z.object({ type: z.literal('Resumed'), data: byAt }),
  z.object({ type: z.literal('Paused'), data: byAt.extend({ via: z.string().optional() }) }),
  z.object({ type: z.literal('Unpaused'), data: byAt.extend({ via: z.string().optional() }) }),
  haltRefused,
]);

const refusalEventSchema: z.ZodType<{ type: 'ApprovalRefused'; data: Refusal }> = approvalRefused;

const controlRefusalEventSchema: z.ZodType<ControlRefusalEvent> = z.discriminatedUnion('type', [
  haltRefused,
  z.object({ type: z.literal('RequestRefused'), data: z.looseObject({ by: z.string(), at: z.string(), via: z.string(), action: z.string(), reason: z.string() }) }),
]);

const reconciliationEventSchema: z.ZodType<ReconciliationEvent> = z.object({
  type: z.literal('Reconciled'),
  // Each account's comparison is a report, shown as written.
  data: z.looseObject({ at: z.string(), accounts: z.array(z.custom<AccountReconciliation>((a) => typeof a === 'object' && a !== null && 'account' in a)) }),
});

/**
 * A stream's events as a store's read answered them, parsed in place: every adapter answers a new array,
 * the reader's own, so no second array is made for the parsed events (most are the very same objects:
 * those a store vouches for, store/trusted.ts).
 */
function parsedInPlace<E extends EventOf>(stream: Stream<E>, events: StoredEvent[]): Recorded<E>[] {
  for (let i = 0; i < events.length; i++) events[i] = parseEvent(stream, events[i] as StoredEvent) as StoredEvent;
  return events as Recorded<E>[];
}

/** One stream: its methods are shared (a stream is made for every proposal touched: one object each, no closures). */
class TypedStream<E extends EventOf> implements Stream<E> {
  readonly name: string;
  readonly schema: z.ZodType<E>;

  constructor(name: string, schema: z.ZodType<E>) {
    this.name = name;
    this.schema = schema;
  }

  async read(store: EventStore): Promise<Recorded<E>[]> {
    return parsedInPlace(this, await store.read(this.name));
  }

  parse(events: readonly StoredEvent[]): Recorded<E>[] {
    return events.map((e) => parseEvent(this, e));
  }

  append(store: EventStore, expectedVersion: number, events: readonly E[]): Promise<number> {
    return store.append(this.name, expectedVersion, events);
  }

  appendAtHead(store: EventStore, events: readonly E[]): Promise<number> {
    return store.appendAtHead(this.name, events);
  }

  async decide(store: EventStore, decide: (events: Recorded<E>[]) => readonly E[]): Promise<Recorded<E>[]> {
    let decided: Recorded<E>[] | undefined;
    const after = await appendDecided(store, this.name, (events) => {
      decided = parsedInPlace(this, events);
      return decide(decided);
    });
    // Nothing appended: the events the decision read, parsed already.
    return after === decided ? decided : parsedInPlace(this, after);
  }

  appendDecision(store: EventStore, decide: (events: Recorded<E>[]) => readonly E[]): Promise<number> {
    return appendDecision(store, this.name, (events) => decide(parsedInPlace(this, events)));
  }

  part(expectedVersion: number, events: readonly E[]): StreamAppend {
    return { stream: this.name, expectedVersion, events };
  }
}

const stream = <E extends EventOf>(name: string, schema: z.ZodType<E>): Stream<E> => new TypedStream(name, schema);

/** The name prefixes streams are listed by (`store.streams(prefix)`, `readAll({ streamPrefix })`). */
export const streamPrefixes = {
  proposal: 'proposal:',
  week: (council: string) => `week:${council}:`,
  checkpoint: (council: string) => `checkpoint:${council}:`,
} as const;

export const streams = {
  /** One proposal: opened, decided, its orders, fills and execution markers. */
  proposal: (proposalId: string) => stream(proposalStream(proposalId), proposalEventSchema),
  /** Refusals to approve or reject a proposal, appended at the head: nothing decides on them. */
  refusals: (proposalId: string) => stream(`refusals:${proposalId}`, refusalEventSchema),
  /** The council's kill switch. */
  control: (council: string) => stream(`control:${council}`, controlEventSchema),
  /** Refusals of the kill switch and of requests, apart from the switch so a crowd never holds it up. */
  controlRefusals: (council: string) => stream(`refusals:control:${council}`, controlRefusalEventSchema),
  /** A week's checkpoints: evaluations, trims and exits ordered. */
  checkpoint: (council: string, week: string) => stream(`${streamPrefixes.checkpoint(council)}${week}`, checkpointEventSchema),
  /** Differences between the brokers and the store found at start. */
  reconciliation: (council: string) => stream(`reconciliation:${council}`, reconciliationEventSchema),
};

/** An event in a stream that does not match the stream's schema: the log holds something no reader expects. */
export class MalformedEventError extends Error {
  readonly code = 'MALFORMED_EVENT';
  readonly stream: string;
  readonly version: number;
  constructor(stream: string, version: number, type: string, detail: string) {
    super(`event ${version} (${type}) of stream ${stream} does not match its schema: ${detail}`);
    this.stream = stream;
    this.version = version;
    this.name = 'MalformedEventError';
  }
}

// Parsed events by the stored event they came from: stores that hand out the same frozen event to every
// reader (memory, the stream cache) have each event parsed once, however often its stream is read.
const parsed = new WeakMap<StoredEvent, Recorded<EventOf>>();

/**
 * One stored event checked against its stream's schema; an event its store vouches for (the backtest's
 * memory store, written only by this process's typed writers: store/trusted.ts) is taken as it is.
 */
export function parseEvent<E extends EventOf>(stream: Stream<E>, event: StoredEvent): Recorded<E> {
  if (isVouchedFor(event)) return event as Recorded<E>;
  const known = parsed.get(event) as Recorded<E> | undefined;
  if (known) return known;
  const result = stream.schema.safeParse({ type: event.type, data: event.data });
  if (!result.success) throw new MalformedEventError(stream.name, event.version, event.type, z.prettifyError(result.error));
  const typed = { ...event, type: result.data.type, data: result.data.data } as Recorded<E>;
  parsed.set(event, typed);
  return typed;
}

// What other parsers made of each stored event, by parser: the week's events are parsed by week.ts.
const parsedBy = new WeakMap<(event: StoredEvent) => unknown, WeakMap<StoredEvent, unknown>>();

/**
 * `parse(event)` once per stored event: for a stream whose reader parses with a function of its own
 * (the week's, parseWeekEvent). The stores that hand out the same frozen event to every reader (memory,
 * the stream cache) then cost one zod parse per event, not one per read: a backtest's checkpoints fold
 * the same week streams tens of thousands of times. The answer is frozen, shared by every reader.
 */
export function parsedOnce<T>(event: StoredEvent, parse: (event: StoredEvent) => T): T {
  let known = parsedBy.get(parse);
  if (!known) {
    known = new WeakMap();
    parsedBy.set(parse, known);
  }
  if (known.has(event)) return known.get(event) as T;
  const value = deepFreeze(parse(event));
  known.set(event, value);
  return value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** All events of one stream, in order, parsed (the same as `stream.read(store)`). */
export const readStream = <E extends EventOf>(store: EventStore, stream: Stream<E>): Promise<Recorded<E>[]> => stream.read(store);
