/**
 * The backtest: the council convened every week over history, on the simulated broker, with the
 * builtin systematic seats (or LLM seats answering from the prompt-hash cache, see llm-cache.ts) and
 * automatic approval, through the same use cases as a live week.
 * Events live in an in-memory store (PGlite would spend most of the run on SQL round trips);
 * market data is served point in time, so no week can see a bar published after its decision.
 * Positions are held from Monday's open to the next Monday's rebalance, whose orders close what
 * the new views drop, unless a checkpoint exits them first (each session before the open and at its
 * last slot).
 */
import { createBrokerRouter } from '../brokers/router.ts';
import { createSimulatedBroker } from '../brokers/simulated.ts';
import { exitReasonOf } from '../domain/ledger.ts';
import type { Config } from '../config/config.ts';
import { buildBuiltinCouncil, buildLlmCouncil } from '../llm/council.ts';
import type { Logger } from '../logger.ts';
import { createNyseCalendar, type TradingCalendar } from '../market/calendar.ts';
import type { MarketData } from '../market/port.ts';
import { bundledRiskFree, type RiskFree } from '../market/rates.ts';
import { addDays, assertDate, mondayOf, nyDateTime } from '../market/time.ts';
import type { ExitReason } from '../pipeline/notices.ts';
import { buildPostmortem, type Postmortem } from '../pipeline/postmortem.ts';
import type { Council, SeatKind } from '../pipeline/seats.ts';
import type { WeekState } from '../pipeline/week.ts';
import { createMemoryEventStore, memoryDatabase } from '../store/memory.ts';
import type { CouncilApp } from '../app/index.ts';
import type { Broker } from '../brokers/port.ts';
import type { EventStore } from '../store/port.ts';
import { type BacktestLlm, cachedAnswers, refusingTransport } from './llm-cache.ts';
import { UserFacingError } from '../domain/errors.ts';

export interface BacktestRequest {
  from: string;
  to: string;
  /** Seat ids to convene (default: every seat in the council file). */
  seats?: readonly string[];
  /** The risk-free rate (default: the bundled FRED DTB3 series). */
  riskFree?: RiskFree;
  /**
   * Which checkpoint slots run: the first and last of each session (default; on daily bars the same
   * exits as every slot) or every configured slot.
   */
  checkpointSlots?: 'first-and-last' | 'all';
}

export interface BacktestProgress {
  done: number;
  total: number;
  week: string;
}

/** What the backtest hands the composition root: every part built here, in memory, on the simulated clock. */
export interface BacktestParts {
  store: EventStore;
  market: MarketData;
  calendar: TradingCalendar;
  broker: Broker;
  council: Council;
  logger: Logger;
  clock: () => Date;
}

export interface BacktestDeps {
  /** The composition root (src/compose.ts `compose`), passed in by whoever sits above the backtest. */
  compose: (config: Config, mode: 'backtest', parts: BacktestParts) => Promise<CouncilApp>;
  config: Config;
  market: MarketData;
  logger: Logger;
  calendar?: TradingCalendar;
  /** How the seats answer (llm-cache.ts `chooseLlm`); default: the builtin systematic seats. */
  llm?: BacktestLlm;
  onProgress?: (p: BacktestProgress) => void;
  /** Each week's council as it ended (for tests and inspection). */
  onWeek?: (state: WeekState) => void;
}

/** Weeks on which one seat's answers at one stage were given up, with the reason. */
export interface Abstention {
  stage: 'pitch' | 'review';
  reason: string;
  weeks: string[];
}

/** How one PM seat answered over the backtest: a mostly-abstaining LLM seat must not pass for a record. */
export interface SeatRecord {
  seat: string;
  model: string;
  kind: SeatKind;
  /** Where its answers came from: the LLM cache, or a builtin strategy. */
  source: 'cache' | 'builtin';
  /** Weeks with a valid pitch (for an LLM seat: answered from the cache). */
  pitched: number;
  /** Weeks it gave no valid pitch. */
  abstained: number;
  /** Weeks it scored its peers, and weeks it gave no usable review (no-quorum weeks have no review). */
  reviewed: number;
  reviewAbstained: number;
  abstentions: Abstention[];
}

