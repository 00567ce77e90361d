/**
 * An exclusive lock file for the embedded database: two processes opening the same PGlite folder
 * corrupt it. The file holds the owner's pid; a lock whose pid is dead is stale and taken over.
 */
import { randomUUID } from 'node:crypto';
import {
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE_NAME = 'council.lock';

export class DatabaseInUseError extends Error {
  readonly code = 'DB_IN_USE';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database in ${dataDir} is in use by process ${pid} (probably "council serve"); ` +
        'stop it, or set DATABASE_URL to share a PostgreSQL server',
    );
    this.name = 'DatabaseInUseError';
  }
}

export interface LockFile {
  readonly path: string;
  /** Removes the lock if it is still ours. Safe to call twice. */
  release(): void;
}

/** Lock paths this process holds: a container restarted with the same pid must not lock itself out. */
const held = new Set<string>();

export function acquireLockFile(dataDir: string): LockFile {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE_NAME);
  if (held.has(path)) throw new DatabaseInUseError(dataDir, process.pid);
  const content = `${process.pid}\n${randomUUID()}\n`;

  // A few rounds: each one either takes the lock, throws, or removes a stale lock another process left.
  for (let round = 0; round < 5; round++) {
    if (createExclusive(path, content)) return holdLock(path, content);
    const current = readOrNull(path);
    if (current === null) continue;
    const pid = pidOf(current);
    if (pid !== undefined && pid !== process.pid && isAlive(pid)) {
      throw new DatabaseInUseError(dataDir, pid);
    }
    removeStale(path, current);
  }
  throw new Error(`could not take the lock ${path}: it keeps changing hands`);
}

function holdLock(path: string, content: string): LockFile {
  held.add(path);
  const release = () => {
    process.off('exit', release);
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

function pidOf(content: string): number | undefined {
  const pid = Number.parseInt(content.split('\n', 1)[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
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
