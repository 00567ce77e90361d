/**
 * The council's clock: which instant each use case acts at. Two policies, chosen by the composition root:
 * live (the wall clock; the current New York week) and replay (time simulated from the market data and
 * from what the council has already acted on, moving only forward). Every "live or replay?" question the
 * use cases ask is answered here and nowhere else.
 */
import { ProposalError, type ProposalState } from '../domain/proposal.ts';
import type { TradingCalendar } from '../market/calendar.ts';
import type { MarketData } from '../market/port.ts';
import { addDays, mondayOf, nyDate, nyDateTime, nyTime } from '../market/time.ts';
import type { ProposalRepository } from '../pipeline/execution.ts';
import { eachMoved } from '../pipeline/checkpoint-listing.ts';
import type { EventStore } from '../store/port.ts';

/** When an action on a proposal happens (`now`) and the instant the simulated broker settles up to (`settleAt`). */
export interface ActionTimes {
  now: Date;
  settleAt: Date;
}

/** Replay data: its first and last session. */
export interface DataRange {
  first: string;
  last: string;
}

export interface CouncilClock {
  readonly mode: 'live' | 'replay';
  /** The wall clock (injected: tests never read the real one). Refusals and audit records carry it. */
  now(): Date;
  /** The week a bare `run` means: the current week live, the latest complete week of the replay data offline. */
  defaultWeek(): Promise<string>;
  /** The decision time of a week's council: Monday 08:00 New York (or now, for the current live week). */
  decisionTime(week: string): Date;
  /** Refuses, as a user error, a week the council cannot convene: before the replay data, or after the current week. */
  assertConvenable(week: string): Promise<void>;
  /** Refuses a week outside the replay data (postmortems), with the range that exists; live, any week up to now. */
  assertWeekInData(week: string): Promise<void>;
  /** Refuses a checkpoint time outside the replay data, with the range that exists; live, any time. */
  assertTimeInData(at: Date): Promise<void>;
  /**
   * The instant account values are marked at: now live; in a replay where the replay stands (the council's
   * clock: its latest approval or checkpoint, or the close of the latest session anything filled in), or the
   * last published bar when nothing was acted on yet.
   */
  markTime(): Promise<Date>;
  /** The latest instant the data speaks for: now live, the last published bar's close in a replay. */
  dataTime(): Promise<Date>;
  /** When an action on a proposal happens: now live; in a replay just after the decision, or at its approval once approved. */
  actionTimes(proposal: ProposalState): ActionTimes;
  /**
   * When a pending proposal is approved: live, at `times`; in a replay at the council's clock if it has
   * passed the decision, or refused with the reason when simulated time would have to run backwards.
   */
  approvalTimes(proposal: ProposalState, times: ActionTimes): Promise<ActionTimes | { refusal: string }>;
  /** When a checkpoint with no time runs: now live; in a replay the next slot after the council's clock. */
  checkpointTime(slots: readonly string[]): Promise<Date>;
}

/**
 * Whether market data replays history (the CSV adapter) rather than following the market: then the
 * council's time is simulated from the data, never the wall clock. The composition root asks this once.
 */
export function replaysHistory(market: MarketData): boolean {
  return market.source.startsWith('csv:');
}

/** The live policy: the wall clock, the current New York week. */
export function createLiveClock(now: () => Date): CouncilClock {
  return {
    mode: 'live',
    now,
    defaultWeek: async () => mondayOf(nyDate(now())),
    decisionTime(week) {
      const monday = nyDateTime(week, '08:00');
      const at = now();
      if (monday.getTime() > at.getTime() + 7 * 86_400_000) throw new ProposalError('NOT_FOUND', `week ${week} is in the future`);
      return monday.getTime() > at.getTime() ? at : mondayOf(nyDate(at)) === week ? at : monday;
    },
    async assertConvenable(week) {
      if (week > mondayOf(nyDate(now()))) throw new ProposalError('NOT_FOUND', `week ${week} is in the future: the council runs the current week or a past one`);
    },
    async assertWeekInData(week) {
      if (week > mondayOf(nyDate(now()))) throw new ProposalError('NOT_FOUND', `week ${week} is in the future`);
    },
    assertTimeInData: async () => {},
    markTime: async () => now(),
    dataTime: async () => now(),
    actionTimes() {
      const at = now();
      return { now: at, settleAt: at };
    },
    approvalTimes: async (_proposal, times) => times,
    checkpointTime: async () => now(),
  };
}

export interface ReplayClockDeps {
  now: () => Date;
  market: MarketData;
  calendar: TradingCalendar;
  store: EventStore;
  /** The application's proposal repository (its listing is what the clock folds). */
  proposals: ProposalRepository;
  council: string;
  /** The symbol whose bars say where the data starts and ends (the universe's first). */
  symbol: string;
}

/**
 * The latest approval instant and the latest simulated fill session over every proposal, folded as the
 * listing grows: a proposal's state only gains approvals and fills, and the repository gives a new object
 * only for a proposal that moved, so each state object is folded once (a backtest lists a thousand
 * proposals a thousand times).
 */