export interface BacktestLlmSummary {
  mode: BacktestLlm['mode'];
  reason: string;
  cache: { source: string; answers: number; perModel: Record<string, number> } | null;
  seats: SeatRecord[];
  /** Who decided for the council, by model, and the weeks no decision was made (no quorum). */
  chairman: { models: string[]; decidedBy: Record<string, number>; noDecision: number };
  /** Each researcher: weeks it answered, weeks it failed (the builtin research stood in when all failed). */
  research: { model: string; kind: SeatKind; answered: number; failed: number }[];
  /** Weeks with fewer valid pitches than the quorum: no review, no decision, no orders. */
  noQuorumWeeks: number;
}

export interface BacktestResult {
  from: string;
  to: string;
  weeks: number;
  seats: string[];
  postmortem: Postmortem;
  events: number;
  /** Weeks that made no proposal (no quorum, or every account already held its view). */
  quietWeeks: number;
  /** Checkpoint evaluations run: the first and last configured slot of every session in range. */
  checkpoints: number;
  /** Positions the checkpoints closed, by reason (invalidation, horizon, kill switch). */
  exits: Partial<Record<ExitReason, number>>;
  /** Trims back to the risk limits the checkpoints ordered, by the limit each restored. */
  trims: { maxPositionPct: number; maxGrossPct: number };
  /** Positions closed at the broker by their protective legs between checkpoints (the simulated broker on daily bars). */
  legs: { stop: number; takeProfit: number };
  /**
   * Working exits and trims folded into the next proposal's order of the same account and symbol (one
   * order per session): `canceledOut` when the two cancelled and nothing traded, `folded` when one order
   * carried both.
   */
  netted: { canceledOut: number; folded: number };
  /** How the seats answered, per seat (cache or builtin, abstentions with their reasons). */
  llm: BacktestLlmSummary;
  /** Weeks and checkpoints skipped because the data could not support them (a gap in the bars), with why. */
  skipped: Skip[];
}

export interface Skip {
  what: 'week' | 'checkpoint';
  /** The week's Monday, or the checkpoint's New York time. */
  at: string;
  reason: string;
}

/** A data problem (a gap in the bars, a missing session) skips what it touches; a programming error still stops the run. */
const isDataProblem = (error: unknown) =>
  error instanceof Error && !(error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError || error instanceof SyntaxError);

export class BacktestError extends UserFacingError {
  readonly code = 'BACKTEST';
  constructor(message: string) {
    super(message);
    this.name = 'BacktestError';
  }
}

/** The Mondays whose council weeks fall inside [from, to]: a week counts when its first session does. */
export function backtestWeeks(calendar: TradingCalendar, from: string, to: string): string[] {
  const weeks: string[] = [];
  for (let monday = mondayOf(from); monday <= to; monday = addDays(monday, 7)) {
    const sessions = calendar.tradingDays(monday, addDays(monday, 4));
    const first = sessions[0];
    if (first !== undefined && first >= from && first <= to) weeks.push(monday);
  }
  return weeks;
}

