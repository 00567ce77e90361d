import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { council } from '../support/cli.ts';

/** Removes what differs between two runs by design (ids), keeping everything the council decided. */
const decided = (doc: { pitches: unknown; reviews: unknown; decision: unknown; proposal: { orders: { clientOrderId: string }[] } }) => ({
  pitches: doc.pitches,
  reviews: doc.reviews,
  decision: doc.decision,
  orders: doc.proposal.orders.map(({ clientOrderId: _, ...o }) => o),
});

describe('A run killed with SIGKILL resumes', () => {
  let clean: Parameters<typeof decided>[0];
  beforeAll(async () => {
    clean = JSON.parse((await council(['run', '--week', '2024-03-04', '--json'], { COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-clean-')) })).stdout);
  });

  it.each(['started', 'research', 'pitches', 'reviews', 'decision', 'proposal'])(
    'Given a run killed after %s, When the run is started again, Then it completes with the same decision and no duplicate events',
    async (point) => {
      const env = { COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-kill-')) };
      const killed = await council(['run', '--week', '2024-03-04', '--json'], { ...env, COUNCIL_CRASH_AT: point });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const resumed = await council(['run', '--week', '2024-03-04', '--json'], env);
      expect(resumed.code, resumed.stderr).toBe(0);
      const doc = JSON.parse(resumed.stdout);
      expect(doc.pitches).toHaveLength(5);
      expect(doc.reviews).toHaveLength(5);
      expect(doc.proposal.status).toBe('PENDING');

      expect(decided(doc)).toEqual(decided(clean));
    },
  );

  it('Given an approval killed between the broker accepting an order and the event append, When status runs, Then execution completes with no duplicate order', async () => {
    const env = { COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-kill-exec-')) };
    const doc = JSON.parse((await council(['run', '--week', '2024-03-04', '--json'], env)).stdout);
    const killed = await council(['approve', doc.proposal.id, '--json'], { ...env, COUNCIL_CRASH_AT: 'after-submit' });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const again = await council(['approve', doc.proposal.id], env);
    expect(again.stderr).toMatch(/already approved/);
    const status = JSON.parse((await council(['status', '--json'], env)).stdout);
    for (const order of doc.proposal.orders as { account: string; symbol: string; side: string; qty: number }[]) {
      const account = status.accounts.find((a: { account: string }) => a.account === order.account);
      const position = account.positions.find((p: { symbol: string }) => p.symbol === order.symbol);
      expect(position?.qty).toBe(order.side === 'buy' ? order.qty : -order.qty);
    }
  });
});
