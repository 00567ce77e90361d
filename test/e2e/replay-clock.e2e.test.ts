/**
 * Simulated time only moves forward (issue 15, item 8), on PGlite and, when TEST_DATABASE_URL is set,
 * on PostgreSQL 15. The reproductions from the issue: a week approved, then the week before convened
 * and approved (refused with the reason: it can be read, not executed); `council checkpoint` with no
 * --at after a 2024-03-04 approval runs at that Monday's slots, not at the data's end in 2026; weeks
 * and times outside the data are refused with the range that exists.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ProposalError } from '../../src/domain/proposal.ts';
import { buildApp, partsOf } from '../../src/compose.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { loadProposal, loadRefusals } from '../../src/pipeline/execution.ts';
import { runJson } from '../../src/views.ts';
import { POSTGRES_URL, scenarioDatabase } from '../faults/support/database.ts';
import { council, ROOT } from '../support/cli.ts';

const BACKENDS = [{ kind: 'PGlite' }, ...(POSTGRES_URL ? [{ kind: 'PostgreSQL 15' }] : [])];

async function freshDatabase(kind: string, label: string) {
  if (kind !== 'PGlite') return scenarioDatabase(label);
  const dataDir = mkdtempSync(join(tmpdir(), `council-clock-${label}-`));
  const { openDatabase } = await import('../../src/store/database.ts');
  return { env: { COUNCIL_DATA_DIR: dataDir }, open: () => openDatabase({ dataDir }), dispose: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

const RANGE = /the market data holds the sessions from 1993-01-29 to 2026-08-21/;

describe.each(BACKENDS)('On $kind: replay time only moves forward', ({ kind }) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function app(label: string): Promise<App> {
    const db = await freshDatabase(kind, label);
    cleanups.push(db.dispose);
    const config = loadConfig({ ...db.env, COUNCIL_CONFIG: join(ROOT, 'config/council.yaml') });
    const a = await buildApp(config, { db: await db.open(), logger: pino({ level: 'silent' }), clock: () => new Date('2026-11-24T15:00:00Z') });
    cleanups.unshift(() => a.close());
    return a;
  }

  it('Given week 2024-03-04 approved, When the week before is convened and approved, Then it can be read but its approval is refused with the reason and recorded; nothing is placed', async () => {
    const a = await app('back');
    const later = runJson(await a.run({ week: '2024-03-04' })).proposal!;
    expect((await a.approve({ proposalId: later.id, by: 'cli:alice', via: 'cli' })).state.status).toBe('EXECUTED');
    const before = await a.status();

    const earlier = runJson(await a.run({ week: '2024-02-26' }));
    expect(earlier.proposal?.targets.length).toBeGreaterThan(0);
    const refused = a.approve({ proposalId: earlier.proposal!.id, by: 'cli:alice', via: 'cli' });
    await expect(refused).rejects.toBeInstanceOf(ProposalError);
    await expect(refused).rejects.toThrow(
      /simulated time only moves forward: the council's clock is at 2024-03-04 08:01 ET \(the latest approval or checkpoint on this replay\), after this proposal's last moment to be approved \(2024-02-26 16:00 ET\)\. The proposal can be read, not executed\. Nothing was placed\./,
    );
    const state = await loadProposal(partsOf(a).store, earlier.proposal!.id);
    expect(state.status).toBe('PENDING');
    expect(state.submitted).toEqual({});
    expect((await loadRefusals(partsOf(a).store, earlier.proposal!.id)).map((r) => r.reason)).toEqual([expect.stringMatching(/^simulated time only moves forward/)]);
    // The books are as the later week left them.
    expect((await a.status()).accounts.map((x) => [x.account, x.equity, x.positions.map((p) => [p.symbol, p.qty])])).toEqual(
      before.accounts.map((x) => [x.account, x.equity, x.positions.map((p) => [p.symbol, p.qty])]),
    );
  });

  it('Given a 2024-03-04 approval, When checkpoints run with no time, Then they run at 09:00, 12:00, 14:00, 15:50 that Monday and on to Tuesday, never at the data end', async () => {
    const a = await app('next');
    const p = runJson(await a.run({ week: '2024-03-04' })).proposal!;
    await a.approve({ proposalId: p.id, by: 'cli:alice', via: 'cli' });
    const times: string[] = [];
    for (let i = 0; i < 5; i++) times.push((await a.checkpoint()).at);
    expect(times).toEqual(['09:00', '12:00', '14:00', '15:50'].map((t) => nyDateTime('2024-03-04', t).toISOString()).concat(nyDateTime('2024-03-05', '09:00').toISOString()));
    // An instant already evaluated is not the clock's next slot: the next call moves on.
    expect((await a.checkpoint()).at).toBe(nyDateTime('2024-03-05', '12:00').toISOString());
  });

  it('When a week or a time lies outside the data, Then run, postmortem and checkpoint refuse it with the range that exists', async () => {
    const a = await app('range');
    await expect(a.postmortem({ week: '2099-01-05', out: mkdtempSync(join(tmpdir(), 'pm-')) })).rejects.toThrow(RANGE);
    await expect(a.postmortem({ week: '1990-01-01', out: mkdtempSync(join(tmpdir(), 'pm-')) })).rejects.toThrow(/week 1990-01-01 is outside the market data/);
    await expect(a.run({ week: '1993-01-25' })).rejects.toThrow(/week 1993-01-25 is before the market data: the market data holds the sessions from 1993-01-29/);
    await expect(a.run({ week: '2099-01-05' })).rejects.toThrow(/week 2099-01-05 is in the future: .*; the market data holds the sessions from 1993-01-29 to 2026-08-21/);
    await expect(a.checkpoint(nyDateTime('2027-01-04', '09:00'))).rejects.toThrow(/2027-01-04 09:00 is outside the market data/);
  });

  it('When the CLI is asked for a postmortem of 2099-01-05, Then it exits 1 with the range', async () => {
    const db = await freshDatabase(kind, 'cli');
    cleanups.push(db.dispose);
    const r = await council(['postmortem', '--week', '2099-01-05', '--json'], db.env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(RANGE) });
  });
});