export async function runBacktest(deps: BacktestDeps, req: BacktestRequest): Promise<BacktestResult> {
  for (const [name, date] of [
    ['--from', req.from],
    ['--to', req.to],
  ] as const) {
    try {
      assertDate(date);
    } catch {
      throw new BacktestError(`${name} must be a date like 2015-01-05, got ${JSON.stringify(date)}`);
    }
  }
  if (req.from > req.to) throw new BacktestError(`--from ${req.from} is after --to ${req.to}`);
  const calendar = deps.calendar ?? createNyseCalendar();
  const config = withSeats(deps.config, req.seats);
  const weeks = backtestWeeks(calendar, req.from, req.to);
  if (weeks.length === 0) throw new BacktestError(`no council week starts between ${req.from} and ${req.to}`);

  let now = nyDateTime(weeks[0] as string, '08:00');
  // Only the run's own code appends to it: its events are read back without a schema check (store/trusted.ts).
  const store: EventStore = createMemoryEventStore(() => now, { trust: true });
  const riskFree = req.riskFree ?? bundledRiskFree();
  const broker = createBrokerRouter({
    fallback: createSimulatedBroker({
      store,
      market: deps.market,
      calendar,
      settings: { startingCash: config.file.risk.startingCash, ...config.file.broker, interestRate: config.file.broker.cashInterest ? riskFree.daily : undefined },
    }),
  });
  const llm = deps.llm ?? { mode: 'off', reason: 'builtin systematic seats' };
  const council: Council =
    llm.mode === 'cache' ? buildLlmCouncil(config, { store, db: memoryDatabase(), transport: refusingTransport, answers: cachedAnswers(llm.cache) }) : buildBuiltinCouncil(config);
  const tally = seatTally(council, llm);
  // The application as every channel uses it, on the backtest's store, broker, seats and clock.
  const app = await deps.compose(config, 'backtest', { store, market: deps.market, calendar, broker, council, logger: deps.logger, clock: () => now });

  const end = calendar.isTradingDay(req.to) ? req.to : calendar.previousTradingDay(req.to);
  // On daily bars a session offers two views: before the open (the last close; an exit fills at this
  // open) and after it (the open as provisional close; an exit fills at the next open). Every slot after
  // the open sees the same data and sends its exits to the same fill, and a horizon ends at the last
  // one, so the first and last slots of a session give the same exits as all of them, for half the work.
  // Only slots inside the session, as the live scheduler runs them: an early close (13:00) drops 14:00 and 15:50.
  const slots = [...config.file.schedule.checkpoints].sort();
  const checkpointTimes = (session: string) => {
    const open = slots.filter((t) => t < calendar.sessionClose(session));
    return req.checkpointSlots === 'all' ? open : [...new Set([open[0], open[open.length - 1]].filter((t): t is string => t !== undefined))];
  };
  let checkpointsRun = 0;
  let quietWeeks = 0;
  const skipped: Skip[] = [];
  for (const [i, week] of weeks.entries()) {
    now = nyDateTime(week, '08:00');
    try {
      const state = await app.run({ week });
      tally.add(week, state);
      deps.onWeek?.(state);
      if (state.proposal) await app.approve({ proposalId: state.proposal.proposalId, by: 'backtest', via: 'backtest' });
      else quietWeeks++;
    } catch (error) {
      if (!isDataProblem(error)) throw error;
      skipped.push({ what: 'week', at: week, reason: (error as Error).message });
      quietWeeks++;
    }
    // The week's checkpoints, as the schedule runs them: each position against its invalidation rule and
    // horizon, point in time; an exit (approved here as a person would) fills at the next open.
    for (const session of calendar.tradingDays(week, addDays(week, 4)).filter((d) => d <= end)) {
      for (const time of checkpointTimes(session)) {
        now = nyDateTime(session, time);
        try {
          const result = await app.scheduledCheckpoint(now);
          checkpointsRun++;
          for (const exit of result.exits) if (exit.status === 'awaiting_approval') await app.approve({ proposalId: exit.proposalId, by: 'backtest', via: 'backtest' });
        } catch (error) {
          if (!isDataProblem(error)) throw error;
          skipped.push({ what: 'checkpoint', at: `${session}T${time}`, reason: (error as Error).message });
        }
      }
    }
    deps.onProgress?.({ done: i + 1, total: weeks.length, week });
  }

  // Exit reasons as recorded when each exit was ordered (a later checkpoint that sees the unfilled exit
  // with another reason does not rename it).
  const exits: Partial<Record<ExitReason, number>> = {};
  for (const e of await store.readAll({ streamPrefix: 'checkpoint:', types: ['ExitOrdered'] })) {
    const reason = (e.data as { reason: ExitReason }).reason;
    exits[reason] = (exits[reason] ?? 0) + 1;
  }
  const trims = { maxPositionPct: 0, maxGrossPct: 0 };
  for (const e of await store.readAll({ streamPrefix: 'checkpoint:', types: ['TrimOrdered'] })) trims[(e.data as { limit: keyof typeof trims }).limit]++;
  const legs = { stop: 0, takeProfit: 0 };
  for (const e of await store.readAll({ streamPrefix: 'proposal:', types: ['OrderFilled'] })) {
    const leg = (e.data as { leg?: 'stop' | 'take_profit' }).leg;
    if (leg) legs[leg === 'stop' ? 'stop' : 'takeProfit']++;
  }
  const netted = { canceledOut: 0, folded: 0 };
  for (const e of await store.readAll({ streamPrefix: 'proposal:', types: ['ProposalApproved'] }))
    for (const n of (e.data as { netted?: { into: string | null }[] }).netted ?? []) netted[n.into === null ? 'canceledOut' : 'folded']++;
  const lastWeek = weeks[weeks.length - 1] as string;
  const postmortem = await buildPostmortem(
    {
      store,
      market: deps.market,
      calendar,
      council: config.file.council,
      startingCash: config.file.risk.startingCash,
      universe: config.file.universe,
      accounts: config.accounts,
      seatAccounts: Object.fromEntries(config.file.seats.map((s) => [s.id, s.account])),
      chairAccount: config.file.chairman.account,
      riskFree,
      costs: config.file.broker,
      cashInterest: config.file.broker.cashInterest,
    },
    { week: lastWeek, asOf: nyDateTime(end, '20:00'), since: weeks[0] },
  );
  const events = (await store.readAll()).length;
  return {
    from: req.from,
    to: req.to,
    weeks: weeks.length,
    seats: config.file.seats.map((s) => s.id),
    postmortem,
    events,
    quietWeeks,
    checkpoints: checkpointsRun,
    exits,
    trims,
    legs,
    netted,
    llm: tally.summary(),
    skipped,
  };
}

