/**
 * Opening the database: the embedded folder's lock file, persistence on disk, and connection errors
 * that must not show the password.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseInUseError, openDatabase, secretRedactor } from '../../src/store/database.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { acquireLockFile, LOCK_FILE_NAME, type LockFile } from '../../src/store/lock-file.ts';

const LOCK_FILE_MODULE = fileURLToPath(new URL('../../src/store/lock-file.ts', import.meta.url));

const dirs: string[] = [];
const locks: LockFile[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'council-db-'));
  dirs.push(dir);
  return dir;
};
const acquire = (dir: string) => {
  const lock = acquireLockFile(dir);
  locks.push(lock);
  return lock;
};
const lockPid = (dir: string) => (JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')) as { pid: number }).pid;

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (child.pid === undefined) throw new Error('could not start a child process');
  return child.pid;
}

/** Runs a child node that takes the lock on `dir`, then runs `then` (JavaScript). */
function childTakingLock(dir: string, then: string) {
  const script = `import { acquireLockFile } from ${JSON.stringify(LOCK_FILE_MODULE)};
    acquireLockFile(${JSON.stringify(dir)}); ${then}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
}

afterEach(() => {
  for (const lock of locks.splice(0)) lock.release();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('The embedded database on disk', () => {
  it('When a stale lock of a dead process is in the folder, Then it is taken over, and a second open in the same process is refused', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, LOCK_FILE_NAME), `${deadPid()}\nold-token\n`);

    const db = await openDatabase({ dataDir: dir });
    try {
      expect(db.kind).toBe('pglite');
      expect(lockPid(dir)).toBe(process.pid);

      const second = openDatabase({ dataDir: dir });
      await expect(second).rejects.toBeInstanceOf(DatabaseInUseError);
      await expect(second).rejects.toMatchObject({
        code: 'DB_IN_USE',
        pid: process.pid,
        message: `the embedded database in ${dir} is in use by process ${process.pid} (probably "council serve"); stop it, or set DATABASE_URL to share a PostgreSQL server`,
      });
      expect(lockPid(dir)).toBe(process.pid);
    } finally {
      await db.close();
    }
  });

  it('When the database is closed and opened again, Then the lock was released and the events are still there', async () => {
    const dir = freshDir();
    const first = await openDatabase({ dataDir: dir });
    await createEventStore(first).append('test:persisted', 0, [{ type: 'Kept', data: { n: 1 } }]);
    await first.close();
    await first.close();
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);

    const again = await openDatabase({ dataDir: dir });
    try {
      const events = await createEventStore(again).read('test:persisted');
      expect(events.map((e) => [e.type, e.data])).toEqual([['Kept', { n: 1 }]]);
    } finally {
      await again.close();
    }
  });
});

describe('The lock file', () => {
  it('When another live process holds the lock, Then DatabaseInUseError names that process', () => {
    const dir = freshDir();
    writeFileSync(join(dir, LOCK_FILE_NAME), `${process.ppid}\ntheirs\n`);

    expect(() => acquire(dir)).toThrow(DatabaseInUseError);
    expect(() => acquire(dir)).toThrow(`in use by process ${process.ppid}`);
    expect(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')).toBe(`${process.ppid}\ntheirs\n`);
  });

  it('When the lock file holds no pid, Then it is taken over', () => {
    const dir = freshDir();
    writeFileSync(join(dir, LOCK_FILE_NAME), 'garbage');
    acquire(dir);
    expect(lockPid(dir)).toBe(process.pid);
  });

  it('When the lock names this very pid but this process never took it (a restarted container), Then it is taken over', () => {
    const dir = freshDir();
    writeFileSync(join(dir, LOCK_FILE_NAME), `${process.pid}\nprevious-life\n`);
    acquire(dir);
    expect(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')).not.toContain('previous-life');
  });

  it('When a lock is released, Then the folder can be locked again, and a second release does no harm', () => {
    const dir = freshDir();
    const lock = acquire(dir);
    lock.release();
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
    acquire(dir);
    expect(lockPid(dir)).toBe(process.pid);
  });

  it('When someone else replaced the lock file, Then releasing ours leaves theirs alone', () => {
    const dir = freshDir();
    const lock = acquire(dir);
    writeFileSync(join(dir, LOCK_FILE_NAME), `${process.ppid}\ntheirs\n`);
    lock.release();
    expect(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')).toBe(`${process.ppid}\ntheirs\n`);
  });

  it('When the holding process exits normally, Then its lock file is gone', () => {
    const dir = freshDir();
    const child = childTakingLock(dir, 'process.exitCode = 0;');
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
  });

  it('When the holding process is killed, Then the lock it left is stale and taken over', () => {
    const dir = freshDir();
    const child = childTakingLock(dir, "process.kill(process.pid, 'SIGKILL');");
    expect(child.signal).toBe('SIGKILL');
    expect(lockPid(dir)).toBe(child.pid);

    acquire(dir);
    expect(lockPid(dir)).toBe(process.pid);
  });
});

describe('Connection errors', () => {
  const password = 's3cr3t-pw';

  it('When PostgreSQL cannot be reached, Then the error does not show the password', async () => {
    const port = await closedPort();
    const attempt = openDatabase({
      databaseUrl: `postgres://council:${password}@127.0.0.1:${port}/council`,
      dataDir: 'unused',
    });
    const error = await attempt.then(
      () => expect.fail('connected to a closed port'),
      (e: unknown) => e,
    );
    expect(inspect(error)).toMatch(/ECONNREFUSED/);
    expect(inspect(error)).not.toContain(password);
  });

  it('When the URL is malformed, Then the error does not show it', async () => {
    const error = await openDatabase({
      databaseUrl: `postgres://council:${password}@[not-a-host/council`,
      dataDir: 'unused',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(inspect(error)).not.toContain(password);
  });

  it('When an error echoes the URL or its decoded password, Then the redactor scrubs them and keeps the code', () => {
    const url = 'postgres://council:p%40ss-w0rd@db.internal:5432/council';
    const error = Object.assign(new TypeError(`Invalid URL: ${url} (p@ss-w0rd)`), {
      code: 'ERR_INVALID_URL',
      input: url,
    });

    const scrubbed = secretRedactor(url)(error);

    expect(scrubbed).toBe(error);
    expect(error.code).toBe('ERR_INVALID_URL');
    expect(inspect(error)).not.toMatch(/p%40ss-w0rd|p@ss-w0rd/);
    expect(error.message).toBe('Invalid URL: *** (***)');
  });
});

/** A loopback port nobody listens on: bound by the system, then freed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
