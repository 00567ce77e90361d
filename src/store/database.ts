/**
 * Opens the database: PostgreSQL when a URL is given, else embedded PGlite. Both are driven through
 * `pg.Pool`, so there is one code path and one set of type parsers (int8 and numeric → string,
 * timestamptz → Date, jsonb → parsed JSON). The drivers load when a database is opened, and PGlite
 * only for the embedded one: a process on PostgreSQL never loads it, and one that only imports this
 * module (the backtest, doctor) loads neither.
 */
import { join } from 'node:path';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { acquireLockFile, DatabaseInUseError, type LockFile } from './lock-file.ts';
import { migrate } from './migrate.ts';
import { type Database, DatabaseUnavailableError, type NamedStatement, type Queryable } from './port.ts';

export { DatabaseInUseError, DatabaseUnavailableError };

export interface OpenDatabaseOptions {
  /** A PostgreSQL URL. Without it the embedded database in `dataDir` is used. */
  databaseUrl?: string;
  /** Holds the embedded database (in `<dataDir>/pglite`) and its lock file `<dataDir>/council.lock`. */
  dataDir: string;
  /** Embedded database in memory only, for tests: `dataDir` is not touched and nothing is locked. */
  memory?: boolean;
  /**
   * Errors of idle PostgreSQL connections, e.g. after a server restart. The pool has already dropped
   * the connection and opens a new one on next use. Default: ignored.
   */
  onIdleError?: (error: Error) => void;
  /** PostgreSQL only: how long to wait for a connection and for one statement. */
  timeouts?: Partial<PostgresTimeouts>;
  /** Where the embedded database's template folder is kept (see pglite.ts). Default: the install's `.cache/`. */
  templateCacheDir?: string;
  /** false: the embedded database runs initdb instead of starting from the template (see pglite.ts). */
  template?: boolean;
  /** false: leave the schema as it is (a reader that must change nothing, like the backtest's cache read). Default true. */
  migrate?: boolean;
}

export interface PostgresTimeouts {
  /** A new connection (TCP, TLS, startup) must be ready within this. */
  connectMs: number;
  /** The server cancels a statement running longer (statement_timeout); the session stays usable. */
  statementMs: number;
  /**
   * The client gives up on an answer after this (query_timeout), for when the server cannot even say
   * so: a connection that went silent. Longer than statementMs, so a slow statement ends server-side first.
   */
  queryMs: number;
}

/**
 * Without these a request to a database that stopped answering waits forever, and so does the user
 * behind it (`/council status` hung during an outage): fail within seconds and say why instead.
 */
export const DEFAULT_TIMEOUTS: PostgresTimeouts = { connectMs: 5_000, statementMs: 15_000, queryMs: 20_000 };

/** Opens the database and brings its schema up to date (unless `migrate: false`). */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const db = options.databaseUrl ? await openPostgres(options.databaseUrl, { ...DEFAULT_TIMEOUTS, ...options.timeouts }, options.onIdleError) : await openEmbedded(options);
  if (options.migrate === false) return db;
  try {
    await migrate(db);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  return db;
}

async function openPostgres(url: string, timeouts: PostgresTimeouts, onIdleError?: (error: Error) => void): Promise<Database> {
  const redact = secretRedactor(url);
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: timeouts.connectMs,
    statement_timeout: timeouts.statementMs,
    query_timeout: timeouts.queryMs,
    // Finds a peer that vanished without closing the connection while the session sat idle.
    keepAlive: true,
  });
  // pg hides a password given alone, but not the URL carrying it.
  Object.defineProperty(pool.options, 'connectionString', { enumerable: false });
  pool.on('error', (e) => onIdleError?.(redact(e) as Error));
  return poolDatabase(
    'postgres',
    pool,
    (e) => asUnavailable(redact(e)),
    () => pool.end(),
  );
}

async function openEmbedded(options: OpenDatabaseOptions): Promise<Database> {
  let lock: LockFile | undefined;
  if (!options.memory) lock = acquireLockFile(options.dataDir);
  try {
    const [{ default: pg }, { createPgConfig }, { openPGlite }] = await Promise.all([import('pg'), import('@electric-sql/pglite/node-postgres'), import('./pglite.ts')]);
    const lite = await openPGlite({ folder: options.memory ? undefined : join(options.dataDir, 'pglite'), templateCacheDir: options.templateCacheDir, template: options.template });
    // PGlite is one session: the pool has one client, which is never closed for idleness because
    // the adapter shares one connection object between the clients it hands out.
    const config = { ...createPgConfig(lite), max: 1, idleTimeoutMillis: 0 };
    const pool = new pg.Pool(config as unknown as PoolConfig);
    return poolDatabase(
      'pglite',
      pool,
      (e) => e,
      async () => {
        try {
          await pool.end();
          await lite.close();
        } finally {
          lock?.release();
        }
      },
    );
  } catch (e) {
    lock?.release();
    throw e;
  }
}

type Redact = (error: unknown) => unknown;