/** Counts, week by week, how each seat, the chairman and the researchers answered. */
function seatTally(council: Council, llm: BacktestLlm) {
  const seats = new Map<string, SeatRecord>(
    council.seats.map((s) => [
      s.id,
      { seat: s.id, model: s.model, kind: s.kind, source: s.kind === 'llm' ? 'cache' : 'builtin', pitched: 0, abstained: 0, reviewed: 0, reviewAbstained: 0, abstentions: [] },
    ]),
  );
  const decidedBy: Record<string, number> = {};
  const research = new Map<string, BacktestLlmSummary['research'][number]>();
  let noDecision = 0;
  let noQuorumWeeks = 0;
  const abstain = (record: SeatRecord, stage: Abstention['stage'], reason: string, week: string) => {
    const known = record.abstentions.find((a) => a.stage === stage && a.reason === reason);
    if (known) known.weeks.push(week);
    else record.abstentions.push({ stage, reason, weeks: [week] });
  };
  return {
    add(week: string, state: WeekState) {
      for (const p of state.pitches.values()) {
        const record = seats.get(p.seat);
        if (!record) continue;
        if (p.status === 'ok') record.pitched++;
        else {
          record.abstained++;
          abstain(record, 'pitch', p.error ?? 'abstained', week);
        }
      }
      for (const r of state.reviews.values()) {
        const record = seats.get(r.reviewer);
        if (!record) continue;
        if (r.status === 'ok') record.reviewed++;
        else {
          record.reviewAbstained++;
          abstain(record, 'review', r.error ?? 'abstained', week);
        }
      }
      if (state.decision) decidedBy[state.decision.chair.model] = (decidedBy[state.decision.chair.model] ?? 0) + 1;
      else noDecision++;
      if (state.completed?.outcome === 'no_quorum') noQuorumWeeks++;
      for (const source of state.research?.sources ?? []) {
        const r = research.get(source.model) ?? { model: source.model, kind: source.kind, answered: 0, failed: 0 };
        if (source.ok) r.answered++;
        else r.failed++;
        research.set(source.model, r);
      }
    },
    summary(): BacktestLlmSummary {
      return {
        mode: llm.mode,
        reason: llm.reason,
        cache: llm.mode === 'cache' ? { source: llm.cache.source, answers: llm.cache.answers.size, perModel: llm.cache.perModel } : null,
        seats: [...seats.values()],
        chairman: { models: council.chairs.map((c) => c.model), decidedBy, noDecision },
        research: [...research.values()],
        noQuorumWeeks,
      };
    },
  };
}

