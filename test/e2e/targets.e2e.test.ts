/**
 * The orders executed are the orders approved, inside the limits at the moment they execute (issue 13,
 * item 1). Both reproductions of the issue, on PGlite and, when TEST_DATABASE_URL is set, on
 * PostgreSQL 15: the first through the real `council` command as a desk would type it, the second in
 * process, where a stale proposal can also be forced past the supersession.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { type ProposalEvent, ProposalError } from '../../src/domain/proposal.ts';
import { buildApp, partsOf } from '../../src/compose.ts';
import { loadProposal } from '../../src/pipeline/execution.ts';
import { proposalStream } from '../../src/pipeline/run.ts';
import { runJson } from '../../src/views.ts';
import { POSTGRES_URL, scenarioDatabase } from '../faults/support/database.ts';
import { council, ROOT } from '../support/cli.ts';

interface Target {
  account: string;
  symbol: string;
  qty: number;
}
interface Held {
  account: string;
  positions: { symbol: string; qty: number }[];
}

const BACKENDS = [{ kind: 'PGlite' }, ...(POSTGRES_URL ? [{ kind: 'PostgreSQL 15' }] : [])];

/** A fresh database of the kind asked for: an empty COUNCIL_DATA_DIR, or an empty schema on the server. */
async function freshDatabase(kind: string, label: string) {
  if (kind !== 'PGlite') return scenarioDatabase(label);
  const dataDir = mkdtempSync(join(tmpdir(), `council-targets-${label}-`));
  // scenarioDatabase picks PostgreSQL whenever TEST_DATABASE_URL is set; this one is PGlite regardless.
  const { openDatabase } = await import('../../src/store/database.ts');
  return { env: { COUNCIL_DATA_DIR: dataDir }, open: () => openDatabase({ dataDir }), dispose: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

/** The bundled council file with shorts disabled. */
function noShortsConfig(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'council-noshorts-')), 'council.yaml');
  const text = readFileSync(join(ROOT, 'config/council.yaml'), 'utf8');
  expect(text).toMatch(/allowShorts: true/);
  writeFileSync(file, text.replace(/allowShorts: true/, 'allowShorts: false'));
  return file;
}

/** Every account holds only what the targets showed (never more, never the other way), nothing else. */
function expectWithinTargets(accounts: readonly Held[], targets: readonly Target[]) {
  for (const { account, positions } of accounts)
    for (const p of positions) {
      const t = targets.find((x) => x.account === account && x.symbol === p.symbol);
      expect(t, `${account} holds ${p.qty} ${p.symbol}, which the proposal never showed`).toBeDefined();
      expect(Math.sign(p.qty), `${account} ${p.symbol}`).toBe(Math.sign(t!.qty));
      expect(Math.abs(p.qty), `${account} ${p.symbol}`).toBeLessThanOrEqual(Math.abs(t!.qty));
    }
}

