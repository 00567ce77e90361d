/**
 * The process dies between Alpaca's accept and the event append (COUNCIL_CRASH_AT=after-submit makes it
 * SIGKILL itself there). The restarted process reconciles with the broker and places what is missing:
 * every order reaches Alpaca exactly once.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderNotice } from '../../src/bot/console/render.ts';
import { createNyseCalendar, lastClosedSession } from '../../src/market/calendar.ts';
import { bundledBarsDir } from '../../src/market/csv.ts';
import type { AccountReconciliation } from '../../src/pipeline/notices.ts';
import { openDatabase } from '../../src/store/database.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';
import { ACCOUNTS, alpacaEnv, keyOf } from './env.ts';

const BIN = resolve(import.meta.dirname, '../../bin/council.js');
let fake: FakeAlpaca;
let root: string;
let env: Record<string, string>;

/** The bundled bars relabelled onto the sessions that end at the last close, so a live run has fresh data. */
function freshBars(dir: string): void {
  const calendar = createNyseCalendar();
  const sessions = [lastClosedSession(calendar, new Date())];
  while (sessions.length < 400) sessions.unshift(calendar.previousTradingDay(sessions[0]!));
  mkdirSync(dir);
  for (const name of readdirSync(bundledBarsDir()).filter((n) => n.endsWith('.csv'))) {
    const [header, ...rows] = readFileSync(join(bundledBarsDir(), name), 'utf8').trim().split('\n');
    const recent = rows.slice(-sessions.length).map((row, i) => `${sessions[i]}${row.slice(row.indexOf(','))}`);
    writeFileSync(join(dir, name), `${[header, ...recent].join('\n')}\n`);
  }
}

function council(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('ALPACA_') && !k.startsWith('COUNCIL_') && k !== 'DATABASE_URL' && k !== 'MARKET_DATA_DIR'),
  );
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...base, ...env, ...extra }, timeout: 180_000 }, (error, stdout, stderr) => {
      const e = error as (Error & { code?: number; signal?: string }) | null;
      done({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'council-crash-'));
  freshBars(join(root, 'bars'));
  fake = await startFakeAlpaca({ barsDir: join(root, 'bars') });
  env = alpacaEnv(fake, join(root, 'data'));
});

afterAll(async () => {
  await fake?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('A crash between the broker accept and the event append', () => {
  it('When the approving process is killed after a submit, Then the restart reconciles, records the accepted order and places the rest, with no order sent twice', async () => {
    const run = await council(['run', '--json']);
    expect(run.stderr).toBe('');
    const proposal = (JSON.parse(run.stdout) as { proposal: { id: string; orders: { account: string; clientOrderId: string }[] } }).proposal;
    expect(proposal.orders).toHaveLength(6);

    const crashed = await council(['approve', proposal.id, '--json'], { COUNCIL_CRASH_AT: 'after-submit' });
    expect(crashed.signal).toBe('SIGKILL');
    const acceptedBeforeCrash = fake.posts().length;
    expect(acceptedBeforeCrash).toBeGreaterThanOrEqual(1);

    const restarted = await council(['status', '--json']);
    expect(restarted.code).toBe(0);

    const posts = fake.posts();
    for (const order of proposal.orders) {
      expect(posts.filter((p) => p.body?.client_order_id === order.clientOrderId)).toHaveLength(1);
      expect(fake.accounts.get(keyOf(order.account))!.orders.map((o) => o.client_order_id)).toEqual([order.clientOrderId]);
    }
    expect(fake.log.filter((r) => r.phase === 'answered' && r.status === 422)).toEqual([]);

    const db = await openDatabase({ databaseUrl: undefined, dataDir: join(root, 'data') });
    try {
      const store = createEventStore(db);
      const events = await store.read(`proposal:${proposal.id}`);
      const submitted = events.filter((e) => e.type === 'OrderSubmitted').map((e) => (e.data as { account: string }).account);
      expect(submitted.sort()).toEqual([...ACCOUNTS].sort());
      expect(events.some((e) => e.type === 'ExecutionCompleted')).toBe(true);
      const reconciled = (await store.read('reconciliation:main')).map((e) => e.data as { at: string; accounts: AccountReconciliation[] });
      const unrecorded = reconciled.flatMap((r) => r.accounts.flatMap((a) => a.unrecordedOrders));
      expect(unrecorded.length).toBeGreaterThanOrEqual(1);
      expect(unrecorded.every((o) => proposal.orders.some((p) => p.clientOrderId === o.clientOrderId))).toBe(true);
      const text = renderNotice({ type: 'reconciliation_report', ...reconciled[0]! });
      expect(text).toMatch(/is accepted at the broker but was not recorded; recording it now, not resending/);
    } finally {
      await db.close();
    }
  }, 240_000); // three cold starts of the CLI; slow on a busy machine, never timed
});
