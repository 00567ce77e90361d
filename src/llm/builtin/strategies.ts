/**
 * Five systematic PM strategies. Each turns the point-in-time snapshot into one complete pitch with
 * real indicator values, thresholds and a concrete, machine-checkable invalidation rule.
 */
import type { Condition, Direction, Horizon, IndicatorUse, Pitch, ResearchPack } from '../../domain/schemas.ts';
import { invalidationHolding } from '../../domain/validate.ts';
import type { MarketSnapshot } from '../../market/snapshot.ts';
import { type Ind, ind, level, need, num, pct, ratio, roundTo } from './facts.ts';

export type StrategyName = 'momentum' | 'mean-reversion' | 'trend' | 'regime' | 'low-vol-carry';

interface Ctx {
  snapshot: MarketSnapshot;
  universe: readonly string[];
  research: ResearchPack;
}

const use = (snapshot: MarketSnapshot, symbol: string, indicator: Ind, comparator: Condition['comparator'], threshold: number): IndicatorUse => ({
  symbol,
  indicator,
  comparator,
  threshold,
  value: ind(snapshot, symbol, indicator),
});

const hasAll = (s: MarketSnapshot, sym: string, names: Ind[]) => names.every((n) => ind(s, sym, n) !== null);

/** A stop on the close, `sigmas` daily standard deviations over `days` sessions away from the last close. */
function stopLevel(s: MarketSnapshot, sym: string, direction: Direction, sigmas: number, days: number): number {
  const close = need(s, sym, 'close');
  const vol = need(s, sym, 'realized_vol_20');
  const move = close * vol * Math.sqrt(days / 252) * sigmas;
  return level(direction === 'SHORT' ? close + move : close - move);
}

const stopCondition = (sym: string, direction: Direction, stop: number): Condition => ({
  symbol: sym,
  indicator: 'close',
  comparator: direction === 'SHORT' ? '>' : '<',
  threshold: stop,
});

const signed = (direction: Direction, magnitude: number): number => (direction === 'FLAT' ? 0 : roundTo(direction === 'SHORT' ? -magnitude : magnitude, 0.25, -2, 2));

const flatPitch = (sym: string, s: MarketSnapshot, why: string, horizon: Horizon): Pitch => ({
  instrument: sym,
  direction: 'FLAT',
  horizon,
  thesis: [why],
  indicators: [use(s, sym, 'close', '>', 0)],
  conviction: 0,
  stop: null,
  takeProfit: null,
  invalidation: { rule: 'No position, nothing to invalidate: re-evaluate next week.', conditions: [stopCondition(sym, 'LONG', 0)] },
});

/** Time-series momentum: the strongest risk-adjusted one-month move, in its own direction. */
function momentum({ snapshot: s, universe }: Ctx): Pitch {
  const ranked = universe
    .filter((sym) => hasAll(s, sym, ['return_1m', 'realized_vol_20', 'return_1w', 'close']))
    .map((sym) => ({ sym, z: need(s, sym, 'return_1m') / (need(s, sym, 'realized_vol_20') * Math.sqrt(21 / 252)) }))
    .sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.sym.localeCompare(b.sym));
  const best = ranked[0];
  if (!best || Math.abs(best.z) < 0.5) return flatPitch(best?.sym ?? 'SPY', s, 'No one-month move larger than half a sigma: no momentum to ride.', '1w');
  const { sym, z } = best;
  const direction: Direction = z > 0 ? 'LONG' : 'SHORT';
  const r1m = need(s, sym, 'return_1m');
  const r1w = need(s, sym, 'return_1w');
  const stop = stopLevel(s, sym, direction, 2, 5);
  const weekAgainst = direction === 'LONG' ? Math.min(-0.02, ratio(-Math.abs(r1w))) : Math.max(0.02, ratio(Math.abs(r1w)));
  return {
    instrument: sym,
    direction,
    horizon: '1w',
    thesis: [
      `${sym} moved ${pct(r1m)} over 21 sessions, ${num(Math.abs(z), 2)} sigma of its own volatility: the strongest trend in the universe.`,
      `The last week (${pct(r1w)}) ${Math.sign(r1w) === Math.sign(r1m) ? 'confirms' : 'pauses'} the move.`,
      'Time-series momentum persists over one to four weeks more often than it reverses.',
    ],
    indicators: [use(s, sym, 'return_1m', direction === 'LONG' ? '>' : '<', 0), use(s, sym, 'realized_vol_20', '<', ratio(need(s, sym, 'realized_vol_20') * 1.5))],
    conviction: signed(direction, Math.min(2, Math.abs(z) / 1.25)),
    stop,
    takeProfit: null,
    invalidation: {
      rule: `Exit if ${sym} closes ${direction === 'LONG' ? 'below' : 'above'} ${stop} (two weekly sigmas) or the week's return turns ${pct(weekAgainst)} against the trade.`,
      conditions: [stopCondition(sym, direction, stop), { symbol: sym, indicator: 'return_1w', comparator: direction === 'LONG' ? '<' : '>', threshold: weekAgainst }],
    },
  };
}

