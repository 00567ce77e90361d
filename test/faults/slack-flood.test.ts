/**
 * A flood does not take the bot down (issue 13, item 8): 200 signed `/council status` a second for 10 s
 * from 20 members at the real Bolt app over loopback HTTP, and an approver clicking Approve four times in
 * the middle of it. Every request is answered within Slack's 3 s (its status, or a private "slow down" /
 * "busy"), every status that was taken on is delivered, and the Approve (the click opening the modal, then its
 * submission) is acknowledged within 3 s, the submission only once it is recorded. The figures are printed (and are `npm run bench`'s "slack flood" row).
 * FLOOD_PER_SECOND and FLOOD_SECONDS change the load.
 */
import { describe, expect, it } from 'vitest';
import { benchSlackFlood } from '../../bench/slack-flood.ts';
import { scenarioDatabase } from './support/database.ts';

const perSecond = Number(process.env.FLOOD_PER_SECOND ?? 200);
const seconds = Number(process.env.FLOOD_SECONDS ?? 10);

describe(`A flood of ${perSecond} signed /council status a second for ${seconds} s`, () => {
  it('When members flood /council status and an approver clicks Approve meanwhile, Then no request goes unanswered and the Approve is acknowledged in time, after it is recorded', async () => {
    const db = await scenarioDatabase('flood');
    try {
      const r = await benchSlackFlood({ perSecond, seconds, users: 20, ...(db.kind === 'postgres' ? { db: await db.open() } : {}) });
      process.stdout.write(`slack flood: ${JSON.stringify(r)}\n`);
      expect(r.sent).toBe(perSecond * seconds);
      expect(r.unanswered).toBe(0);
      expect(r.statusesDelivered).toBe(r.statusesServed);
      expect(r.approveRecordedAtAck).toBe(true);
      expect(r.approveAckMs).toBeLessThan(3_000);
      expect(r.repeatClickMaxMs).toBeLessThan(3_000);
    } finally {
      await db.dispose();
    }
  });
});
