/**
 * `status` is a cached read model (issue 13, item 8): answered from memory until something is appended
 * (through this process, or on PostgreSQL by anyone), never stale after a change the caller just made.
 */
import { describe, expect, it } from 'vitest';
import { type App, STATUS_TTL_MS } from '../src/app/index.ts';
import { testApp } from './support/app.ts';
import { POSTGRES_URL, scenarioDatabase } from './faults/support/database.ts';

const WEEK = '2024-03-04';

async function pendingProposal(app: App): Promise<string> {
  const state = await app.run({ week: WEEK });
  if (!state.proposal) throw new Error('the week planned no proposal');
  return state.proposal.proposalId;
}

describe('The status read model', () => {
  it('When nothing is appended between two calls, Then the second is the same frozen view, and concurrent callers share one', async () => {
    const { app } = await testApp();
    try {
      await pendingProposal(app);
      const first = await app.status();
      expect(await app.status()).toBe(first);
      expect(Object.isFrozen(first.accounts[0])).toBe(true);
      // Something appended: the next callers, all at once, get one new view.
      await app.halt('cli:ops', true);
      const [a, b, c] = await Promise.all([app.status(), app.status(), app.status()]);
      expect(a).not.toBe(first);
      expect(b).toBe(a);
      expect(c).toBe(a);
      // The view's own arrays are copies: freezing them froze nothing the app still changes.
      expect(() => app.addChannel('console')()).not.toThrow();
    } finally {
      await app.close();
    }
  });

  it('When the caller halts, resumes or is refused, Then the very next status shows it', async () => {
    const { app } = await testApp();
    try {
      const proposalId = await pendingProposal(app);
      expect((await app.status()).halted.halted).toBe(false);
      await app.halt('cli:ops', true);
      expect((await app.status()).halted).toMatchObject({ halted: true, by: 'cli:ops' });
      await app.halt('cli:ops', false);
      expect((await app.status()).halted.halted).toBe(false);

      expect((await app.status()).pending).toEqual([expect.objectContaining({ proposalId, refusals: 0 })]);
      await app.approve({ proposalId, by: 'slack:UOUTSIDER', via: 'slack' }).catch(() => undefined);
      expect((await app.status()).pending).toEqual([expect.objectContaining({ proposalId, refusals: 1 })]);
      await app.approve({ proposalId, by: 'cli:ops', via: 'cli' });
      expect((await app.status()).pending).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('When the view is older than its time to live, Then the next call builds it again (broker marks move without events)', async () => {
    let now = Date.parse('2026-11-24T15:00:00Z');
    const { app } = await testApp({}, { clock: () => new Date(now) });
    try {
      // The first call opens the simulated accounts (an append), so the second builds again; then it stands.
      await app.status();
      const first = await app.status();
      now += STATUS_TTL_MS - 1;
      expect(await app.status()).toBe(first);
      now += 2;
      expect(await app.status()).not.toBe(first);
    } finally {
      await app.close();
    }
  });

  it.runIf(POSTGRES_URL)("When another process halts trading on the same PostgreSQL, Then this one's next status shows it", async () => {
    const scenario = await scenarioDatabase('status-read-model');
    const { app } = await testApp({}, { db: await scenario.open() });
    const { app: other } = await testApp({}, { db: await scenario.open() });
    try {
      expect((await app.status()).halted.halted).toBe(false);
      await other.halt('cli:elsewhere', true);
      expect((await app.status()).halted).toMatchObject({ halted: true, by: 'cli:elsewhere' });
    } finally {
      await other.close();
      await app.close();
      await scenario.dispose();
    }
  });
});