/** RSI mean reversion: fade the most stretched RSI(14) in the universe over three days. */
function meanReversion({ snapshot: s, universe }: Ctx): Pitch {
  const ranked = universe
    .filter((sym) => hasAll(s, sym, ['rsi_14', 'close', 'realized_vol_20']))
    .map((sym) => ({ sym, rsi: need(s, sym, 'rsi_14') }))
    .sort((a, b) => Math.abs(b.rsi - 50) - Math.abs(a.rsi - 50) || a.sym.localeCompare(b.sym));
  const best = ranked[0];
  if (!best || Math.abs(best.rsi - 50) < 12) return flatPitch(best?.sym ?? 'SPY', s, 'No RSI(14) outside 38-62: nothing stretched enough to fade.', '3d');
  const { sym, rsi } = best;
  const direction: Direction = rsi < 50 ? 'LONG' : 'SHORT';
  const stretch = Math.abs(rsi - 50);
  const stop = stopLevel(s, sym, direction, 1.5, 3);
  const rsiFail = direction === 'LONG' ? Math.max(5, Math.round(rsi - 10)) : Math.min(95, Math.round(rsi + 10));
  return {
    instrument: sym,
    direction,
    horizon: '3d',
    thesis: [
      `${sym} RSI(14) is ${num(rsi, 1)}, the most ${direction === 'LONG' ? 'oversold' : 'overbought'} reading in the universe.`,
      `Stretched readings (${stretch >= 20 ? 'beyond 70/30' : 'approaching 70/30'}) tend to mean-revert within a few sessions.`,
      `Last week ${pct(need(s, sym, 'return_1w'))}; the fade targets a move back toward the 20-day average at ${num(need(s, sym, 'sma_20'))}.`,
    ],
    indicators: [
      use(s, sym, 'rsi_14', direction === 'LONG' ? '<' : '>', direction === 'LONG' ? 38 : 62),
      use(s, sym, 'sma_20', direction === 'LONG' ? '>' : '<', level(need(s, sym, 'close'))),
    ],
    conviction: signed(direction, Math.min(2, (stretch - 8) / 10)),
    stop,
    // The fade's target: back to the 20-day average (kept only on the profitable side, stops.ts).
    takeProfit: level(need(s, sym, 'sma_20')),
    invalidation: {
      rule: `Exit if ${sym} closes ${direction === 'LONG' ? 'below' : 'above'} ${stop} or RSI(14) pushes further to ${rsiFail}.`,
      conditions: [stopCondition(sym, direction, stop), { symbol: sym, indicator: 'rsi_14', comparator: direction === 'LONG' ? '<' : '>', threshold: rsiFail }],
    },
  };
}

