/**
 * The postmortem report's shape: what buildPostmortem (postmortem.ts) computes and every channel, chart
 * and export renders. Types only, so the notice union can carry a report without importing its maker.
 */
import type { LedgerFill, Mark, RoundTrip, TradeStats } from '../domain/ledger.ts';
import type { Performance } from '../domain/metrics.ts';
import type { Usage } from './seat-result.ts';

export interface AccountReport {
  account: string;
  role: 'council' | 'member';
  /** The seat trading this account (members), or null (the council). */
  seat: string | null;
  equity: number;
  weekPnl: number;
  weekReturn: number;
  pnl: number;
  performance: Performance;
  trades: TradeStats;
  turnover: number;
  fees: number;
  /** Mean gross exposure over equity at the session closes. */
  exposure: number;
  /** Share of session closes with any position. */
  timeInMarket: number;
  /** Against SPY's daily returns, on excess returns; null below 20 sessions. */
  beta: number | null;
  alpha: number | null;
  informationRatio: number | null;
  calmar: number | null;
  drawdownSessions: { sessions: number; ongoing: boolean };
  /** SPY and the equal-weight universe scaled to this account's average exposure, with the same costs. */
  scaled: { spy: Performance; equalWeight: Performance };
  usage: Usage;
  /** P/L per dollar of LLM spend; null when nothing was spent. */
  pnlPerTokenDollar: number | null;
}

export interface BenchmarkReport {
  name: string;
  symbols: string[];
  weekReturn: number;
  performance: Performance;
  /** Equity scaled to the accounts' starting cash, one mark per session. */
  equity: number[];
}

export interface Calibration {
  reviewer: string;
  pitches: number;
  meanScore: number | null;
  /** Pearson correlation between the reviewer's average rubric score and the pitch's realised return. */
  correlation: number | null;
}

export interface KillShot {
  week: string;
  reviewer: string;
  target: string;
  trade: string;
  killShot: string;
  flipCondition: string;
  realised: number;
}

export interface Postmortem {
  council: string;
  week: string;
  /** The session the period's marks start from (before the first trade) and the last session marked. */
  from: string;
  to: string;
  weekFrom: string;
  weeks: number;
  dates: string[];
  accounts: AccountReport[];
  curves: { account: string; equity: number[] }[];
  benchmark: BenchmarkReport;
  equalWeight: BenchmarkReport;
  /** SPY and the equal-weight universe held at the accounts' mean exposure (rest in cash): the curves to draw beside the accounts. */
  scaledBenchmarks: { exposure: number; spy: number[]; equalWeight: number[] };
  /**
   * Council total return minus the best and the median member's, and a seeded block-bootstrap 95 %
   * interval on the mean weekly return of the council minus the median member; null without members.
   */
  deliberation: {
    council: number;
    best: { account: string; totalReturn: number };
    median: number;
    vsBest: number;
    vsMedian: number;
    weekly: { weeks: number; mean: number; low: number; high: number; verdict: 'added' | 'subtracted' | 'inconclusive' } | null;
  } | null;
  /** Where the risk-free rate comes from, and whether idle cash earned it. */
  riskFree: { source: string; cashInterest: boolean; returns: number[] };
  /** Every fill of the period and the FIFO round trips they make (the exports' rows). */
  ledger: { fills: LedgerFill[]; trips: RoundTrip[] };
  /** Each account's marks at every session close: equity, cash, gross exposure. */
  marks: { account: string; marks: Mark[] }[];
  calibration: Calibration[];
  killShots: KillShot[];
  usage: Usage;
}
