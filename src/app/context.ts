/**
 * What the use cases share: the application's dependencies (built by src/compose.ts, private to
 * src/app), the pipeline settings derived once from the council file, the notice fan-out and the redactor.
 */
import type { Broker } from '../brokers/port.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';
import type { TradingCalendar } from '../market/calendar.ts';
import type { NewsSource } from '../market/news.ts';
import type { MarketData } from '../market/port.ts';
import type { ExecutionDeps, ProposalRepository } from '../pipeline/execution.ts';
import type { NoticeSink } from '../pipeline/notices.ts';
import type { PipelineSettings } from '../pipeline/run.ts';
import type { Council } from '../pipeline/seats.ts';
import type { Redactor } from '../redact.ts';
import type { Database, EventStore } from '../store/port.ts';
import type { Authoriser } from './authoriser.ts';
import type { CouncilClock } from './clock.ts';

export interface AppDeps {
  config: Config;
  /** The database behind the store (kind 'memory' in the backtest, whose events live in memory). */
  db: Database;
  store: EventStore;
  /** Every proposal's state, folded incrementally from the store: one instance per application. */
  proposals: ProposalRepository;
  market: MarketData;
  /** The research's news (Alpaca's with keys); absent, the research pack says no news source is configured. */
  news?: NewsSource;
  calendar: TradingCalendar;
  broker: Broker;
  council: Council;
  logger: Logger;
  /** The live or replay time policy. */
  clock: CouncilClock;
  /** Who may approve, reject, halt and resume (a channel may extend it per request). */
  authoriser: Authoriser;
  /** Built once from the council file (pipelineSettings). */
  settings: PipelineSettings;
  fault?: (point: string) => void;
}

export interface AppContext {
  readonly deps: AppDeps;
  /** Every notice goes out through this: redacted, fanned out to the channels. */
  readonly sink: NoticeSink;
  readonly redactor: Redactor;
}

/** The pipeline's settings from the council file: built once, by the composition root. */
export function pipelineSettings(config: Config): PipelineSettings {
  const f = config.file;
  return {
    council: f.council,
    universe: f.universe,
    risk: f.risk,
    seatAccounts: Object.fromEntries(f.seats.map((s) => [s.id, s.account])),
    chairAccount: f.chairman.account,
    quorum: Math.min(3, f.seats.length),
  };
}

/** What the execution functions need, with the sizing rules of this council. */
export function executionDeps(ctx: AppContext, sink: NoticeSink = ctx.sink): ExecutionDeps & { sizing: { universe: readonly string[]; risk: PipelineSettings['risk'] } } {
  const { store, proposals, broker, fault, settings } = ctx.deps;
  return { store, proposals, broker, sink, council: settings.council, fault, sizing: { universe: settings.universe, risk: settings.risk } };
}
