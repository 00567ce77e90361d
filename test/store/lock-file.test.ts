/**
 * The embedded database's folder lock where process ids lie: containers sharing a volume are all
 * process 1. The lock names the host, boot and pid namespace and carries a heartbeat; a holder in
 * another pid space is stale only when its heartbeat is old.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLockFile, currentIdentity, DatabaseInUseError, LOCK_FILE_NAME } from '../../src/store/lock-file.ts';
import { ROOT } from '../support/cli.ts';

const folder = () => mkdtempSync(join(tmpdir(), 'council-lockfile-'));
const containerA = { host: 'container-a', pidNamespace: 'pid:[1001]', pid: 1 };
const containerB = { host: 'container-b', pidNamespace: 'pid:[1002]', pid: 1 };

describe('The folder lock between containers (simulated identities)', () => {
  it('Given container A holding the lock as process 1, When container B, also process 1, opens the folder, Then B is refused, naming A', () => {
    const dir = folder();
    const a = acquireLockFile(dir, { identity: containerA });
    try {
      expect(() => acquireLockFile(dir, { identity: containerB })).toThrow(DatabaseInUseError);
      expect(() => acquireLockFile(dir, { identity: containerB })).toThrow(/process 1 on container-a/);
      const held = JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8'));
      expect(held).toMatchObject({ host: 'container-a', pid: 1, pidNamespace: 'pid:[1001]' });
    } finally {
      a.release();
    }
  });

  it("Given container A's heartbeat older than the stale limit, When B opens the folder, Then B takes the lock over", () => {
    const dir = folder();
    const a = acquireLockFile(dir, { identity: containerA, heartbeatMs: 3_600_000 });
    const old = new Date(Date.now() - 120_000);
    utimesSync(join(dir, LOCK_FILE_NAME), old, old);
    const b = acquireLockFile(dir, { identity: containerB, staleMs: 60_000 });
    expect(JSON.parse(readFileSync(b.path, 'utf8'))).toMatchObject({ host: 'container-b' });
    b.release();
    a.release(); // no longer ours: leaves B's lock alone
  });

  it('Given a lock left by a dead process in our own pid namespace, Then it is taken over at once, without waiting for the heartbeat', () => {
    const dir = folder();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(join(dir, LOCK_FILE_NAME), `${JSON.stringify({ ...currentIdentity(), pid: dead, instance: 'x' })}\n`);
    const lock = acquireLockFile(dir, { staleMs: 3_600_000 });
    lock.release();
  });

  it('Given an old-format lock (a bare pid) of a live process, Then it is still respected', () => {
    const dir = folder();
    writeFileSync(join(dir, LOCK_FILE_NAME), `${process.ppid}\nold\n`);
    expect(() => acquireLockFile(dir)).toThrow(DatabaseInUseError);
  });
});

// Two real processes that share the folder but not a process namespace: each is process 1 in its own.
const canUnshare = process.platform === 'linux' && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', 'true']).status === 0;

function holdLock(dir: string, staleMs: number) {
  const child = spawn(
    'unshare',
    ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, '--import', 'tsx', 'test/store/fixtures/hold-lock.ts', dir, String(staleMs)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const line = new Promise<string>((resolve) => {
    child.stdout.on('data', () => out.includes('\n') && resolve(out.trim()));
    child.on('close', () => resolve(out.trim()));
  });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, line, exit };
}

describe.skipIf(!canUnshare)('The folder lock between two pid namespaces (unshare --pid, as root)', () => {
  it('Given process 1 of one namespace holding the lock, When process 1 of another opens the folder, Then it is refused; once the holder dies, it is taken over after the heartbeat goes stale', async () => {
    const dir = folder();
    const a = holdLock(dir, 1_500);
    expect(await a.line).toBe('locked 1');
    try {
      const b = holdLock(dir, 1_500);
      expect(await b.line).toMatch(/^in use .*process 1 on /);
      expect(await b.exit).toBe(3);
    } finally {
      a.child.kill('SIGKILL'); // --kill-child: the namespace's process 1 dies with it, without releasing
      await a.exit;
    }
    // A died without releasing: its lock is still there, and it no longer beats.
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8'))).toMatchObject({ pid: 1 });
    await new Promise((r) => setTimeout(r, 2_000));
    const c = holdLock(dir, 1_500);
    try {
      expect(await c.line).toBe('locked 1');
    } finally {
      c.child.kill('SIGKILL');
      await c.exit;
    }
  }, 30_000);
});
