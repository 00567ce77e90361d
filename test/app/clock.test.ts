/**
 * The council's clock, both policies, without a database: live follows the wall clock and the New York
 * week; replay follows the market data and what the council has acted on, and only moves forward.
 */
import { describe, expect, it } from 'vitest';
import { createLiveClock, createReplayClock } from '../../src/app/clock.ts';
import { initialProposalState, type ProposalState } from '../../src/domain/proposal.ts';
import { createNyseCalendar } from '../../src/market/calendar.ts';
import type { Bar, MarketData } from '../../src/market/port.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { createMemoryEventStore } from '../../src/store/memory.ts';
import { createProposalRepository } from '../../src/pipeline/execution.ts';

const calendar = createNyseCalendar();

/** SPY's sessions from `first` to `last`, each published at its 16:00 close. */
function barsMarket(first: string, last: string): MarketData {
  const bars: Bar[] = calendar.tradingDays(first, last).map((date, i) => ({ date, open: 500 + i, high: 501 + i, low: 499 + i, close: 500 + i, volume: 1 }));
  return {
    source: 'test:bars',
    async bars({ asOf, from, to, limit }) {
      const seen = bars.filter((b) => nyDateTime(b.date, '16:00').getTime() <= asOf.getTime() && (!from || b.date >= from) && (!to || b.date <= to));
      return limit === undefined ? seen : seen.slice(-limit);
    },
    sessionOpen: async (_symbol, date) => bars.find((b) => b.date === date)?.open,
  };
}

const pending = (asOf: Date, expiresAt: Date): ProposalState => ({
  ...initialProposalState(),
  exists: true,
  proposalId: 'p-1',
  week: '2024-03-04',
  asOf: asOf.toISOString(),
  expiresAt: expiresAt.toISOString(),
});

function replayClock(wall = new Date('2026-11-24T15:00:00Z')) {
  const store = createMemoryEventStore(() => wall);
  const clock = createReplayClock({
    now: () => wall,
    market: barsMarket('2024-02-26', '2024-03-08'),
    calendar,
    store,
    proposals: createProposalRepository(store),
    council: 'main',
    symbol: 'SPY',
  });
  return { clock, store };
}

describe('The live clock', () => {
  const wednesday = new Date('2024-03-06T15:00:00Z');
  const clock = createLiveClock(() => wednesday);

  it('Given a Wednesday, When a bare run asks for its week, Then it is that New York week, decided now', async () => {
    expect(clock.mode).toBe('live');
    expect(await clock.defaultWeek()).toBe('2024-03-04');
    expect(clock.decisionTime('2024-03-04')).toEqual(wednesday);
  });

  it('Given a Wednesday, When a past week is convened, Then it is decided at its Monday 08:00 New York', () => {
    expect(clock.decisionTime('2024-02-26')).toEqual(nyDateTime('2024-02-26', '08:00'));
  });

  it('Given a Wednesday, When next week is asked for, Then it is refused as in the future', async () => {
    await expect(clock.assertConvenable('2024-03-11')).rejects.toThrow(/week 2024-03-11 is in the future: the council runs the current week or a past one$/);
    await expect(clock.assertConvenable('2024-03-04')).resolves.toBeUndefined();
    expect(() => clock.decisionTime('2024-03-25')).toThrow(/in the future/);
  });

  it('When a proposal is approved, marked or checked, Then all of it happens now', async () => {
    const proposal = pending(nyDateTime('2024-03-04', '08:00'), nyDateTime('2024-03-08', '16:00'));
    expect(clock.actionTimes(proposal)).toEqual({ now: wednesday, settleAt: wednesday });
    expect(await clock.approvalTimes(proposal, { now: wednesday, settleAt: wednesday })).toEqual({ now: wednesday, settleAt: wednesday });
    expect(await clock.markTime()).toEqual(wednesday);
    expect(await clock.checkpointTime(['09:00', '15:50'])).toEqual(wednesday);
  });
});