/** SMA/MACD trend: the instrument whose 50/200 averages and MACD histogram agree most strongly. */
function trend({ snapshot: s, universe }: Ctx): Pitch {
  const ranked = universe
    .filter((sym) => hasAll(s, sym, ['close', 'sma_50', 'sma_200', 'macd_hist', 'realized_vol_20']))
    .map((sym) => {
      const close = need(s, sym, 'close');
      const votes = Math.sign(close - need(s, sym, 'sma_50')) + Math.sign(need(s, sym, 'sma_50') - need(s, sym, 'sma_200')) + Math.sign(need(s, sym, 'macd_hist'));
      const gap = (need(s, sym, 'sma_50') - need(s, sym, 'sma_200')) / close;
      return { sym, votes, gap };
    })
    .sort((a, b) => Math.abs(b.votes) - Math.abs(a.votes) || Math.abs(b.gap) - Math.abs(a.gap) || a.sym.localeCompare(b.sym));
  const best = ranked[0];
  if (!best || Math.abs(best.votes) < 3) return flatPitch(best?.sym ?? 'SPY', s, 'No instrument with price, 50/200-day averages and MACD all aligned.', '1w');
  const { sym, gap } = best;
  const direction: Direction = best.votes > 0 ? 'LONG' : 'SHORT';
  const sma50 = level(need(s, sym, 'sma_50'));
  return {
    instrument: sym,
    direction,
    horizon: '1w',
    thesis: [
      `${sym} closes at ${num(need(s, sym, 'close'))}, ${direction === 'LONG' ? 'above' : 'below'} its 50-day (${num(sma50)}), which is ${direction === 'LONG' ? 'above' : 'below'} the 200-day (${num(need(s, sym, 'sma_200'))}).`,
      `MACD histogram ${num(need(s, sym, 'macd_hist'), 3)} confirms the direction.`,
      `The 50/200 spread is ${pct(gap)} of price: an established trend, not a fresh cross.`,
    ],
    indicators: [use(s, sym, 'sma_50', direction === 'LONG' ? '>' : '<', level(need(s, sym, 'sma_200'))), use(s, sym, 'macd_hist', direction === 'LONG' ? '>' : '<', 0)],
    conviction: signed(direction, Math.min(2, 0.75 + Math.abs(gap) * 20)),
    stop: sma50,
    takeProfit: null,
    invalidation: {
      rule: `Exit on a close ${direction === 'LONG' ? 'below' : 'above'} the 50-day average (${sma50}) or a MACD histogram flip.`,
      conditions: [stopCondition(sym, direction, sma50), { symbol: sym, indicator: 'macd_hist', comparator: direction === 'LONG' ? '<' : '>', threshold: 0 }],
    },
  };
}

/** Cross-asset regime: trade the asset the research regime favours. */
function regime({ snapshot: s, universe, research }: Ctx): Pitch {
  const r = research.regime;
  const pick = (): { sym: string; direction: Direction; why: string; agree: number } => {
    if (r.riskAppetite === 'risk-on')
      return r.growth === 'accelerating'
        ? { sym: 'IWM', direction: 'LONG', why: 'risk-on with small caps leading: growth is broadening', agree: 2 }
        : { sym: 'QQQ', direction: 'LONG', why: 'risk-on with large caps leading', agree: r.volatility === 'low' ? 2 : 1 };
    if (r.riskAppetite === 'risk-off')
      return r.rates === 'rising'
        ? { sym: 'GLD', direction: 'LONG', why: 'risk-off while bonds sell off: gold is the hedge that works', agree: 1 }
        : { sym: 'TLT', direction: 'LONG', why: 'risk-off with falling yields: duration is the hedge', agree: 2 };
    if (r.usd === 'strong') return { sym: 'UUP', direction: 'LONG', why: 'no equity regime, but a firm dollar', agree: 1 };
    if (r.inflation === 'rising') return { sym: 'USO', direction: 'LONG', why: 'no equity regime, inflation assets bid', agree: 1 };
    return { sym: 'SPY', direction: 'FLAT', why: 'a neutral regime', agree: 0 };
  };
  const choice = pick();
  const sym = universe.includes(choice.sym) && hasAll(s, choice.sym, ['close', 'realized_vol_20', 'sma_50']) ? choice.sym : undefined;
  if (!sym || choice.direction === 'FLAT') return flatPitch(sym ?? 'SPY', s, `The cross-asset regime is ${r.riskAppetite}: ${choice.why}; no regime trade.`, '1w');
  const stop = stopLevel(s, sym, choice.direction, 2, 5);
  const spy200 = ind(s, 'SPY', 'sma_200');
  const conditions: Condition[] = [stopCondition(sym, choice.direction, stop)];
  // The regime flips when SPY crosses its 200-day average against it; a cross that has already happened
  // (SPY above it while the read is risk-off) is no exit rule: it would close the trade at once.
  const spyClose = ind(s, 'SPY', 'close');
  const flip: Condition | null =
    spy200 !== null && sym !== 'SPY' ? { symbol: 'SPY', indicator: 'close', comparator: r.riskAppetite === 'risk-on' ? '<' : '>', threshold: level(spy200) } : null;
  if (flip && !(spyClose !== null && invalidationHolding([flip], () => spyClose).length)) conditions.push(flip);
  return {
    instrument: sym,
    direction: choice.direction,
    horizon: '1w',
    thesis: [
      `Regime read: ${r.riskAppetite}, rates ${r.rates}, USD ${r.usd}, inflation ${r.inflation}, growth ${r.growth}, volatility ${r.volatility}.`,
      `${sym}: ${choice.why}.`,
      `${sym} is ${pct(ind(s, sym, 'return_1m') ?? 0)} over a month with realised volatility ${pct(need(s, sym, 'realized_vol_20'), 0)}.`,
    ],
    indicators: [
      use(s, sym, 'close', choice.direction === 'LONG' ? '>' : '<', level(need(s, sym, 'sma_50'))),
      ...(spy200 !== null ? [use(s, 'SPY', 'sma_200', r.riskAppetite === 'risk-on' ? '<' : '>', level(ind(s, 'SPY', 'close') ?? spy200))] : []),
    ],
    conviction: signed(choice.direction, 0.5 + 0.5 * choice.agree),
    stop,
    takeProfit: null,
    invalidation: {
      rule: `Exit if ${sym} closes ${choice.direction === 'LONG' ? 'below' : 'above'} ${stop}${conditions.length > 1 ? `, or SPY crosses its 200-day average (${conditions[1]?.threshold}), which would flip the regime` : ''}.`,
      conditions,
    },
  };
}

