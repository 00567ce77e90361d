/** The market data port: daily bars, point in time. */

export interface Bar {
  /** Session date, YYYY-MM-DD (America/New_York). */
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface BarsRequest {
  symbol: string;
  /** The simulated (or real) now: only data published at or before it may be returned. */
  asOf: Date;
  /** First session date to include (YYYY-MM-DD). */
  from?: string;
  /**
   * Last session date to include. A `to` whose bar closes (16:00 America/New_York) after `asOf` is a
   * PointInTimeError, never a silent truncation. Omitted: everything published by `asOf`.
   */
  to?: string;
  /** At most this many of the latest bars. */
  limit?: number;
}

export interface MarketData {
  readonly source: string;
  bars(request: BarsRequest): Promise<Bar[]>;
  /**
   * The opening price of the session on `date`, or undefined when the source has no such session.
   * Throws PointInTimeError when `asOf` is before that session's 09:30 open.
   */
  sessionOpen(symbol: string, date: string, asOf: Date): Promise<number | undefined>;
}

export class PointInTimeError extends Error {
  readonly code = 'POINT_IN_TIME';
  constructor(message: string) {
    super(message);
    this.name = 'PointInTimeError';
  }
}
