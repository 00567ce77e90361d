/**
 * Orders netted per account and symbol within a session (issue 15), through the App as a desk uses it,
 * on PGlite and, when TEST_DATABASE_URL is set, on PostgreSQL 15: Friday's 15:50 horizon exits fill at
 * Monday's open, and Monday's approved proposal trades the same symbols at that same open. Each such
 * exit is folded into the proposal's order (or into nothing), recorded on the approval and on the exit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { ProposalEvent } from '../../src/domain/proposal.ts';
import { buildApp, partsOf } from '../../src/compose.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { loadProposal, loadProposals } from '../../src/pipeline/execution.ts';
import { proposalStream } from '../../src/pipeline/run.ts';
import { runJson } from '../../src/views.ts';
import { POSTGRES_URL, scenarioDatabase } from '../faults/support/database.ts';
import { ROOT } from '../support/cli.ts';

const BACKENDS = [{ kind: 'PGlite' }, ...(POSTGRES_URL ? [{ kind: 'PostgreSQL 15' }] : [])];

async function freshDatabase(kind: string, label: string) {
  if (kind !== 'PGlite') return scenarioDatabase(label);
  const dataDir = mkdtempSync(join(tmpdir(), `council-net-${label}-`));
  const { openDatabase } = await import('../../src/store/database.ts');
  return { env: { COUNCIL_DATA_DIR: dataDir }, open: () => openDatabase({ dataDir }), dispose: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

describe.each(BACKENDS)('On $kind: an exit and the next entry at one open become one order', ({ kind }) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it("Given Friday's horizon exits working for Monday's open, When Monday's proposal is approved, Then no account buys and sells one symbol at that open, and the netting is recorded on both proposals", async () => {
    const db = await freshDatabase(kind, 'net');
    cleanups.push(db.dispose);
    const config = loadConfig({ ...db.env, COUNCIL_CONFIG: join(ROOT, 'config/council.yaml') });
    const app = await buildApp(config, { db: await db.open(), logger: pino({ level: 'silent' }), clock: () => new Date('2026-11-24T15:00:00Z') });
    cleanups.unshift(() => app.close());

    const p1 = runJson(await app.run({ week: '2024-03-11' })).proposal!;
    await app.approve({ proposalId: p1.id, by: 'cli:alice', via: 'cli' });
    // The 1w positions end with Friday's last checkpoint: exits that fill at Monday 2024-03-18's open.
    const friday = await app.checkpoint(nyDateTime('2024-03-15', '15:50'));
    const exits = friday.exits.filter((e) => e.reason === 'horizon');
    expect(exits.length).toBeGreaterThan(0);

    const p2 = runJson(await app.run({ week: '2024-03-18' })).proposal!;
    const approved = await app.approve({ proposalId: p2.id, by: 'cli:alice', via: 'cli' });
    const netted = approved.state.netted;
    // Every working exit of a symbol the new targets hold is netted; the rest still close at the open.
    const held = new Set(p2.targets.filter((t) => t.qty !== 0).map((t) => `${t.account} ${t.symbol}`));
    const shared = exits.filter((e) => held.has(`${e.account} ${e.symbol}`));
    expect(shared.length).toBeGreaterThan(0);
    expect(netted.map((n) => `${n.account} ${n.symbol}`).sort()).toEqual(shared.map((e) => `${e.account} ${e.symbol}`).sort());
    const approval = (await partsOf(app).store.read(proposalStream(p2.id))).find((e) => e.type === 'ProposalApproved')!.data as Extract<
      ProposalEvent,
      { type: 'ProposalApproved' }
    >['data'];
    expect(approval.netted).toEqual(netted);
    for (const n of netted) {
      const exit = shared.find((e) => e.account === n.account && e.symbol === n.symbol)!;
      const state = await loadProposal(partsOf(app).store, exit.proposalId);
      expect(state.rejectedOrders[n.clientOrderId]).toMatch(new RegExp(`^netted: canceled at .* and folded into .* of proposal ${p2.id}`));
      if (n.into) expect(approved.state.orders.find((o) => o.clientOrderId === n.into)?.reason).toMatch(/netted with the working/);
      else expect(approved.state.orders.some((o) => o.account === n.account && o.symbol === n.symbol)).toBe(false);
    }

    // Through Monday's close: every fill of the session, by account and symbol, goes one way only.
    await app.checkpoint(nyDateTime('2024-03-18', '15:50'));
    const fills = (await loadProposals(partsOf(app).store)).flatMap((p) =>
      p.orders.flatMap((o) => (p.fills[o.clientOrderId] ? [{ ...o, filledAt: p.fills[o.clientOrderId]!.filledAt }] : [])),
    );
    const monday = fills.filter((f) => f.filledAt.startsWith('2024-03-18'));
    expect(monday.length).toBeGreaterThan(0);
    const sides = new Map<string, Set<string>>();
    for (const f of monday) sides.set(`${f.account} ${f.symbol}`, (sides.get(`${f.account} ${f.symbol}`) ?? new Set()).add(f.side));
    expect([...sides].filter(([, s]) => s.size > 1)).toEqual([]);
    // And the books hold exactly the targets.
    const status = await app.status();
    for (const t of p2.targets.filter((x) => x.qty !== 0))
      expect(status.accounts.find((a) => a.account === t.account)?.positions.find((p) => p.symbol === t.symbol)?.qty, `${t.account} ${t.symbol}`).toBe(t.qty);
  });
});
