import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { BUNDLED_BARS_DIR } from '../../src/config/config.ts';
import { ProposalError } from '../../src/domain/proposal.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { runJson } from '../../src/views.ts';
import { testApp } from '../support/app.ts';
import { partsOf } from '../../src/compose.ts';

const WEEK = '2024-03-04';
const UNIVERSE = ['SPY', 'QQQ', 'IWM', 'TLT', 'HYG', 'UUP', 'GLD', 'USO'];

describe('A council week on embedded defaults', () => {
  let app: App;
  let notices: Notice[];
  let run: ReturnType<typeof runJson>;

  beforeAll(async () => {
    ({ app, notices } = await testApp());
    run = runJson(await app.run({ week: WEEK }));
  });
  afterAll(() => app.close());

  it('When the council convenes, Then five systematic seats pitch instruments from the universe', () => {
    expect(run.pitches).toHaveLength(5);
    for (const p of run.pitches) {
      expect(p.status).toBe('ok');
      expect(p.kind).toBe('systematic');
      expect(UNIVERSE).toContain(p.pitch?.instrument);
      expect(p.pitch?.invalidation.conditions.length).toBeGreaterThan(0);
    }
    expect(new Set(run.pitches.map((p) => p.model)).size).toBe(5);
  });

  it('When the seats review, Then each scores exactly the four other pitches, never its own', () => {
    expect(run.reviews).toHaveLength(5);
    for (const r of run.reviews) {
      const targets = r.scores.map((s) => s.target).sort();
      expect(targets).toEqual(
        run.pitches
          .map((p) => p.seat)
          .filter((s) => s !== r.reviewer)
          .sort(),
      );
    }
    // Labels are shuffled per reviewer with a seed kept in the event.
    expect(new Set(run.reviews.map((r) => r.seed)).size).toBe(5);
  });

  it('When the chairman decides, Then a decision with dissent and monitoring plan leads to a PENDING proposal', () => {
    expect(run.decision?.instrument).toMatch(/^[A-Z]+$/);
    expect(run.decision?.dissent.length).toBeGreaterThan(0);
    expect(run.decision?.monitoring.checkpoints).toEqual(['09:00', '12:00', '14:00', '15:50']);
    expect(run.proposal?.status).toBe('PENDING');
    const accounts = new Set(run.proposal?.orders.map((o) => o.account));
    expect(accounts.has('COUNCIL')).toBe(run.decision?.direction !== 'FLAT');
    for (const o of run.proposal?.orders ?? []) {
      expect(Number.isInteger(o.qty)).toBe(true);
      expect(o.clientOrderId).toBe(`tc-${run.proposal?.id}-${o.account}-${o.symbol}`.toLowerCase());
    }
  });

  it('When pitches are posted, Then they are anonymised until the decision reveals who is who', () => {
    const pitches = notices.find((n) => n.type === 'pitches_ready');
    expect(JSON.stringify(pitches)).not.toMatch(/CHATGPT|GEMINI|CLAUDE|GROQ|DEEPSEEK|builtin:/);
    const decision = notices.find((n) => n.type === 'decision_ready');
    expect(decision?.type === 'decision_ready' && decision.identities.map((i) => i.seat).sort()).toEqual(['CHATGPT', 'CLAUDE', 'DEEPSEEK', 'GEMINI', 'GROQ']);
  });

  it('When the same week is run again, Then the finished run is returned, not repeated', async () => {
    const again = runJson(await app.run({ week: WEEK }));
    expect(again.runId).toBe(run.runId);
    expect(again.proposal?.id).toBe(run.proposal?.id);
  });

  it('When an approver approves, Then every order is placed once and filled at the next open; a second approve places nothing', async () => {
    const id = run.proposal!.id;
    const { state, orders } = await app.approve({ proposalId: id, by: 'cli:alice', via: 'cli' });
    expect(state.status).toBe('EXECUTED');
    expect(orders.every((o) => o.status === 'filled')).toBe(true);
    await expect(app.approve({ proposalId: id, by: 'cli:bob', via: 'cli' })).rejects.toThrow(ProposalError);
    await expect(app.approve({ proposalId: id, by: 'cli:bob', via: 'cli' })).rejects.toThrow(/already approved by cli:alice/);
    const status = await app.status();
    const council = status.accounts.find((a) => a.account === 'COUNCIL')!;
    const placed = orders.filter((o) => o.account === 'COUNCIL');
    expect(council.positions.map((p) => [p.symbol, Math.abs(p.qty)])).toEqual(placed.map((o) => [o.symbol, o.qty]));
  });

  it('When ten approvals race, Then exactly one wins', async () => {
    const { app: racing } = await testApp();
    try {
      const fresh = runJson(await racing.run({ week: '2024-03-11' }));
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => racing.approve({ proposalId: fresh.proposal!.id, by: `cli:user${i}`, via: 'cli' })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const status = await racing.status();
      const council = status.accounts.find((a) => a.account === 'COUNCIL')!;
      const expected = fresh.proposal!.orders.filter((o) => o.account === 'COUNCIL');
      expect(council.positions.map((p) => Math.abs(p.qty))).toEqual(expected.map((o) => o.qty));
    } finally {
      await racing.close();
    }
  });

  it('When someone outside the approvers clicks approve, Then it is refused and recorded', async () => {
    const { app: other, notices: seen } = await testApp();
    try {
      const fresh = runJson(await other.run({ week: '2024-03-11' }));
      await expect(other.approve({ proposalId: fresh.proposal!.id, by: 'slack:U999', via: 'slack' })).rejects.toThrow(/may not approve/);
      expect(seen.some((n) => n.type === 'approval_refused' && n.by === 'slack:U999')).toBe(true);
      // The refusal has a stream of its own, apart from the proposal's decisions.
      expect((await partsOf(other).store.read(`proposal:${fresh.proposal!.id}`)).map((e) => e.type)).toEqual(['ProposalOpened']);
      expect((await partsOf(other).store.read(`refusals:${fresh.proposal!.id}`)).map((e) => e.type)).toEqual(['ApprovalRefused']);
    } finally {
      await other.close();
    }
  });
});

