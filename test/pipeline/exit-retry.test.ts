/**
 * An exit that expired unapproved is asked for again under the next id of its position (`…-2`, `…-3`,
 * up to EXIT_ATTEMPTS), never under the expired one: with exits needing approval, Friday's horizon exits
 * wait, expire at the close, and Monday's first checkpoint opens each again as its second attempt.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { partsOf } from '../../src/compose.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { loadProposal } from '../../src/pipeline/execution.ts';
import { testApp } from '../support/app.ts';

/** The bundled council file with exits needing approval, as COUNCIL_CONFIG. */
function exitsNeedApproval(): Record<string, string> {
  const text = readFileSync(new URL('../../config/council.yaml', import.meta.url), 'utf8').replace(/^( {2}requireApproval:) *false/m, '$1 true');
  const file = join(mkdtempSync(join(tmpdir(), 'council-config-')), 'council.yaml');
  writeFileSync(file, text);
  return { COUNCIL_CONFIG: file };
}

let now = nyDateTime('2024-03-04', '07:00');
let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('An exit asked for again after it expired', () => {
  it("Given Friday's horizon exits left unapproved until they expired, When Monday's first checkpoint judges the positions, Then each exit is opened as its second attempt (-2), then its third (-3), and approving that one places it", async () => {
    ({ app } = await testApp(exitsNeedApproval(), { clock: () => now }));
    const week = await app.run({ week: '2024-03-04' });
    await app.approve({ proposalId: week.proposal!.proposalId, by: 'cli:alice', via: 'cli' });

    now = nyDateTime('2024-03-08', '15:50');
    const friday = await app.scheduledCheckpoint(now);
    const waiting = friday.exits.filter((e) => e.reason === 'horizon');
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.every((e) => e.status === 'awaiting_approval' && !/-\d$/.test(e.proposalId))).toBe(true);

    now = nyDateTime('2024-03-08', '16:00');
    expect(new Set(await app.expireDue(now))).toEqual(new Set(waiting.map((e) => e.proposalId)));

    now = nyDateTime('2024-03-11', '09:00');
    const monday = await app.scheduledCheckpoint(now);
    // Each position still held (a stop may have closed one meanwhile) is exited again, under its second id,
    // whatever the reason is now; the expired first attempt stays expired.
    const held = waiting.filter((first) => monday.positions.some((p) => p.account === first.account && p.symbol === first.symbol));
    expect(held.length).toBeGreaterThanOrEqual(3);
    for (const first of held) {
      const again = monday.exits.find((e) => e.account === first.account && e.symbol === first.symbol);
      expect(again, `${first.account} ${first.symbol}`).toMatchObject({ proposalId: `${first.proposalId}-2`, status: 'awaiting_approval' });
      expect((await loadProposal(partsOf(app).store, first.proposalId)).status).toBe('EXPIRED');
    }

    // Left to expire again, the third checkpoint asks for a third attempt; approved, that one is placed.
    now = nyDateTime('2024-03-11', '16:00');
    await app.expireDue(now);
    now = nyDateTime('2024-03-12', '09:00');
    const tuesday = await app.scheduledCheckpoint(now);
    const first = held[0]!;
    const third = tuesday.exits.find((e) => e.account === first.account && e.symbol === first.symbol);
    expect(third).toMatchObject({ proposalId: `${first.proposalId}-3`, status: 'awaiting_approval' });
    await app.approve({ proposalId: third!.proposalId, by: 'cli:alice', via: 'cli' });
    expect(Object.keys((await loadProposal(partsOf(app).store, third!.proposalId)).submitted)).toHaveLength(1);
  });
});