describe.each(BACKENDS)('On $kind: the orders executed are the orders approved', ({ kind }) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('Given week 1 approved, week 2 planned and a checkpoint that exits week 1 before the click, When week 2 is approved, Then no account holds a position week 2 never showed, and no short with shorts disabled', async () => {
    const db = await freshDatabase(kind, 'repro1');
    cleanups.push(db.dispose);
    const env = { ...db.env, COUNCIL_CONFIG: noShortsConfig() };
    const json = async (args: string[]) => {
      const r = await council([...args, '--json'], env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout);
    };

    const p1 = (await json(['run', '--week', '2024-03-04'])).proposal;
    expect(p1.targets.length).toBeGreaterThan(0);
    expect((await json(['approve', p1.id])).status).toBe('EXECUTED');

    const week2 = await json(['run', '--week', '2024-03-11']);
    const p2 = week2.proposal;
    // The targets as shown: signed holdings afterwards, a zero for every week 1 position it closes.
    for (const t of p2.targets) expect(Object.keys(t).sort()).toEqual(['account', 'qty', 'symbol']);
    const closes = p2.targets.filter((t: Target) => t.qty === 0);
    expect(closes.length).toBeGreaterThan(0);
    expect(p2.targets.every((t: Target) => t.qty >= 0)).toBe(true);

    const exits = await council(['checkpoint', '--at', '2024-03-11T09:00'], env);
    expect(exits.code, exits.stderr).toBe(0);
    expect(exits.stdout).toMatch(/EXIT/);

    const approved = await json(['approve', p2.id]);
    expect(approved.status).toBe('EXECUTED');
    // The closes were done by the checkpoint: the approval computed no order for them, so none became a short.
    for (const c of closes) expect(approved.orders.some((o: Target) => o.account === c.account && o.symbol === c.symbol)).toBe(false);
    expect(approved.targets).toEqual(p2.targets);

    const status = await json(['status']);
    const held: Held[] = status.accounts;
    expect(held.flatMap((a) => a.positions).every((p) => p.qty > 0)).toBe(true);
    expectWithinTargets(held, p2.targets);
    // And every opened target is held.
    for (const t of p2.targets.filter((x: Target) => x.qty !== 0)) expect(held.find((a) => a.account === t.account)?.positions.find((p) => p.symbol === t.symbol)?.qty).toBe(t.qty);
  });

  it('Given two proposals planned from the same empty book, When both are approved, Then the older is superseded and a forced stale one recomputes: nothing stacks past maxPositionPct', async () => {
    const db = await freshDatabase(kind, 'repro2');
    cleanups.push(db.dispose);
    const config = loadConfig({ ...db.env, COUNCIL_CONFIG: join(ROOT, 'config/council.yaml') });
    const app = await buildApp(config, { db: await db.open(), logger: pino({ level: 'silent' }), clock: () => new Date('2026-11-24T15:00:00Z') });
    cleanups.unshift(() => app.close());

    const p1 = runJson(await app.run({ week: '2024-03-04' })).proposal!;
    const p2 = runJson(await app.run({ week: '2024-03-11' })).proposal!;
    // Both planned from the empty book: every target is an opening, nothing to close.
    expect(p1.targets.every((t) => t.qty !== 0 || p1.orders.every((o) => o.account !== t.account))).toBe(true);
    expect(p2.targets.filter((t) => t.qty === 0)).toEqual(p2.targets.filter((t) => p2.orders.every((o) => o.account !== t.account || o.symbol !== t.symbol)));

    // Planning P2 superseded P1, with the reason; approving it now places nothing.
    const older = await loadProposal(partsOf(app).store, p1.id);
    expect(older.status).toBe('EXPIRED');
    expect(older.expiredReason).toMatch(new RegExp(`superseded by proposal ${p2.id}`));
    await expect(app.approve({ proposalId: p1.id, by: 'cli:alice', via: 'cli' })).rejects.toThrow(/withdrawn: superseded .*nothing was placed/);

    const first = await app.approve({ proposalId: p2.id, by: 'cli:alice', via: 'cli' });
    expect(first.state.status).toBe('EXECUTED');

    // Force stale proposals past the supersession: twins opened as a second replica (or an older
    // version) might have, one with P2's targets and one with P1's, both still pending.
    const opened = async (id: string) => (await partsOf(app).store.read(proposalStream(id)))[0]!.data as Extract<ProposalEvent, { type: 'ProposalOpened' }>['data'];
    const twin = async (of: string, id: string, times?: string) =>
      partsOf(app).store.append(proposalStream(id), 0, [
        {
          type: 'ProposalOpened',
          data: { ...(await opened(of)), ...(times ? { asOf: (await opened(times)).asOf, expiresAt: (await opened(times)).expiresAt } : {}), proposalId: id },
        },
      ]);
    await twin(p2.id, `${p2.id}-twin`);
    // P1's twin as written at P2's time (on replay data a proposal of an earlier week is refused before any book is read).
    await twin(p1.id, `${p1.id}-twin`, p2.id);
    await twin(p1.id, `${p1.id}-late`);
    await expect(app.approve({ proposalId: `${p1.id}-late`, by: 'cli:alice', via: 'cli' })).rejects.toThrow(/simulated time only moves forward.*Nothing was placed/);

    // P2's twin finds the book at its targets already: it places nothing, so nothing doubles.
    const again = await app.approve({ proposalId: `${p2.id}-twin`, by: 'cli:alice', via: 'cli' });
    expect(again.orders).toEqual([]);
    expect(again.state.status).toBe('EXECUTED');

    // P1's twin would hold what P2 already replaced: refused with the reason, nothing placed, withdrawn.
    const stale = app.approve({ proposalId: `${p1.id}-twin`, by: 'cli:alice', via: 'cli' });
    await expect(stale).rejects.toBeInstanceOf(ProposalError);
    await expect(stale).rejects.toThrow(/the book changed since it was shown: .* a position this proposal never showed.*Nothing was placed/);
    expect((await loadProposal(partsOf(app).store, `${p1.id}-twin`)).status).toBe('EXPIRED');
    expect((await loadProposal(partsOf(app).store, `${p1.id}-twin`)).submitted).toEqual({});

    // A pending proposal written before proposals carried targets cannot be checked against a book.
    const { targets: _, ...legacy } = await opened(p2.id);
    await partsOf(app).store.append(proposalStream(`${p2.id}-old`), 0, [{ type: 'ProposalOpened', data: { ...legacy, proposalId: `${p2.id}-old` } }]);
    await expect(app.approve({ proposalId: `${p2.id}-old`, by: 'cli:alice', via: 'cli' })).rejects.toThrow(
      /withdrawn, not approved: it was planned before proposals carried their target positions.*Nothing was placed/,
    );

    const status = await app.status();
    expectWithinTargets(status.accounts, p2.targets);
    // Exactly P2's targets, not twice them: and P2 was sized inside maxPositionPct of the starting equity.
    for (const t of p2.targets.filter((x) => x.qty !== 0))
      expect(status.accounts.find((a) => a.account === t.account)?.positions.find((p) => p.symbol === t.symbol)?.qty).toBe(t.qty);
    const cap = config.file.risk.startingCash * config.file.risk.maxPositionPct;
    for (const o of first.orders) expect(o.qty * (o.fillPrice ?? 0), `${o.account} ${o.symbol}`).toBeLessThanOrEqual(cap * 1.01);
  });
});