describe('The replay clock', () => {
  it('Given data through Friday 2024-03-08, When a bare run asks for its week, Then it is the last complete week, decided at Monday 08:00', async () => {
    const { clock } = replayClock();
    expect(clock.mode).toBe('replay');
    expect(await clock.defaultWeek()).toBe('2024-03-04');
    expect(clock.decisionTime('2024-03-04')).toEqual(nyDateTime('2024-03-04', '08:00'));
    expect(await clock.markTime()).toEqual(nyDateTime('2024-03-08', '16:00'));
  });

  it('Given data from 2024-02-26 to 2024-03-08, When weeks outside it are convened, Then they are refused with the range', async () => {
    const { clock } = replayClock();
    await expect(clock.assertConvenable('2024-03-11')).resolves.toBeUndefined();
    await expect(clock.assertConvenable('2024-03-18')).rejects.toThrow(/week 2024-03-18 is in the future.*sessions from 2024-02-26 to 2024-03-08/);
    await expect(clock.assertConvenable('2024-02-26')).rejects.toThrow(/week 2024-02-26 is before the market data/);
    await expect(clock.assertTimeInData(nyDateTime('2024-03-11', '09:00'))).rejects.toThrow(/2024-03-11 09:00 is outside the market data/);
  });

  it('Given nothing acted on, When a proposal is approved and a checkpoint runs with no time, Then the approval is just after the decision and the checkpoint at the first slot', async () => {
    const { clock } = replayClock();
    const proposal = pending(nyDateTime('2024-03-04', '08:00'), nyDateTime('2024-03-08', '16:00'));
    const times = clock.actionTimes(proposal);
    // Settled to the fill session's open, not its close: a resting stop must not fill on a bar no checkpoint has seen yet.
    expect(times).toEqual({ now: nyDateTime('2024-03-04', '08:01'), settleAt: nyDateTime('2024-03-04', '09:30') });
    expect(await clock.approvalTimes(proposal, times)).toEqual(times);
    expect(await clock.checkpointTime(['09:00', '12:00'])).toEqual(nyDateTime('2024-03-04', '09:00'));
  });

  it('Given a checkpoint evaluated Tuesday 12:00, When an earlier proposal is approved, Then it is approved at the clock, or refused once its window has passed', async () => {
    const { clock, store } = replayClock();
    await store.append('checkpoint:main:2024-03-04', 0, [{ type: 'CheckpointEvaluated', data: { at: nyDateTime('2024-03-05', '12:00').toISOString() } }]);
    const open = pending(nyDateTime('2024-03-04', '08:00'), nyDateTime('2024-03-08', '16:00'));
    expect(await clock.approvalTimes(open, clock.actionTimes(open))).toEqual({ now: nyDateTime('2024-03-05', '12:01'), settleAt: nyDateTime('2024-03-05', '12:01') });
    const lapsed = pending(nyDateTime('2024-03-04', '08:00'), nyDateTime('2024-03-05', '10:00'));
    expect(await clock.approvalTimes(lapsed, clock.actionTimes(lapsed))).toEqual({ refusal: expect.stringMatching(/^the council's clock is at 2024-03-05 12:00 ET/) });
    expect(await clock.checkpointTime(['09:00', '12:00', '14:00'])).toEqual(nyDateTime('2024-03-05', '14:00'));
  });

  it('Given a week convened and nothing acted on, When the desk marks the accounts, Then at its decision time, not at the end of the data', async () => {
    const { clock, store } = replayClock();
    await store.append('proposal:p-1', 0, [
      {
        type: 'ProposalOpened',
        data: {
          proposalId: 'p-1',
          council: 'main',
          week: '2024-03-04',
          runId: 'r-1',
          asOf: nyDateTime('2024-03-04', '08:00').toISOString(),
          expiresAt: nyDateTime('2024-03-04', '16:00').toISOString(),
          decision: { instrument: 'SPY', direction: 'LONG', conviction: 1, horizon: '1w' },
          orders: [],
        },
      },
    ]);
    expect(await clock.markTime()).toEqual(nyDateTime('2024-03-04', '08:00'));
  });

  it('Given a checkpoint evaluated Tuesday 12:00, When the desk marks the accounts, Then at Tuesday 12:00 (where the replay stands), while the data speaks to Friday', async () => {
    const { clock, store } = replayClock();
    expect(await clock.markTime()).toEqual(nyDateTime('2024-03-08', '16:00'));
    await store.append('checkpoint:main:2024-03-04', 0, [{ type: 'CheckpointEvaluated', data: { at: nyDateTime('2024-03-05', '12:00').toISOString() } }]);
    expect(await clock.markTime()).toEqual(nyDateTime('2024-03-05', '12:00'));
    expect(await clock.dataTime()).toEqual(nyDateTime('2024-03-08', '16:00'));
  });
});
