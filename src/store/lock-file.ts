/**
 * An exclusive lock file for the embedded database: two processes opening the same PGlite folder
 * corrupt it. Safe where process ids are not: two containers sharing a volume are both process 1.
 *
 * The file says who holds it: host name, boot id, pid namespace, pid and a random instance id. While
 * held, the holder touches the file's modification time every few seconds (the heartbeat). Another
 * process takes the lock over when it is stale:
 * - at once when the holder is provably dead: same boot and same pid namespace (so its pid means the
 *   same process here), and that pid is gone, or it is our own pid (a restarted container's process 1);
 * - otherwise (another host, container or namespace, whose pids mean nothing here) only once the
 *   heartbeat is older than `staleMs`.
 */
import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserFacingError } from '../domain/errors.ts';

export const LOCK_FILE_NAME = 'council.lock';

/** How often the holder touches the lock, and how old a heartbeat must be before another host takes over. */
export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 30_000;

export class DatabaseInUseError extends UserFacingError {
  readonly dataDir: string;
  readonly pid: number;
  /** Where the holder runs, when not in this pid namespace: `on HOST` and why its pid is not ours. */
  readonly where?: string;
  readonly code = 'DB_IN_USE';
  constructor(dataDir: string, pid: number, where?: string) {
    super(
      `the embedded database in ${dataDir} is in use by process ${pid}${where ? ` ${where}` : ''} (probably "council serve"); ` +
        'stop it, or set DATABASE_URL to share a PostgreSQL server',
    );
    this.dataDir = dataDir;
    this.pid = pid;
    this.where = where;
    this.name = 'DatabaseInUseError';
  }
}

export interface LockFile {
  readonly path: string;
  /** Removes the lock if it is still ours. Safe to call twice. */
  release(): void;
}

/** Who holds a lock. Tests may pose as another host or namespace. */
export interface LockIdentity {
  host: string;
  bootId: string;
  pidNamespace: string;
  pid: number;
}

export interface LockOptions {
  identity?: Partial<LockIdentity>;
  heartbeatMs?: number;
  staleMs?: number;
  now?: () => number;
}

interface Holder extends LockIdentity {
  instance: string;
}

export function currentIdentity(): LockIdentity {
  return { host: hostname(), bootId: readOr('/proc/sys/kernel/random/boot_id', ''), pidNamespace: linkOr('/proc/self/ns/pid', ''), pid: process.pid };
}

/** Lock paths this process holds: a container restarted with the same pid must not lock itself out. */
const held = new Set<string>();

export function acquireLockFile(dataDir: string, options: LockOptions = {}): LockFile {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE_NAME);
  const me: Holder = { ...currentIdentity(), ...options.identity, instance: randomUUID() };
  // (A test posing as another host or container is another process: it skips this check.)
  if (held.has(path) && !options.identity) throw new DatabaseInUseError(dataDir, me.pid);
  const content = `${JSON.stringify(me)}\n`;
  const staleMs = options.staleMs ?? STALE_MS;
  const now = options.now ?? Date.now;

  // A few rounds: each one either takes the lock, throws, or removes a stale lock another process left.
  for (let round = 0; round < 5; round++) {
    if (createExclusive(path, content)) return holdLock(path, content, options.heartbeatMs ?? HEARTBEAT_MS);
    const current = readOrNull(path);
    if (current === null) continue;
    const holder = holderOf(current);
    if (holder && !isStale(holder, me, heartbeatAge(path, now), staleMs)) throw new DatabaseInUseError(dataDir, holder.pid, whereIs(holder, me));
    removeStale(path, current);
  }
  throw new Error(`could not take the lock ${path}: it keeps changing hands`);
}

function samePidSpace(holder: LockIdentity, me: LockIdentity): boolean {
  return holder.bootId !== '' && holder.bootId === me.bootId && holder.pidNamespace !== '' && holder.pidNamespace === me.pidNamespace;
}

function whereIs(holder: LockIdentity, me: LockIdentity): string | undefined {
  if (holder.host !== me.host) return `on ${holder.host}`;
  return samePidSpace(holder, me) ? undefined : `on ${holder.host} in another container or pid namespace`;
}

function isStale(holder: Holder, me: Holder, ageMs: number | undefined, staleMs: number): boolean {
  if (ageMs === undefined) return false; // gone while we looked: the next round sees
  if (samePidSpace(holder, me)) return holder.pid === me.pid || !isAlive(holder.pid);
  return ageMs > staleMs;
}

function heartbeatAge(path: string, now: () => number): number | undefined {
  try {
    return now() - statSync(path).mtimeMs;
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** The holder of a lock file; a lock from before heartbeats (a bare pid) counts as a holder on this host. */
function holderOf(content: string): Holder | undefined {
  try {
    const parsed = JSON.parse(content) as Partial<Holder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') {
      return { host: parsed.host, bootId: String(parsed.bootId ?? ''), pidNamespace: String(parsed.pidNamespace ?? ''), pid: parsed.pid, instance: String(parsed.instance ?? '') };
    }
  } catch {
    // Not JSON: the old format below.
  }
  const pid = Number.parseInt(content.split('\n', 1)[0] ?? '', 10);
  if (!(Number.isInteger(pid) && pid > 0)) return undefined;
  const me = currentIdentity();
  return { ...me, pid, instance: '' };
}

function holdLock(path: string, content: string, heartbeatMs: number): LockFile {
  held.add(path);
  // The heartbeat: touch the file while it is still ours. It never keeps the process alive.
  const heartbeat = setInterval(() => {
    try {
      if (readOrNull(path) !== content) return clearInterval(heartbeat);
      const t = new Date();
      utimesSync(path, t, t);
    } catch {
      // A missed beat is tolerated: a lock goes stale only after several.
    }
  }, heartbeatMs);
  heartbeat.unref();
  const release = () => {
    process.off('exit', release);
    clearInterval(heartbeat);
    if (!held.delete(path)) return;
    if (readOrNull(path) === content) unlinkQuietly(path);
  };
  process.on('exit', release);
  return { path, release };
}

/**
 * Creates the lock with its full content in one step: written to a private file, then hard-linked into
 * place, so no other process ever reads a half-written lock. Falls back to an exclusive create where
 * the file system has no hard links.
 */
function createExclusive(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.${randomUUID()}`;
  try {
    writeFileSync(temp, content, { flag: 'wx' });
    linkSync(temp, path);
    return true;
  } catch (e) {
    if (errorCode(e) === 'EEXIST') return false;
    if (errorCode(e) !== 'EPERM' && errorCode(e) !== 'ENOTSUP') throw e;
    try {
      writeFileSync(path, content, { flag: 'wx' });
      return true;
    } catch (e2) {
      if (errorCode(e2) === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    unlinkQuietly(temp);
  }
}

/**
 * Moves the stale lock aside, then checks that what moved is the stale lock we read: if another process
 * took it over in between, its live lock is put back.
 */
function removeStale(path: string, staleContent: string): void {
  const aside = `${path}.stale.${process.pid}.${randomUUID()}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return;
    throw e;
  }
  if (readOrNull(aside) !== staleContent) {
    try {
      linkSync(aside, path);
    } catch {
      // Someone locked in the meantime; their lock wins and the next round sees it.
    }
  }
  unlinkQuietly(aside);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return errorCode(e) === 'EPERM';
  }
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return null;
    throw e;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function errorCode(e: unknown): unknown {
  return typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function linkOr(path: string, fallback: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return fallback;
  }
}