function latestActsFolder(): (proposals: readonly ProposalState[]) => { approvedAt: number; fillSession: string | null; decidedAt: number } {
  const folded = new WeakSet<ProposalState>();
  let approvedAt = 0;
  let decidedAt = 0;
  let fillSession: string | null = null;
  let last: readonly ProposalState[] = [];
  return (proposals) => {
    // Only the states not at their place in the last listing can be new to the fold (eachMoved).
    eachMoved(last, proposals, (p) => {
      if (folded.has(p)) return;
      folded.add(p);
      if (p.asOf) decidedAt = Math.max(decidedAt, Date.parse(p.asOf));
      if (p.approvedBy) approvedAt = Math.max(approvedAt, Date.parse(p.approvedBy.at));
      for (const [clientOrderId, f] of Object.entries(p.fills)) {
        // Only the simulated broker fills on the replay's clock; a real broker (an Alpaca account beside
        // replay data) fills at the wall clock, which says nothing about where the replay stands.
        if (p.submitted[clientOrderId] && p.submitted[clientOrderId].broker !== 'simulated') continue;
        // Simulated fills carry a New York wall time; brokers send ISO instants.
        const session = /(Z|[+-]\d\d:\d\d)$/.test(f.filledAt) ? nyDate(new Date(f.filledAt)) : f.filledAt.slice(0, 10);
        if (fillSession === null || session > fillSession) fillSession = session;
      }
    });
    last = proposals;
    return { approvedAt, fillSession, decidedAt };
  };
}

/** The range a replay can act on, in words, for every refusal of a week or time outside it. */
export function rangeText(range: DataRange): string {
  return `the market data holds the sessions from ${range.first} to ${range.last}, so council weeks from ${addDays(mondayOf(range.first), 7)} to ${addDays(mondayOf(range.last), 7)}, postmortems and checkpoints from ${range.first} to ${range.last}`;
}

/** The first checkpoint slot strictly after `after`, inside a session (an early close drops the later slots). */
export function nextCheckpointSlot(calendar: TradingCalendar, times: readonly string[], after: Date): Date {
  const sorted = [...times].sort();
  let day = nyDate(after);
  if (!calendar.isTradingDay(day)) day = calendar.nextTradingDay(day);
  for (let i = 0; i < 10; i++, day = calendar.nextTradingDay(day)) {
    const close = calendar.sessionClose(day);
    for (const t of sorted) {
      const slot = nyDateTime(day, t);
      if (t < close && slot.getTime() > after.getTime()) return slot;
    }
  }
  throw new Error(`no checkpoint slot after ${after.toISOString()}`);
}

/**
 * The replay policy. The council's clock is the latest instant anything was acted on (an approval or a
 * checkpoint evaluation), and the latest session anything filled at. Simulated time only moves forward
 * from it: an earlier week can be convened and read, not executed, and a checkpoint with no time runs at
 * the clock's next slot.
 */