describe('Determinism and point in time', () => {
  it('Given two fresh data directories, When the same week runs, Then pitches and decision are identical', async () => {
    const a = await testApp();
    const b = await testApp();
    try {
      const [ra, rb] = [runJson(await a.app.run({ week: WEEK })), runJson(await b.app.run({ week: WEEK }))];
      expect(rb.pitches).toEqual(ra.pitches);
      expect(rb.decision).toEqual(ra.decision);
      expect(rb.reviews).toEqual(ra.reviews);
      expect(rb.proposal?.orders.map(({ clientOrderId: _, ...o }) => o)).toEqual(ra.proposal?.orders.map(({ clientOrderId: _, ...o }) => o));
    } finally {
      await Promise.all([a.app.close(), b.app.close()]);
    }
  });

  it('Given market data with every bar after 2024-03-01 removed, When 2024-03-04 runs, Then nothing changes', async () => {
    const cut = mkdtempSync(join(tmpdir(), 'bars-cut-'));
    cpSync(BUNDLED_BARS_DIR, cut, { recursive: true });
    for (const file of readdirSync(cut).filter((f) => f.endsWith('.csv'))) {
      const lines = readFileSync(join(cut, file), 'utf8').trimEnd().split('\n');
      writeFileSync(join(cut, file), `${lines.filter((l, i) => i === 0 || l.slice(0, 10) <= '2024-03-01').join('\n')}\n`);
    }
    const full = await testApp();
    const truncated = await testApp({ MARKET_DATA_DIR: cut });
    try {
      const [rf, rt] = [runJson(await full.app.run({ week: WEEK })), runJson(await truncated.app.run({ week: WEEK }))];
      expect(rt.research).toEqual(rf.research);
      expect(rt.pitches).toEqual(rf.pitches);
      expect(rt.decision).toEqual(rf.decision);
    } finally {
      await Promise.all([full.app.close(), truncated.app.close()]);
    }
  });
});