/** Low-volatility carry: hold the calmest asset that is still rising, for its steady return. */
function lowVolCarry({ snapshot: s, universe }: Ctx): Pitch {
  const ranked = universe
    .filter((sym) => hasAll(s, sym, ['realized_vol_20', 'return_1m', 'close', 'sma_50']))
    .filter((sym) => need(s, sym, 'return_1m') > 0 && need(s, sym, 'close') > need(s, sym, 'sma_50'))
    .map((sym) => ({ sym, vol: need(s, sym, 'realized_vol_20'), r: need(s, sym, 'return_1m') }))
    .sort((a, b) => a.vol - b.vol || a.sym.localeCompare(b.sym));
  const best = ranked[0];
  if (!best) return flatPitch('SPY', s, 'No asset is both rising over a month and above its 50-day average: no carry to hold.', '1w');
  const { sym, vol, r } = best;
  const volCap = ratio(Math.max(vol * 1.75, 0.05));
  const sma50 = level(need(s, sym, 'sma_50'));
  return {
    instrument: sym,
    direction: 'LONG',
    horizon: '1w',
    thesis: [
      `${sym} has the lowest realised volatility among rising assets: ${pct(vol, 1)} annualised.`,
      `It is ${pct(r)} over a month and above its 50-day average (${num(sma50)}): steady carry.`,
      'Low-volatility assets earn more per unit of risk than their calm suggests.',
    ],
    indicators: [use(s, sym, 'realized_vol_20', '<', volCap), use(s, sym, 'return_1m', '>', 0)],
    conviction: roundTo(Math.min(1.5, 0.5 + (r / (vol * Math.sqrt(21 / 252))) * 0.25)),
    stop: sma50,
    takeProfit: null,
    invalidation: {
      rule: `Exit if volatility breaks out (20-day realised above ${pct(volCap, 0)}) or ${sym} closes below its 50-day average (${sma50}).`,
      conditions: [{ symbol: sym, indicator: 'realized_vol_20', comparator: '>', threshold: volCap }, stopCondition(sym, 'LONG', sma50)],
    },
  };
}

/**
 * A strategy never pitches a trade whose own invalidation already holds on the data it decides on (the
 * council would refuse it as an abstention): such a read stands aside, FLAT, and says why.
 */
const unlessInvalid =
  (fn: (ctx: Ctx) => Pitch) =>
  (ctx: Ctx): Pitch => {
    const pitch = fn(ctx);
    if (pitch.direction === 'FLAT') return pitch;
    const holding = invalidationHolding(pitch.invalidation.conditions, (c) => (c.indicator === 'vix' ? ctx.snapshot.vix : ind(ctx.snapshot, c.symbol, c.indicator)));
    return holding.length
      ? flatPitch(pitch.instrument, ctx.snapshot, `The ${pitch.direction} ${pitch.instrument} read is already invalidated: ${holding.join('; ')}.`, pitch.horizon)
      : pitch;
  };

export const STRATEGY_FNS: Record<StrategyName, (ctx: Ctx) => Pitch> = {
  momentum: unlessInvalid(momentum),
  'mean-reversion': unlessInvalid(meanReversion),
  trend: unlessInvalid(trend),
  regime: unlessInvalid(regime),
  'low-vol-carry': unlessInvalid(lowVolCarry),
};

export const STRATEGY_LABELS: Record<StrategyName, string> = {
  momentum: 'time-series momentum',
  'mean-reversion': 'RSI mean reversion',
  trend: 'SMA/MACD trend',
  regime: 'cross-asset regime',
  'low-vol-carry': 'low-volatility carry',
};
