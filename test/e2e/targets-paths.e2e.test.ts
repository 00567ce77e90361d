/**
 * The orders executed are the orders approved, inside the limits at the moment they execute (issue 13,
 * item 1), on the approval paths added since: a partial approval (the chat grammar every channel shares)
 * and the dashboard's POST. A proposal is planned under one council file and approved after the desk
 * changed its risk limits (the same data folder, the application built again): the limits that apply
 * are the ones in force at the click, whichever path the click took.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { parseCouncilCommand } from '../../src/bot/commands.ts';
import { dispatch } from '../../src/bot/dispatch.ts';
import { buildApp } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ProposalError } from '../../src/domain/proposal.ts';
import { openDatabase } from '../../src/store/database.ts';
import { ROOT } from '../support/cli.ts';
import { signInAs, startDashboard } from '../web/support.ts';

const WEEK = '2024-03-04';
const APPROVER = 'slack:UBOSS';

/** The bundled council file with its risk lines replaced. */
function councilFile(dir: string, name: string, replace: (text: string) => string): string {
  const text = readFileSync(join(ROOT, 'config/council.yaml'), 'utf8');
  expect(text).toMatch(/allowShorts: true/);
  expect(text).toMatch(/maxPositionPct: 0\.20/);
  const file = join(dir, name);
  writeFileSync(file, replace(text));
  return file;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A data folder where the week was planned with shorts allowed, and the app built again on it with `after`. */
async function plannedThenChanged(after: (text: string) => string): Promise<{ app: App; proposalId: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'council-target-paths-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const build = async (file: string) =>
    buildApp(loadConfig({ COUNCIL_DATA_DIR: dataDir, COUNCIL_CONFIG: file, COUNCIL_APPROVERS: APPROVER }), {
      db: await openDatabase({ dataDir }),
      logger: pino({ level: 'silent' }),
      clock: () => new Date('2026-11-24T15:00:00Z'),
    });
  const planning = await build(councilFile(dataDir, 'planned.yaml', (t) => t));
  const proposalId = (await planning.run({ week: WEEK })).proposal!.proposalId;
  await planning.close();
  const app = await build(councilFile(dataDir, 'now.yaml', after));
  cleanups.unshift(() => app.close());
  return { app, proposalId };
}

const placed = async (app: App, proposalId: string) => (await app.ports.store.read(`proposal:${proposalId}`)).filter((e) => e.type === 'OrderSubmitted');

describe('Limits at the click, on every approval path', () => {
  it('When shorts were disabled after a short was planned, Then a partial approval of that account is refused with the reason, withdrawn, and nothing is placed', async () => {
    const { app, proposalId } = await plannedThenChanged((t) => t.replace(/allowShorts: true/, 'allowShorts: false'));
    const short = (await app.proposal(proposalId)).targets!.find((t) => t.qty < 0);
    expect(short, 'the week plans a short').toBeDefined();

    const command = parseCouncilCommand(`approve ${proposalId} --accounts ${short!.account}`);
    const approving = dispatch(app, command, { by: APPROVER, via: 'slack' });
    await expect(approving).rejects.toBeInstanceOf(ProposalError);
    await expect(approving).rejects.toThrow(new RegExp(`${short!.account} can no longer hold ${short!.qty} ${short!.symbol}: shorts are disabled.*Nothing was placed`));
    const after = await app.proposal(proposalId);
    expect(after.status).toBe('EXPIRED');
    expect(after.expiredReason).toMatch(/shorts are disabled/);
    expect(await placed(app, proposalId)).toEqual([]);
    expect((await app.book(short!.account)).positions).toEqual([]);
  });

  it('When shorts were disabled after a short was planned, Then the dashboard’s approval is refused with the reason, and nothing is placed in any account', async () => {
    const { app, proposalId } = await plannedThenChanged((t) => t.replace(/allowShorts: true/, 'allowShorts: false'));
    const dashboard = await startDashboard(app);
    cleanups.unshift(() => dashboard.close());
    const approver = await signInAs(dashboard, APPROVER);

    const res = await fetch(`${dashboard.server.url}/api/proposals/${proposalId}/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: approver.cookie, 'x-csrf-token': approver.csrf },
      body: '{}',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(JSON.stringify(await res.json())).toMatch(/shorts are disabled.*Nothing was placed/);
    expect((await app.proposal(proposalId)).status).toBe('EXPIRED');
    expect(await placed(app, proposalId)).toEqual([]);
    for (const account of app.accounts) expect((await app.book(account)).positions, account).toEqual([]);
  });

  it('When maxPositionPct was lowered after planning, Then a partial approval places only its accounts, each order clamped to the cap in force at the click', async () => {
    const { app, proposalId } = await plannedThenChanged((t) => t.replace(/maxPositionPct: 0\.20/, 'maxPositionPct: 0.05'));
    const planned = await app.proposal(proposalId);
    const chosen = [...new Set(planned.orders.filter((o) => o.side === 'buy').map((o) => o.account))].slice(0, 2);
    expect(chosen).toHaveLength(2);

    const outcome = await dispatch(app, parseCouncilCommand(`approve ${proposalId} --accounts ${chosen.join(',')}`), { by: APPROVER, via: 'slack' });
    expect(outcome.kind).toBe('approved');
    const orders = outcome.kind === 'approved' ? outcome.orders : [];
    expect(new Set(orders.map((o) => o.account))).toEqual(new Set(chosen));
    for (const o of orders) {
      const shown = planned.orders.find((p) => p.account === o.account && p.symbol === o.symbol)!;
      expect(o.qty, `${o.account} ${o.symbol}`).toBeLessThan(shown.qty);
      expect(o.clamps.join(' '), `${o.account} ${o.symbol}`).toMatch(/position capped at 5% of equity at execution/);
      expect(o.qty * (o.fillPrice ?? 0), `${o.account} ${o.symbol}`).toBeLessThanOrEqual(100_000 * 0.05 * 1.01);
    }
    for (const account of app.accounts.filter((a) => !chosen.includes(a))) expect((await app.book(account)).positions, account).toEqual([]);
  });
});