export function createReplayClock(deps: ReplayClockDeps): CouncilClock & { dataRange(): Promise<DataRange> } {
  const { now, market, calendar, store, proposals, council, symbol } = deps;
  const latestActs = latestActsFolder();
  let range: DataRange | undefined;
  const dataRange = async (): Promise<DataRange> => {
    if (range) return range;
    const bars = await market.bars({ symbol, asOf: now() });
    const first = bars[0]?.date;
    const last = bars[bars.length - 1]?.date;
    if (!first || !last) throw new ProposalError('NOT_FOUND', 'the market data holds no bars');
    range = { first, last };
    return range;
  };
  const defaultWeek = async (): Promise<string> => {
    const [last] = await market.bars({ symbol, asOf: now(), limit: 1 });
    if (!last) throw new ProposalError('NOT_FOUND', 'the market data holds no bars');
    const monday = mondayOf(last.date);
    const weekDays = calendar.tradingDays(monday, addDays(monday, 4));
    const complete = weekDays.length > 0 && weekDays[weekDays.length - 1]! <= last.date;
    return complete ? monday : addDays(monday, -7);
  };
  const replayClock = async (): Promise<{ at: Date | null; fillSession: string | null; decidedAt: number }> => {
    const { approvedAt, fillSession, decidedAt } = latestActs(await proposals.list());
    const weeks = await store.streams(`checkpoint:${council}:`);
    const lastWeek = weeks
      .map((w) => w.stream)
      .sort()
      .pop();
    let checkpointAt = 0;
    if (lastWeek)
      for (const e of await store.read(lastWeek)) if (e.type === 'CheckpointEvaluated') checkpointAt = Math.max(checkpointAt, Date.parse((e.data as { at: string }).at));
    const at = Math.max(approvedAt, checkpointAt);
    return { at: at > 0 ? new Date(at) : null, fillSession, decidedAt };
  };
  const dataTime = async (): Promise<Date> => {
    const at = now();
    const [last] = await market.bars({ symbol, asOf: at, limit: 1 });
    return last ? nyDateTime(last.date, '16:00') : at;
  };
  return {
    mode: 'replay',
    now,
    dataRange,
    defaultWeek,
    decisionTime: (week) => nyDateTime(week, '08:00'),
    async assertConvenable(week) {
      const known = await dataRange();
      if (week < addDays(mondayOf(known.first), 7)) throw new ProposalError('NOT_FOUND', `week ${week} is before the market data: ${rangeText(known)}`);
      // The data must reach the week before (a council decides on the bars up to its Monday).
      const [last] = await market.bars({ symbol, asOf: nyDateTime(week, '08:00'), limit: 1 });
      if (!last || last.date < addDays(week, -7))
        throw new ProposalError('NOT_FOUND', `week ${week} is in the future: the council runs the current week or a past one; ${rangeText(await dataRange())}`);
    },
    async assertWeekInData(week) {
      const known = await dataRange();
      if (week < mondayOf(known.first) || week > mondayOf(known.last)) throw new ProposalError('NOT_FOUND', `week ${week} is outside the market data: ${rangeText(known)}`);
    },
    async assertTimeInData(at) {
      const known = await dataRange();
      const day = nyDate(at);
      if (day < known.first || day > known.last) throw new ProposalError('NOT_FOUND', `${day} ${nyTime(at)} is outside the market data: ${rangeText(known)}`);
    },
    dataTime,
    async markTime() {
      // A desk read after a checkpoint on Tuesday shows Tuesday's book, not the book at the data's end; after
      // an approval, the book at the close of the session its orders filled in (what the approval reported);
      // with nothing acted on yet, at the latest council's decision time (the book is still all cash).
      const [clock, end] = await Promise.all([replayClock(), dataTime()]);
      const filled = clock.fillSession ? nyDateTime(clock.fillSession, calendar.sessionClose(clock.fillSession)).getTime() : 0;
      const acted = Math.max(clock.at?.getTime() ?? 0, filled);
      const stands = acted > 0 ? acted : clock.decidedAt;
      return stands > 0 && stands < end.getTime() ? new Date(stands) : end;
    },
    actionTimes(proposal) {
      const at = new Date(proposal.approvedBy ? Date.parse(proposal.approvedBy.at) : Date.parse(proposal.asOf) + 60_000);
      // A replay advances to the first session's open, so the simulated broker can fill there; no further:
      // settled to its close, a resting stop would fill on the whole session's bar before a checkpoint that
      // day could know it, and that checkpoint's exit would then open the opposite position (issue 15).
      const session = calendar.isTradingDay(nyDate(at)) ? nyDate(at) : calendar.nextTradingDay(nyDate(at));
      return { now: at, settleAt: nyDateTime(session, '09:30') };
    },
    async approvalTimes(proposal, times) {
      // Only a pending proposal is timed here: a second click on an approved one is answered by the decider.
      if (proposal.status !== 'PENDING') return times;
      const clock = await replayClock();
      const when = (d: Date) => `${nyDate(d)} ${nyTime(d)} ET`;
      let { now: at, settleAt } = times;
      if (clock.at && clock.at.getTime() >= at.getTime()) {
        const moved = new Date(clock.at.getTime() + 60_000);
        if (moved.getTime() >= Date.parse(proposal.expiresAt))
          return {
            refusal: `the council's clock is at ${when(clock.at)} (the latest approval or checkpoint on this replay), after this proposal's last moment to be approved (${when(new Date(proposal.expiresAt))})`,
          };
        at = moved;
        const day = nyDate(at);
        const session = calendar.isTradingDay(day) && nyTime(at) < calendar.sessionClose(day) ? day : calendar.nextTradingDay(day);
        settleAt = new Date(Math.max(at.getTime(), nyDateTime(session, '09:30').getTime()));
      }
      const today = nyDate(at);
      const fills = calendar.isTradingDay(today) && nyTime(at) < '09:30' ? today : calendar.nextTradingDay(today);
      if (clock.fillSession && fills < clock.fillSession)
        return { refusal: `its orders would fill at the ${fills} open, before fills already made at the ${clock.fillSession} open` };
      return { now: at, settleAt };
    },
    async checkpointTime(slots) {
      const clock = await replayClock();
      // Nothing acted on yet: the first slot of the week a bare `run` convenes.
      const after = clock.at ?? nyDateTime(await defaultWeek(), '08:00');
      const slot = nextCheckpointSlot(calendar, slots, after);
      const known = await dataRange();
      if (nyDate(slot) > known.last) {
        throw new ProposalError(
          'NOT_FOUND',
          `the council's clock is at ${nyDate(after)} ${nyTime(after)} ET; its next checkpoint slot (${nyDate(slot)} ${nyTime(slot)}) is after the market data: ${rangeText(known)}`,
        );
      }
      return slot;
    },
  };
}