function poolDatabase(kind: Database['kind'], pool: Pool, redact: Redact, end: () => Promise<void>): Database {
  let closing: Promise<void> | undefined;
  const withSession = async <T>(fn: (session: Session) => Promise<T>): Promise<T> => {
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw redact(e);
    }
    const session = new Session(client, redact);
    try {
      return await fn(session);
    } finally {
      session.finish();
    }
  };

  return {
    kind,
    query: (sql, params) => withSession((s) => s.query(sql, params)),
    execute: (sql, params) => withSession((s) => s.execute(sql, params)),
    tx: (fn) =>
      withSession(async (s) => {
        await s.query('begin');
        try {
          const result = await fn(s);
          await s.query('commit');
          return result;
        } catch (e) {
          // A failed rollback marks the session broken; the caller needs the original error.
          if (!s.broken) await s.query('rollback').catch(() => undefined);
          throw e;
        }
      }),
    close: () => {
      closing ??= end();
      return closing;
    },
  };
}

/**
 * One checked-out client. It is returned to the pool healthy after an error the server reported, and
 * destroyed after any other (a lost connection). Releasing a healthy client as failed is not only
 * wasteful: the PGlite adapter then leaks the ended client's pending messages into the next client.
 */
class Session implements Queryable {
  private readonly client: PoolClient;
  private readonly redact: Redact;
  broken: Error | undefined;
  private finished = false;

  /**
   * pg emits 'error' on a checked-out client whose connection dies between queries (a late
   * ECONNRESET after the server went away), and the pool listens only to idle clients: unheard, that
   * event crashed the process during the outage fault test. Heard, it marks the session broken.
   */
  private readonly lost = (error: Error) => {
    this.broken ??= error;
  };

  constructor(client: PoolClient, redact: Redact) {
    this.client = client;
    this.redact = redact;
    client.on('error', this.lost);
  }

  async query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string | NamedStatement, params?: readonly unknown[]): Promise<R[]> {
    return rowsOf<R>(await this.run(sql, params));
  }

  async execute(sql: string | NamedStatement, params?: readonly unknown[]): Promise<number> {
    const last = lastResult(await this.run(sql, params));
    return (last as { rowCount?: number | null } | undefined)?.rowCount ?? 0;
  }

  private async run(sql: string | NamedStatement, params?: readonly unknown[]): Promise<unknown> {
    if (this.finished) throw new Error('this transaction is over; use the database instead');
    const values = params ? [...params] : undefined;
    try {
      // pg remembers, per connection, which names it has parsed (the PGlite adapter keeps one connection
      // for the session's life), and sends only Bind and Execute for them after the first time.
      return await (typeof sql === 'string' ? this.client.query(sql, values) : this.client.query({ name: sql.name, text: sql.text, values }));
    } catch (e) {
      if (!isRecoverableServerError(e)) this.broken = e instanceof Error ? e : new Error(String(e));
      throw this.redact(e);
    }
  }

  finish(): void {
    this.finished = true;
    this.client.off('error', this.lost);
    this.client.release(this.broken);
  }
}

/**
 * A failure to reach the server at all becomes DatabaseUnavailableError, whose message users see;
 * anything the server answered (a constraint, bad SQL, a wrong password) stays what it was.
 */
function asUnavailable(error: unknown): unknown {
  const reason = unreachableReason(error);
  return reason ? new DatabaseUnavailableError(reason, { cause: error }) : error;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** What pg and pg-pool say when a connection is lost or never came. */
const LOST = /^(Connection terminated|Query read timeout|timeout expired|timeout exceeded when trying to connect|Client has encountered a connection error)/;
/** Connection exceptions (class 08), and the server shutting down or starting up (57P01-57P03). */
const SERVER_GOING = /^(08|57P0[123])/;

function unreachableReason(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || error instanceof DatabaseUnavailableError) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return code === 'ECONNREFUSED' ? 'connection refused' : code;
  if (typeof code === 'string' && SERVER_GOING.test(code)) return `server: ${String(message)}`;
  if (typeof message === 'string' && LOST.test(message)) return message.toLowerCase();
  return undefined;
}

/** Several statements in one simple query give one result each; the last one is the answer. */
function lastResult(result: unknown): unknown {
  return Array.isArray(result) ? result.at(-1) : result;
}

function rowsOf<R>(result: unknown): R[] {
  return ((lastResult(result) as { rows?: R[] } | undefined)?.rows ?? []) as R[];
}

/** An ErrorResponse from the server (duck-typed: the PGlite adapter has its own DatabaseError class). */
function isRecoverableServerError(e: unknown): boolean {
  const severity = typeof e === 'object' && e !== null ? (e as { severity?: unknown }).severity : undefined;
  return typeof severity === 'string' && severity !== 'FATAL' && severity !== 'PANIC';
}

/**
 * Errors must never carry the URL's password to a log: an invalid URL, for one, is echoed in the
 * message and in the error's `input`. The error is scrubbed in place so its class and code survive.
 */
export function secretRedactor(url: string): Redact {
  const secrets = [url, ...passwordsIn(url)].filter((s) => s.length > 0);
  const scrub = (text: string) => secrets.reduce((out, secret) => out.replaceAll(secret, '***'), text);
  return (error) => {
    if (typeof error !== 'object' || error === null) return error;
    const record = error as Record<string, unknown>;
    if ('input' in record) delete record['input'];
    for (const key of [...Object.keys(record), 'message', 'stack']) {
      const value = record[key];
      if (typeof value === 'string') record[key] = scrub(value);
    }
    return error;
  };
}

function passwordsIn(url: string): string[] {
  const raw = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:([^@]*)@/i.exec(url)?.[1];
  if (!raw) return [];
  try {
    return [raw, decodeURIComponent(raw)];
  } catch {
    return [raw];
  }
}
