/**
 * The daily summary (issue 18): after the close of a trading day, one slot, claimed once however many
 * schedulers tick it (two here, on one database, with an injected clock), posts the day into the week's
 * thread: day P/L per account from the ledger, positions with their stops, the day's checkpoints and
 * the next session's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { dailySummaryLines } from '../../src/bot/desk-text.ts';
import { nyDateTime } from '../../src/market/time.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { startScheduler } from '../../src/scheduler/index.ts';
import { testApp } from '../support/app.ts';

let app: App;
let notices: Notice[];
beforeAll(async () => {
  ({ app, notices } = await testApp());
  const state = await app.run({ week: '2024-03-04', by: 'cli:ada', via: 'cli' });
  await app.approve({ proposalId: state.proposal!.proposalId, by: 'cli:ada', via: 'cli' });
  await app.checkpoint(nyDateTime('2024-03-05', '12:00'));
}, 60_000);
afterAll(async () => app?.close());

describe('The daily summary slot', () => {
  it('When two schedulers tick just after Tuesday’s close, Then the summary runs once and posts the day: P/L, positions, the noon checkpoint, Wednesday’s checkpoints', async () => {
    const slot = nyDateTime('2024-03-05', '16:10');
    const clock = () => new Date(slot.getTime() + 1000);
    const a = startScheduler(app, { clock, owner: 'replica-a', cron: false });
    const b = startScheduler(app, { clock, owner: 'replica-b', cron: false });
    try {
      const results = (await Promise.all([a.tick(), b.tick()])).flat().filter((r) => r.job === 'daily');
      expect(results).toEqual([{ job: 'daily', at: slot.toISOString(), outcome: 'done' }]);
      // A second wave finds it settled.
      expect((await Promise.all([a.tick(), b.tick()])).flat().filter((r) => r.job === 'daily')).toEqual([]);
    } finally {
      await a.stop();
      await b.stop();
    }
    const posted = notices.filter((n): n is Extract<Notice, { type: 'daily_summary' }> => n.type === 'daily_summary');
    expect(posted).toHaveLength(1);
    const summary = posted[0]!;
    expect(summary).toMatchObject({ week: '2024-03-04', date: '2024-03-05' });
    expect(summary.accounts.map((x) => x.account).sort()).toEqual([...app.accounts].sort());
    for (const x of summary.accounts) expect(x.dayPnl).toEqual(expect.any(Number));
    expect(summary.positions.length).toBeGreaterThan(0);
    expect(summary.checkpoints.map((c) => c.at)).toEqual([nyDateTime('2024-03-05', '12:00').toISOString()]);
    expect(summary.next).toEqual({
      session: '2024-03-06',
      checkpoints: ['09:00', '12:00', '14:00', '15:50'].map((t) => nyDateTime('2024-03-06', t).toISOString()),
    });
    const text = dailySummaryLines(summary).join('\n');
    expect(text).toMatch(/account\s+day P\/L\s+day\s+equity/);
    expect(text).toContain('Checkpoints today:\n  12:00 ET: ');
    expect(text).toContain('Next session 2024-03-06: checkpoints at 09:00 ET, 12:00 ET, 14:00 ET, 15:50 ET.');
  });
});
