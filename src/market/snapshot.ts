/** What the council sees of the market at an instant: each symbol's indicators at the last closed session. */
import { createNyseCalendar, lastClosedSession, type TradingCalendar } from './calendar.ts';
import { computeIndicators, IndicatorsOnDemand, type IndicatorSet } from './indicators.ts';
import type { MarketData } from './port.ts';

export interface MarketSnapshot {
  /** The instant the snapshot describes (ISO 8601). */
  asOf: string;
  /** The last NYSE session closed by `asOf`; every value below is as of its close. */
  lastSession: string;
  /** The VIX close of `lastSession`, or null when the source has no VIX bar that day. */
  vix: number | null;
  symbols: Record<string, IndicatorSet>;
}

/**
 * Bars of history fed to the indicators: enough for the 252-session high, and a fixed length so the
 * exponential averages in RSI and MACD give the same value however much older data the source holds.
 */
export const SNAPSHOT_LOOKBACK = 300;

export const VIX_SYMBOL = 'VIX';

export class MissingSessionError extends Error {
  readonly symbol: string;
  readonly session: string;
  readonly code = 'MISSING_SESSION';
  constructor(symbol: string, session: string, lastAvailable: string | undefined) {
    super(`${symbol} has no bar for the session ${session} (its last bar is ${lastAvailable ?? 'none'})`);
    this.symbol = symbol;
    this.session = session;
    this.name = 'MissingSessionError';
  }
}

const defaultCalendar = createNyseCalendar();

// Indicators over closed sessions never change: a symbol's set through a session is computed once per
// data source (a backtest's checkpoints ask for the same ones many times a week).
const indicatorMemo = new WeakMap<MarketData, Map<string, IndicatorSet>>();

/** The memoized indicator set under `key` for this data source, and a setter for it. */
export function memoIndicators(md: MarketData, key: string): { value: IndicatorSet | undefined; set: (v: IndicatorSet) => IndicatorSet } {
  let map = indicatorMemo.get(md);
  if (map === undefined) {
    map = new Map<string, IndicatorSet>();
    indicatorMemo.set(md, map);
  }
  return {
    value: map.get(key),
    set: (v) => {
      if (map.size >= 50_000) map.clear();
      map.set(key, v);
      return v;
    },
  };
}

export interface SnapshotOptions {
  /**
   * Sets a caller reads by name only (a checkpoint's rules): each indicator is worked out when first read
   * (IndicatorsOnDemand), unless a full set for the session is already known. Not for anything stored or
   * shown: such a set is not a plain object.
   */
  onDemand?: boolean;
}

/**
 * Indicators of every symbol in `universe` at the last session closed by `asOf`. A symbol whose data stops
 * before that session is a MissingSessionError: stale numbers must not pass for today's.
 */
export async function buildSnapshot(
  md: MarketData,
  universe: readonly string[],
  asOf: Date,
  calendar: TradingCalendar = defaultCalendar,
  options: SnapshotOptions = {},
): Promise<MarketSnapshot> {
  const lastSession = lastClosedSession(calendar, asOf);
  const memos = universe.map((symbol) => {
    const full = memoIndicators(md, `${symbol}|${lastSession}`);
    return full.value || !options.onDemand ? full : memoIndicators(md, `${symbol}|${lastSession}|on demand`);
  });
  const [vixBars, ...histories] = await Promise.all([
    md.bars({ symbol: VIX_SYMBOL, asOf, to: lastSession, limit: 1 }),
    ...universe.map((symbol, i) => (memos[i]?.value ? undefined : md.bars({ symbol, asOf, to: lastSession, limit: SNAPSHOT_LOOKBACK }))),
  ]);
  const symbols: Record<string, IndicatorSet> = {};
  universe.forEach((symbol, i) => {
    const memo = memos[i] as ReturnType<typeof memoIndicators>;
    if (memo.value) {
      symbols[symbol] = memo.value;
      return;
    }
    const bars = histories[i] ?? [];
    const last = bars[bars.length - 1];
    if (last?.date !== lastSession) throw new MissingSessionError(symbol, lastSession, last?.date);
    symbols[symbol] = memo.set(options.onDemand ? new IndicatorsOnDemand(bars) : computeIndicators(bars));
  });
  const vix = vixBars?.[0];
  return {
    asOf: asOf.toISOString(),
    lastSession,
    vix: vix?.date === lastSession ? vix.close : null,
    symbols,
  };
}
