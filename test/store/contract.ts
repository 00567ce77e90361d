/**
 * The event store contract: one suite, run against every adapter (PGlite and PostgreSQL 15). Tests
 * share one database per adapter and keep apart by giving every stream, account and council a fresh id.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendManyContract } from './append-many.contract.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { MIGRATIONS_DIR, migrate } from '../../src/store/migrate.ts';
import { ConcurrencyError, type Database, type EventStore, type NamedStatement, type NewEvent } from '../../src/store/port.ts';

export interface StoreHarness {
  db: Database;
  dispose(): Promise<void>;
}

const uid = () => randomUUID().replaceAll('-', '').slice(0, 12);
const ev = (type: string, data: unknown = {}): NewEvent => ({ type, data });

export function eventStoreContract(setup: () => Promise<StoreHarness>): void {
  let harness: StoreHarness;
  let db: Database;
  let store: EventStore;

  beforeAll(async () => {
    harness = await setup();
    db = harness.db;
    store = createEventStore(db);
  });
  afterAll(async () => {
    await harness?.dispose();
  });

  describe('Appending and reading a stream', () => {
    it('When events are appended to a new stream at version 0, Then read returns them in order numbered from 1', async () => {
      const stream = `test:${uid()}`;
      const last = await store.append(stream, 0, [ev('A', { n: 1 }), { type: 'B', data: { n: 2 }, meta: { by: 'tester' } }, ev('C', { n: 3 })]);

      expect(last).toBe(3);
      const events = await store.read(stream);
      expect(events.map((e) => [e.version, e.type, e.data, e.meta])).toEqual([
        [1, 'A', { n: 1 }, {}],
        [2, 'B', { n: 2 }, { by: 'tester' }],
        [3, 'C', { n: 3 }, {}],
      ]);
      const positions = events.map((e) => BigInt(e.globalPosition));
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
      expect(typeof events[0]?.globalPosition).toBe('string');
      expect(events[0]?.recordedAt).toBeInstanceOf(Date);
    });

    it('When a stream is appended to at its head, Then the versions continue', async () => {
      const stream = `test:${uid()}`;
      await store.append(stream, 0, [ev('A'), ev('B')]);
      expect(await store.append(stream, 2, [ev('C')])).toBe(3);
      expect((await store.read(stream)).map((e) => e.version)).toEqual([1, 2, 3]);
    });

    it('When a stream has no events, Then read returns none', async () => {
      expect(await store.read(`test:${uid()}`)).toEqual([]);
    });

    it('When a payload holds awkward JSON, Then it reads back equal', async () => {
      const stream = `test:${uid()}`;
      const data = {
        zeta: 'last key first',
        text: 'quotes " and \' backslash \\ braces {} commas , newline \n tab \t',
        unicode: 'ünïcödé – 株式 – 📈',
        numbers: [0, -1, 0.1, 0.30000000000000004, 1e21, 2 ** 53 - 1, -1.5e-7],
        nested: { deep: [{ a: null }, [], {}, [[true, false]]] },
        empty: '',
        nothing: null,
      };
      await store.append(stream, 0, [ev('Awkward', data), ev('Scalar', 'just a string'), ev('Nil', null)]);

      const [first, second, third] = await store.read(stream);
      expect(first?.data).toEqual(data);
      expect(second?.data).toBe('just a string');
      expect(third?.data).toBeNull();
    });
  });

  describe('Optimistic concurrency', () => {
    it('When appending at a version the stream has moved past, Then ConcurrencyError and nothing is written', async () => {
      const stream = `test:${uid()}`;
      await store.append(stream, 0, [ev('A'), ev('B')]);

      const attempt = store.append(stream, 1, [ev('Late')]);
      await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(attempt).rejects.toMatchObject({ code: 'CONCURRENCY', stream, expectedVersion: 1 });
      expect((await store.read(stream)).map((e) => e.type)).toEqual(['A', 'B']);
    });

    it('When appending at a version ahead of the stream, Then ConcurrencyError and no gap is made', async () => {
      const stream = `test:${uid()}`;
      await store.append(stream, 0, [ev('A')]);
      await expect(store.append(stream, 5, [ev('B')])).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store.read(stream)).toHaveLength(1);
    });

    it('When two writers append at the same expected version, Then one gets ConcurrencyError', async () => {
      const stream = `test:${uid()}`;
      await store.append(stream, 0, [ev('Opened')]);

      const results = await Promise.allSettled(['w1', 'w2'].map((writer) => store.append(stream, 1, [ev('Written', { writer }), ev('Also', { writer })])));

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const failed = results.filter((r) => r.status === 'rejected');
      expect(failed).toHaveLength(1);
      expect(failed[0]?.reason).toBeInstanceOf(ConcurrencyError);
      const events = await store.read(stream);
      expect(events.map((e) => e.version)).toEqual([1, 2, 3]);
      expect(new Set(events.slice(1).map((e) => (e.data as { writer: string }).writer)).size).toBe(1);
    });

    it('When many writers race to create the same stream, Then exactly one wins and the rest get ConcurrencyError', async () => {
      const stream = `test:${uid()}`;
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.append(stream, 0, [ev('Created', { i })])));

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r) => r.status === 'rejected')) {
        expect(r.reason).toBeInstanceOf(ConcurrencyError);
      }
      expect(await store.read(stream)).toHaveLength(1);
    });

    it('When an append lost a race, Then the same database keeps serving queries and appends', async () => {
      const stream = `test:${uid()}`;
      await store.append(stream, 0, [ev('A')]);
      await expect(store.append(stream, 0, [ev('B')])).rejects.toBeInstanceOf(ConcurrencyError);

      expect(await db.query('select 1 as one')).toEqual([{ one: 1 }]);
      expect(await store.append(stream, 1, [ev('C')])).toBe(2);
    });

    it('When no events are appended, Then the expected version is still checked', async () => {
      const stream = `test:${uid()}`;
      expect(await store.append(stream, 0, [])).toBe(0);
      await store.append(stream, 0, [ev('A')]);
      expect(await store.append(stream, 1, [])).toBe(1);
      await expect(store.append(stream, 0, [])).rejects.toBeInstanceOf(ConcurrencyError);
    });
  });

  appendManyContract(() => store);

  describe('Appending at the head, with no expected version', () => {
    it('When events are appended at the head of a new stream and then after an expected-version append, Then the versions run on from whatever is there', async () => {
      const stream = `test:${uid()}`;
      expect(await store.appendAtHead(stream, [ev('A'), ev('B')])).toBe(2);
      await store.append(stream, 2, [ev('C')]);
      expect(await store.appendAtHead(stream, [ev('D', { n: 4 })])).toBe(4);
      expect(await store.appendAtHead(stream, [])).toBe(4);
      expect((await store.read(stream)).map((e) => [e.version, e.type])).toEqual([
        [1, 'A'],
        [2, 'B'],
        [3, 'C'],
        [4, 'D'],
      ]);
    });

    it('When 300 writers append at the head of one stream while a writer appends with an expected version to another, Then all 300 are recorded once each, numbered 1 to 300, and the other append succeeds at its first try', async () => {
      const crowd = `test:crowd:${uid()}`;
      const other = `test:decided:${uid()}`;
      await store.append(other, 0, [ev('Opened')]);
      const writes = Array.from({ length: 300 }, (_, i) => store.appendAtHead(crowd, [ev('Refused', { i })]));
      const decided = store.append(other, 1, [ev('Approved')]);
      const [versions, last] = await Promise.all([Promise.all(writes), decided]);

      expect(last).toBe(2);
      expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      const events = await store.read(crowd);
      expect(events.map((e) => e.version)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      expect(new Set(events.map((e) => (e.data as { i: number }).i)).size).toBe(300);
    });
  });

  describe('Reading across streams', () => {
    it('When reading all with filters, Then prefix, types, after and limit all narrow the result in global order', async () => {
      const root = `all-${uid()}`;
      await store.append(`${root}:a`, 0, [ev('X', { i: 1 }), ev('Y', { i: 2 })]);
      await store.append(`${root}:b`, 0, [ev('X', { i: 3 })]);
      await store.append(`${root}:a`, 2, [ev('Z', { i: 4 })]);
      await store.append(`other-${uid()}`, 0, [ev('X', { i: 99 })]);

      const all = await store.readAll({ streamPrefix: `${root}:` });
      expect(all.map((e) => (e.data as { i: number }).i)).toEqual([1, 2, 3, 4]);

      const xs = await store.readAll({ streamPrefix: `${root}:`, types: ['X'] });
      expect(xs.map((e) => e.stream)).toEqual([`${root}:a`, `${root}:b`]);

      const afterFirst = await store.readAll({ streamPrefix: `${root}:`, after: all[0]?.globalPosition });
      expect(afterFirst.map((e) => (e.data as { i: number }).i)).toEqual([2, 3, 4]);

      const limited = await store.readAll({ streamPrefix: `${root}:`, types: ['X', 'Z'], limit: 2 });
      expect(limited.map((e) => (e.data as { i: number }).i)).toEqual([1, 3]);

      const anyStream = await store.readAll({ types: ['Z'], after: all[2]?.globalPosition });
      expect(anyStream.some((e) => e.stream === `${root}:a` && e.version === 3)).toBe(true);
    });

    it('When a prefix holds LIKE wildcards, Then they are matched literally', async () => {
      const root = uid();
      await store.append(`lit_${root}:1`, 0, [ev('A')]);
      await store.append(`litX${root}:1`, 0, [ev('A')]);
      await store.append(`lit%${root}:1`, 0, [ev('A')]);

      expect((await store.readAll({ streamPrefix: `lit_${root}` })).map((e) => e.stream)).toEqual([`lit_${root}:1`]);
      expect((await store.streams(`lit%${root}`)).map((s) => s.stream)).toEqual([`lit%${root}:1`]);
    });

    it('When listing streams by prefix, Then each comes once with its last version, ordered by name', async () => {
      const root = `weekly-${uid()}`;
      await store.append(`${root}:2025-01-13`, 0, [ev('A'), ev('B'), ev('C')]);
      await store.append(`${root}:2025-01-06`, 0, [ev('A')]);
      await store.append(`${root}:2025-01-20`, 0, [ev('A'), ev('B')]);
      await store.append(`${root}x:2025-01-06`, 0, [ev('A')]);

      expect(await store.streams(`${root}:`)).toEqual([
        { stream: `${root}:2025-01-06`, version: 1 },
        { stream: `${root}:2025-01-13`, version: 3 },
        { stream: `${root}:2025-01-20`, version: 2 },
      ]);
      expect(await store.streams(`nothing-${uid()}`)).toEqual([]);
    });
  });

  describe('Transactions', () => {
    it('When the function given to tx throws, Then none of its writes stay', async () => {
      const stream = `test:${uid()}`;
      await expect(
        db.tx(async (q) => {
          await q.query(`insert into events (stream, version, type, data) values ($1, 1, 'A', '{}')`, [stream]);
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(await store.read(stream)).toEqual([]);

      const result = await db.tx(async (q) => {
        await q.query(`insert into events (stream, version, type, data) values ($1, 1, 'A', '{}')`, [stream]);
        return 'kept';
      });
      expect(result).toBe('kept');
      expect(await store.read(stream)).toHaveLength(1);
    });
  });

  describe('Named statements', () => {
    it('When a named statement runs again, inside a transaction, and after a transaction it failed in, Then it answers each time', async () => {
      const stream = `test:${uid()}`;
      const count: NamedStatement = { name: 'test_count_stream', text: 'select count(*)::int as n, $2::text as tag from events where stream = $1' };
      await store.append(stream, 0, [ev('A')]);

      expect(await db.query(count, [stream, 'first'])).toEqual([{ n: 1, tag: 'first' }]);
      expect(await db.query(count, [stream, 'again'])).toEqual([{ n: 1, tag: 'again' }]);
      await expect(
        db.tx(async (q) => {
          expect(await q.query(count, [stream, 'in a transaction'])).toEqual([{ n: 1, tag: 'in a transaction' }]);
          await q.query(count, [stream, 'not a number', 'one parameter too many']);
        }),
      ).rejects.toThrow();
      expect(await db.query(count, [stream, 'after'])).toEqual([{ n: 1, tag: 'after' }]);
      expect(await store.append(stream, 1, [ev('B')])).toBe(2);
      expect(await db.query(count, [stream, 'last'])).toEqual([{ n: 2, tag: 'last' }]);
    });

    it('When statements are executed for their effect, Then each answers how many rows it changed', async () => {
      const stream = `test:${uid()}`;
      const relabel: NamedStatement = { name: 'test_relabel', text: 'update events set type = $2 where stream = $1' };
      await store.append(stream, 0, [ev('A'), ev('B')]);

      expect(await db.execute(relabel, [stream, 'C'])).toBe(2);
      expect(await db.execute(relabel, [`${stream}:none`, 'C'])).toBe(0);
      expect(await db.tx((q) => q.execute(`insert into events (stream, version, type, data) values ($1, 3, 'D', '{}')`, [stream]))).toBe(1);
      expect((await store.read(stream)).map((e) => e.type)).toEqual(['C', 'C', 'D']);
    });
  });

  describe('Migrations', () => {
    it('When migrate runs on a current schema, Then it applies nothing', async () => {
      expect(await migrate(db)).toEqual([]);
      const names = await db.query<{ name: string }>('select name from schema_migrations order by name');
      expect(names.map((r) => r.name)).toEqual(expect.arrayContaining(['001_events.sql', '002_runtime.sql']));
    });

    it('When the migration files are run twice by hand, Then nothing fails', async () => {
      // Every file, in order: a later file may redefine a view an earlier one made.
      for (const name of (await readdir(MIGRATIONS_DIR)).filter((n) => n.endsWith('.sql')).sort()) {
        const sql = await readFile(join(MIGRATIONS_DIR, name), 'utf8');
        await db.tx((q) => q.query(sql));
        await db.tx((q) => q.query(sql));
      }
    });

    it('When several migrators start at once, Then each migration is applied exactly once', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'council-migrations-'));
      try {
        const table = `probe_${uid()}`;
        // No "if not exists": applying it twice would fail.
        await writeFile(join(dir, `900_${table}.sql`), `create table ${table} (id int);\ninsert into ${table} values (1);`);

        const runs = await Promise.all([migrate(db, dir), migrate(db, dir), migrate(db, dir)]);

        expect(runs.flat()).toEqual([`900_${table}.sql`]);
        expect(await db.query(`select count(*)::int as n from ${table}`)).toEqual([{ n: 1 }]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('When a migration fails half way, Then nothing of it stays and it is not recorded', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'council-migrations-'));
      try {
        const table = `broken_${uid()}`;
        await writeFile(join(dir, `901_${table}.sql`), `create table ${table} (id int);\nselect 1/0;`);

        await expect(migrate(db, dir)).rejects.toThrow(/division by zero/);

        expect(await db.query('select to_regclass($1) as t', [table])).toEqual([{ t: null }]);
        expect(await db.query('select 1 from schema_migrations where name = $1', [`901_${table}.sql`])).toEqual([]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('Projection views', () => {
    const proposal = async (id: string, ...events: NewEvent[]) => {
      await store.append(`proposal:${id}`, 0, [ev('ProposalOpened', { proposalId: id, week: '2025-01-06', orders: [] }), ...events]);
    };
    const statusOf = async (id: string) => (await db.query<{ status: string }>('select status from proposals where proposal_id = $1', [id]))[0]?.status;

    it('When proposals are opened, decided and executed, Then the proposals view shows each one status', async () => {
      const [pending, approved, rejected, expired, executed, reopened] = Array.from({ length: 6 }, uid);
      const at = '2025-01-06T15:00:00.000Z';
      await proposal(pending!);
      await proposal(approved!, ev('ProposalApproved', { by: 'alice', at }));
      await proposal(rejected!, ev('ProposalRejected', { by: 'bob', at, reason: 'too risky' }));
      await proposal(expired!, ev('ProposalExpired', { at }));
      await proposal(
        executed!,
        ev('ProposalApproved', { by: 'alice', at }),
        ev('OrderSubmitted', { account: 'a', clientOrderId: 'c1', brokerOrderId: 'b1', symbol: 'SPY', side: 'buy', qty: 1 }),
        ev('ExecutionCompleted', {}),
      );
      await proposal(reopened!, ev('ProposalExpired', { at }), ev('ProposalApproved', { by: 'carol', at }));

      expect(await statusOf(pending!)).toBe('PENDING');
      expect(await statusOf(approved!)).toBe('APPROVED');
      expect(await statusOf(rejected!)).toBe('REJECTED');
      expect(await statusOf(expired!)).toBe('EXPIRED');
      expect(await statusOf(executed!)).toBe('EXECUTED');
      expect(await statusOf(reopened!)).toBe('APPROVED');

      const [row] = await db.query('select * from proposals where proposal_id = $1', [rejected]);
      expect(row).toMatchObject({
        proposal_id: rejected,
        week: '2025-01-06',
        orders: [],
        decided_by: 'bob',
        decided_at: at,
        reason: 'too risky',
        version: 2,
        stream: `proposal:${rejected}`,
      });
    });

    it('When orders are submitted, rejected and filled, Then the orders view tells each one apart', async () => {
      const id = uid();
      const account = `acct-${uid()}`;
      const order = (clientOrderId: string, qty: number) => ({ account, symbol: 'SPY', side: 'buy', qty, clientOrderId });
      const fill = (clientOrderId: string, qty: number, price: number) =>
        ev('OrderFilled', { account, clientOrderId, symbol: 'SPY', side: 'buy', qty, price, fee: 0, filledAt: '2025-01-07T14:30:00Z' });
      await store.append(`proposal:${id}`, 0, [
        ev('ProposalOpened', {
          proposalId: id,
          week: '2025-01-06',
          orders: [order('full', 10), order('part', 10), order('rej', 5), order('sent', 5), order('plan', 5)],
        }),
        ev('ProposalApproved', { by: 'alice', at: '2025-01-07T14:00:00Z' }),
        ...['full', 'part', 'sent'].map((c) => ev('OrderSubmitted', { account, clientOrderId: c, brokerOrderId: `b-${c}`, symbol: 'SPY', side: 'buy', qty: 10 })),
        ev('OrderRejected', { account, clientOrderId: 'rej', reason: 'insufficient buying power' }),
        fill('full', 4, 100),
        fill('full', 6, 110),
        fill('part', 3, 100),
      ]);

      const rows = await db.query<Record<string, unknown>>(
        'select client_order_id, status, filled_qty, avg_price, broker_order_id, reject_reason from orders where proposal_id = $1 order by client_order_id',
        [id],
      );
      const view = Object.fromEntries(rows.map((r) => [r['client_order_id'], r]));
      expect(view['full']).toMatchObject({ status: 'FILLED', broker_order_id: 'b-full' });
      expect(Number(view['full']?.['filled_qty'])).toBe(10);
      expect(Number(view['full']?.['avg_price'])).toBe(106);
      expect(view['part']).toMatchObject({ status: 'PARTIALLY_FILLED' });
      expect(view['rej']).toMatchObject({ status: 'REJECTED', reject_reason: 'insufficient buying power' });
      expect(view['sent']).toMatchObject({ status: 'SUBMITTED', broker_order_id: 'b-sent' });
      expect(view['plan']).toMatchObject({ status: 'PLANNED', broker_order_id: null });
    });

    it('When an approval records the orders computed at the click, Then the orders view shows those, not the planned ones', async () => {
      const id = uid();
      const account = `acct-${uid()}`;
      const order = (clientOrderId: string, side: string, qty: number) => ({ account, symbol: clientOrderId.toUpperCase(), side, qty, clientOrderId });
      await store.append(`proposal:${id}`, 0, [
        ev('ProposalOpened', { proposalId: id, week: '2025-01-06', orders: [order('tlt', 'sell', 30), order('spy', 'buy', 20)], targets: [] }),
        // TLT was closed by a checkpoint before the click: only the SPY buy is placed, clamped.
        ev('ProposalApproved', { by: 'alice', at: '2025-01-07T14:00:00Z', orders: [order('spy', 'buy', 18)] }),
        ev('OrderSubmitted', { account, clientOrderId: 'spy', brokerOrderId: 'b-spy', symbol: 'SPY', side: 'buy', qty: 18 }),
      ]);
      const rows = await db.query<Record<string, unknown>>('select client_order_id, qty, status from orders where proposal_id = $1', [id]);
      expect(rows.map((r) => ({ ...r, qty: Number(r['qty']) }))).toEqual([{ client_order_id: 'spy', qty: 18, status: 'SUBMITTED' }]);
    });

    it('When buys and sells are filled, Then the positions view nets them, keeps an average cost and drops flat rows', async () => {
      const account = `acct-${uid()}`;
      let n = 0;
      const fill = (symbol: string, side: 'buy' | 'sell', qty: number, price: number) =>
        ev('OrderFilled', {
          account,
          clientOrderId: `c${++n}`,
          symbol,
          side,
          qty,
          price,
          fee: 0.5,
          filledAt: `2025-01-07T14:${String(n).padStart(2, '0')}:00Z`,
        });
      await store.append(`proposal:${uid()}`, 0, [
        fill('SPY', 'buy', 10, 100),
        fill('SPY', 'buy', 10, 110),
        fill('SPY', 'sell', 5, 120), // reduces: average cost unchanged
        fill('QQQ', 'buy', 5, 400),
        fill('QQQ', 'sell', 5, 410), // flat: dropped
        fill('TLT', 'sell', 3, 90), // short
        fill('GLD', 'buy', 2, 180),
        fill('GLD', 'sell', 5, 190), // flips to short 3 at 190
        fill('IWM', 'buy', 1.5, 200), // fractional
      ]);

      const rows = await db.query<{ symbol: string; qty: string; avg_cost: string }>('select symbol, qty, avg_cost from positions where account = $1 order by symbol', [account]);
      expect(rows.map((r) => [r.symbol, Number(r.qty), Number(r.avg_cost)])).toEqual([
        ['GLD', -3, 190],
        ['IWM', 1.5, 200],
        ['SPY', 15, 105],
        ['TLT', -3, 90],
      ]);

      const fills = await db.query('select count(*)::int as n, sum(fee)::float8 as fees from fills where account = $1', [account]);
      expect(fills).toEqual([{ n: 9, fees: 4.5 }]);
    });

    it('When a week is researched, pitched, reviewed and decided, Then the week views show it by council and week', async () => {
      const council = `main:${uid()}`;
      const stream = `week:${council}:2025-01-06`;
      const pitch = { instrument: 'SPY', direction: 'LONG', conviction: 1.5, thesis: ['x'] };
      await store.append(stream, 0, [
        ev('ResearchCompleted', { runId: 'r1', week: '2025-01-06', pack: { regime: { summary: 'calm' } } }),
        ev('PitchRecorded', { runId: 'r1', seat: 'bull', model: 'm1', status: 'ok', pitch, error: null }),
        ev('PitchRecorded', { runId: 'r1', seat: 'bear', model: 'm2', status: 'abstained', pitch: null, error: 'timeout' }),
        ev('ReviewRecorded', { runId: 'r1', reviewer: 'bear', seed: 42, labels: { A: 'bull' }, scores: [{ target: 'A' }] }),
        ev('DecisionMade', { runId: 'r1', decision: { instrument: 'SPY', direction: 'LONG', conviction: 1 } }),
      ]);
      const where = 'where council = $1 and week = $2';
      const args = [council, '2025-01-06'];

      expect(await db.query(`select run_id, pack from research_packs ${where}`, args)).toEqual([{ run_id: 'r1', pack: { regime: { summary: 'calm' } } }]);
      expect(await db.query(`select seat, model, status, pitch, instrument, direction, conviction, error from pitches ${where} order by version`, args)).toEqual([
        { seat: 'bull', model: 'm1', status: 'ok', pitch, instrument: 'SPY', direction: 'LONG', conviction: '1.5', error: null },
        { seat: 'bear', model: 'm2', status: 'abstained', pitch: null, instrument: null, direction: null, conviction: null, error: 'timeout' },
      ]);
      expect(await db.query(`select reviewer, seed, labels, scores from reviews ${where}`, args)).toEqual([
        { reviewer: 'bear', seed: '42', labels: { A: 'bull' }, scores: [{ target: 'A' }] },
      ]);
      expect(await db.query(`select instrument, direction, conviction from decisions ${where}`, args)).toEqual([{ instrument: 'SPY', direction: 'LONG', conviction: '1' }]);
    });
  });
}
