/**
 * The shared record of chat requests already acted on (`seen_requests`, issue 13 item 4), on embedded
 * PGlite and, when TEST_DATABASE_URL is set, on PostgreSQL: two replicas on one database, a window of
 * 10 minutes on an injected clock, and old rows swept.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import type { Database } from '../../src/store/port.ts';
import { createSeenRequests, SEEN_WINDOW_MS } from '../../src/store/seen-requests.ts';

const url = process.env.TEST_DATABASE_URL;

const targets: { name: string; open: () => Promise<{ db: Database; dispose: () => Promise<void> }> }[] = [
  {
    name: 'PGlite',
    open: async () => {
      const db = await openDatabase({ dataDir: 'unused', memory: true });
      return { db, dispose: () => db.close() };
    },
  },
];
if (url)
  targets.push({
    name: 'PostgreSQL',
    open: async () => {
      const admin = new pg.Pool({ connectionString: url, max: 1 });
      const schema = `seen_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      await admin.query(`create schema ${schema}`);
      const scoped = new URL(url);
      scoped.searchParams.set('options', `-c search_path=${schema}`);
      const db = await openDatabase({ databaseUrl: scoped.toString(), dataDir: 'unused-with-postgres' });
      return {
        db,
        dispose: async () => {
          await db.close();
          await admin.query(`drop schema ${schema} cascade`);
          await admin.end();
        },
      };
    },
  });

describe.each(targets)('Requests seen, on $name', ({ open }) => {
  let db: Database;
  let dispose: () => Promise<void>;
  let now = Date.parse('2026-11-30T12:00:00Z');
  const clock = () => now;

  beforeAll(async () => {
    ({ db, dispose } = await open());
  });
  afterAll(async () => dispose?.());

  it('When two replicas see the same signed request, Then only the first may act, and a repeat on the first is refused without asking the database again', async () => {
    const a = createSeenRequests(db, { clock });
    const b = createSeenRequests(db, { clock });
    expect(await a.claim('slack:sig:v0=abc')).toBe(true);
    expect(await b.claim('slack:sig:v0=abc')).toBe(false);
    expect(await a.claim('slack:sig:v0=abc')).toBe(false);
    expect(await b.claim('slack:sig:v0=other')).toBe(true);
    const rows = await db.query<{ key: string }>('select key from seen_requests');
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.key).join()).not.toContain('v0=abc'); // kept hashed
  });

  it('When many replicas claim one request at the same moment, Then exactly one wins', async () => {
    const replicas = Array.from({ length: 8 }, () => createSeenRequests(db, { clock }));
    const wins = await Promise.all(replicas.map((r) => r.claim('discord:interaction:42')));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('When the 10-minute window has passed, Then old rows are swept and the key may be claimed again', async () => {
    const seen = createSeenRequests(db, { clock });
    expect(await seen.claim('slack:trigger:t-old')).toBe(true);
    now += SEEN_WINDOW_MS + 1;
    // A fresh key triggers the sweep; the old key's row is gone or re-claimable.
    expect(await seen.claim('slack:trigger:t-new')).toBe(true);
    const left = await db.query<{ n: string }>('select count(*)::text as n from seen_requests where seen_at < $1', [new Date(now - SEEN_WINDOW_MS)]);
    expect(left[0]!.n).toBe('0');
    expect(await createSeenRequests(db, { clock }).claim('slack:trigger:t-old')).toBe(true);
  });

  it('When a read-only request repeats, Then this process refuses it from memory alone', async () => {
    const seen = createSeenRequests(db, { clock, localLimit: 2 });
    expect(seen.claimLocally('slack:sig:status-1')).toBe(true);
    expect(seen.claimLocally('slack:sig:status-1')).toBe(false);
    seen.claimLocally('slack:sig:status-2');
    seen.claimLocally('slack:sig:status-3'); // the oldest is forgotten past the limit
    expect(seen.claimLocally('slack:sig:status-1')).toBe(true);
  });
});
