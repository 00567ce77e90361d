/**
 * The event store port. One table of events, `(stream, version)` unique, appended with an expected
 * version. Adapters: PostgreSQL (`pg`) and embedded PGlite, both behind `Database`.
 */
import { UserFacingError } from '../domain/errors.ts';

export interface NewEvent {
  type: string;
  data: unknown;
  meta?: Record<string, unknown>;
}

export interface StoredEvent<T = unknown> {
  stream: string;
  /** 1-based position within the stream. */
  version: number;
  /** Position in the whole store, as a decimal string (bigint). */
  globalPosition: string;
  type: string;
  data: T;
  meta: Record<string, unknown>;
  recordedAt: Date;
}

/** Thrown when the stream's current version is not the expected one (someone else appended first). */
export class ConcurrencyError extends Error {
  readonly stream: string;
  readonly expectedVersion: number;
  readonly code = 'CONCURRENCY';
  constructor(stream: string, expectedVersion: number) {
    super(`stream ${stream} moved past version ${expectedVersion}`);
    this.stream = stream;
    this.expectedVersion = expectedVersion;
    this.name = 'ConcurrencyError';
  }
}

/**
 * The database cannot be reached: connection refused, dropped or timed out. A user-facing error (the
 * channels show its message); retrying later is the remedy, and nothing was decided by the failed call
 * except, possibly, a write whose answer was lost, which an expected-version append makes safe to retry.
 */
export class DatabaseUnavailableError extends UserFacingError {
  readonly code = 'DATABASE_UNAVAILABLE';
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`database unavailable (${reason}): try again once PostgreSQL is back`, options);
    this.name = 'DatabaseUnavailableError';
  }
}

export interface ReadOptions {
  /** Only events after this version of the stream (0: every event). */
  after?: number;
}

export interface ReadAllOptions {
  /** Only events whose stream starts with this prefix. */
  streamPrefix?: string;
  /** Only events of these types. */
  types?: readonly string[];
  /** Only events after this global position. */
  after?: string;
  limit?: number;
}

/** One stream's part of an `appendMany`: its events, appended only while the stream is at `expectedVersion`. */
export interface StreamAppend {
  stream: string;
  expectedVersion: number;
  /** None: the stream is only required to be still at `expectedVersion` (a condition, nothing written). */
  events: readonly NewEvent[];
}

/** Throws unless every stream of an `appendMany` is named once (two parts could not both hold). */
export function distinctStreams(appends: readonly StreamAppend[]): void {
  const seen = new Set<string>();
  for (const { stream } of appends) {
    if (seen.has(stream)) throw new RangeError(`stream ${stream} is named twice in one appendMany`);
    seen.add(stream);
  }
}

export interface EventStore {
  /**
   * Appends events to a stream whose last version is `expectedVersion` (0 for a new stream), in one
   * transaction. Throws ConcurrencyError when the stream has moved. Returns the new last version.
   */
  append(stream: string, expectedVersion: number, events: readonly NewEvent[]): Promise<number>;
  /**
   * Appends events at the stream's head, whatever its version: for append-only records no decision
   * reads before writing (refusals), so writers queue instead of failing and none is ever lost. Never
   * throws ConcurrencyError. Returns the new last version. Use it only for streams nothing appends to
   * with an expected version: such an append would lose races to these.
   */
  appendAtHead(stream: string, events: readonly NewEvent[]): Promise<number>;
  /**
   * All events of one stream, in order; with `after`, only those after that version (a reader that
   * keeps a fold reads just what is new). An adapter may answer with more of the stream than asked for:
   * readers go by each event's `version`.
   */
  read(stream: string, options?: ReadOptions): Promise<StoredEvent[]>;
  /** Events across streams in global order. */
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;
  /** Streams whose name starts with the prefix, with their last version, ordered by name. */
  streams(prefix: string): Promise<{ stream: string; version: number }[]>;
  /**
   * Appends to several streams in one transaction, all or nothing: every stream must be at its expected
   * version, or nothing is written and ConcurrencyError names a stream that moved. A decision read from
   * several streams (an approval that read the kill switch as off) is written only while all of them are
   * still as read. Returns each stream's new last version, in the order given. Each stream at most once.
   */
  appendMany(appends: readonly StreamAppend[]): Promise<number[]>;
}

/**
 * A statement the database parses once per connection and then runs by name (PostgreSQL's extended
 * protocol, on PGlite too), for hot statements whose parsing and planning cost more than running them:
 * the event append ran 3x faster named (issue 21). The name must stand for this one text.
 */
export interface NamedStatement {
  readonly name: string;
  readonly text: string;
}

/** A SQL connection the rest of the code may use for projections and claims. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string | NamedStatement, params?: readonly unknown[]): Promise<R[]>;
  /**
   * Runs a statement for its effect and answers how many rows it inserted, updated or deleted: no
   * `returning` row to send and parse (a tenth of a plain insert's time, measured for the append).
   */
  execute(sql: string | NamedStatement, params?: readonly unknown[]): Promise<number>;
}

export interface Database extends Queryable {
  /** 'memory': no SQL at all (the backtest keeps its events in memory); every query is refused. */
  readonly kind: 'pglite' | 'postgres' | 'memory';
  /** Runs fn inside one transaction; never call db.query from inside fn, use the argument. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