function withSeats(config: Config, seats: readonly string[] | undefined): Config {
  if (!seats || seats.length === 0) return config;
  const known = config.file.seats.map((s) => s.id);
  const unknown = seats.filter((s) => !known.includes(s));
  if (unknown.length) throw new BacktestError(`unknown seat ${unknown.join(', ')}; the council has ${known.join(', ')}`);
  const chosen = config.file.seats.filter((s) => seats.includes(s.id));
  const accounts = [...new Set([...chosen.map((s) => s.account), config.file.chairman.account])];
  return { ...config, file: { ...config.file, seats: chosen }, accounts };
}

/** Exits that filled inside the period, by the reason recorded on their order (one per exit order). */
function exitsFilled(pm: Postmortem): Partial<Record<ExitReason, number>> {
  const out: Partial<Record<ExitReason, number>> = {};
  const seen = new Set<string>();
  for (const f of pm.ledger.fills) {
    const reason = exitReasonOf(f.reason);
    if (reason === 'rebalance' || reason === 'trim' || seen.has(f.clientOrderId)) continue;
    seen.add(f.clientOrderId);
    out[reason as ExitReason] = (out[reason as ExitReason] ?? 0) + 1;
  }
  return out;
}

/** The INTERFACE.md `backtest --json` document (fixed keys first), plus the comparisons. */
export function backtestJson(r: BacktestResult) {
  const pm = r.postmortem;
  const figures = (p: { totalReturn: number; sharpe: number | null; maxDrawdown: number }) => ({ totalReturn: p.totalReturn, sharpe: p.sharpe, maxDrawdown: p.maxDrawdown });
  return {
    from: r.from,
    to: r.to,
    weeks: r.weeks,
    accounts: pm.accounts.map((a) => ({
      account: a.account,
      ...figures(a.performance),
      role: a.role,
      seat: a.seat,
      sortino: a.performance.sortino,
      annualisedReturn: a.performance.annualisedReturn,
      hitRate: a.trades.hitRate,
      trades: a.trades.trades,
      turnover: a.turnover,
      fees: a.fees,
      costUsd: a.usage.costUsd,
      profitFactor: a.trades.profitFactor,
      expectancy: a.trades.expectancy,
      holdingDays: a.trades.holdingDays,
      exposure: a.exposure,
      timeInMarket: a.timeInMarket,
      beta: a.beta,
      alpha: a.alpha,
      informationRatio: a.informationRatio,
      calmar: a.calmar,
      drawdownSessions: a.drawdownSessions.sessions,
      spyAtExposure: a.scaled.spy.totalReturn,
      equalWeightAtExposure: a.scaled.equalWeight.totalReturn,
    })),
    benchmark: { symbol: 'SPY' as const, ...figures(pm.benchmark.performance) },
    equalWeight: { symbols: pm.equalWeight.symbols, ...figures(pm.equalWeight.performance) },
    deliberation: pm.deliberation,
    calibration: pm.calibration,
    period: { firstMark: pm.from, lastMark: pm.to, sessions: pm.dates.length - 1 },
    seats: r.seats,
    llm: r.llm,
    quietWeeks: r.quietWeeks,
    checkpoints: r.checkpoints,
    exits: r.exits,
    exitsFilled: exitsFilled(pm),
    trims: r.trims,
    legs: r.legs,
    netted: r.netted,
    skipped: r.skipped,
    riskFree: { source: pm.riskFree.source, cashInterest: pm.riskFree.cashInterest },
    events: r.events,
  };
}
