/**
 * The backtest: the council convened every week over history, on the simulated broker, with the
 * builtin systematic seats and automatic approval, through the same use cases as a live week.
 * Events live in an in-memory store (PGlite would spend most of the run on SQL round trips);
 * market data is served point in time, so no week can see a bar published after its decision.
 * Positions are held from Monday's open to the next Monday's rebalance, whose orders close what
 * the new views drop.
 */
import { App } from '../app.ts';
import { createSimulatedBroker } from '../brokers/simulated.ts';
import type { Config } from '../config/config.ts';
import { buildBuiltinCouncil } from '../llm/council.ts';
import type { Logger } from '../logger.ts';
import { createNyseCalendar, type TradingCalendar } from '../market/calendar.ts';
import type { MarketData } from '../market/port.ts';
import { addDays, assertDate, mondayOf, nyDateTime } from '../market/time.ts';
import { buildPostmortem, type Postmortem } from '../pipeline/postmortem.ts';
import { createMemoryEventStore } from '../store/memory.ts';
import type { Database, EventStore } from '../store/port.ts';

export interface BacktestRequest {
  from: string;
  to: string;
  /** Seat ids to convene (default: every seat in the council file). */
  seats?: readonly string[];
  riskFreeRate?: number;
}

export interface BacktestProgress {
  done: number;
  total: number;
  week: string;
}

export interface BacktestDeps {
  config: Config;
  market: MarketData;
  logger: Logger;
  calendar?: TradingCalendar;
  onProgress?: (p: BacktestProgress) => void;
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
}

export class BacktestError extends Error {
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

/** A database the backtest never uses: its events live in memory. */
const noDatabase: Database = {
  kind: 'pglite',
  query: async () => {
    throw new BacktestError('the backtest keeps its events in memory and has no database');
  },
  tx: async () => {
    throw new BacktestError('the backtest keeps its events in memory and has no database');
  },
  close: async () => {},
};

export async function runBacktest(deps: BacktestDeps, req: BacktestRequest): Promise<BacktestResult> {
  for (const [name, date] of [['--from', req.from], ['--to', req.to]] as const) {
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
  const store: EventStore = createMemoryEventStore(() => now);
  const broker = createSimulatedBroker({ store, market: deps.market, calendar, settings: { startingCash: config.file.risk.startingCash, ...config.file.broker } });
  const app = new App({
    config,
    db: noDatabase,
    store,
    market: deps.market,
    calendar,
    broker,
    council: buildBuiltinCouncil(config),
    logger: deps.logger,
    clock: () => now,
    simulatedTime: true,
  });

  let quietWeeks = 0;
  for (const [i, week] of weeks.entries()) {
    now = nyDateTime(week, '08:00');
    const state = await app.run({ week });
    if (state.proposal) await app.approve({ proposalId: state.proposal.proposalId, by: 'backtest', via: 'backtest', authorised: true });
    else quietWeeks++;
    deps.onProgress?.({ done: i + 1, total: weeks.length, week });
  }

  const last = weeks[weeks.length - 1] as string;
  const end = calendar.isTradingDay(req.to) ? req.to : calendar.previousTradingDay(req.to);
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
      riskFreeRate: req.riskFreeRate,
    },
    { week: last, asOf: nyDateTime(end, '20:00'), since: weeks[0] },
  );
  const events = (await store.readAll()).length;
  return { from: req.from, to: req.to, weeks: weeks.length, seats: config.file.seats.map((s) => s.id), postmortem, events, quietWeeks };
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
    })),
    benchmark: { symbol: 'SPY' as const, ...figures(pm.benchmark.performance) },
    equalWeight: { symbols: pm.equalWeight.symbols, ...figures(pm.equalWeight.performance) },
    deliberation: pm.deliberation,
    calibration: pm.calibration,
    period: { firstMark: pm.from, lastMark: pm.to, sessions: pm.dates.length - 1 },
    seats: r.seats,
    quietWeeks: r.quietWeeks,
    events: r.events,
  };
}
