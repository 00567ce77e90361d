/**
 * The builtin research seat: derives the macro regime from the bars themselves and fills the whole
 * research pack. Deterministic: the same snapshot gives the same pack.
 */
import type { Direction, Regime, ResearchPack, Source } from '../../domain/schemas.ts';
import { bundledReleaseCalendar, weekCalendar } from '../../market/releases.ts';
import { addDays, nyDate } from '../../market/time.ts';
import { newsSources } from '../../pipeline/research.ts';
import type { ResearchSeat, StageInput } from '../../pipeline/seats.ts';
import { NO_USAGE } from '../../pipeline/seats.ts';
import { ind, num, pct } from './facts.ts';

const r1m = (s: StageInput['snapshot'], sym: string) => ind(s, sym, 'return_1m') ?? 0;

export function deriveRegime(snapshot: StageInput['snapshot']): Regime {
  const spy = snapshot.symbols.SPY;
  const spyAbove200 = spy?.close != null && spy.sma_200 != null && spy.close > spy.sma_200;
  const creditLeads = r1m(snapshot, 'HYG') - r1m(snapshot, 'TLT');
  const riskAppetite: Regime['riskAppetite'] = spyAbove200 && creditLeads > -0.01 ? 'risk-on' : !spyAbove200 && creditLeads < 0.01 ? 'risk-off' : 'neutral';
  const tlt = r1m(snapshot, 'TLT');
  const rates: Regime['rates'] = tlt > 0.02 ? 'falling' : tlt < -0.02 ? 'rising' : 'stable';
  const uup = r1m(snapshot, 'UUP');
  const usd: Regime['usd'] = uup > 0.01 ? 'strong' : uup < -0.01 ? 'weak' : 'stable';
  const real = (r1m(snapshot, 'GLD') + r1m(snapshot, 'USO')) / 2;
  const inflation: Regime['inflation'] = real > 0.03 ? 'rising' : real < -0.03 ? 'falling' : 'stable';
  const smallVsLarge = r1m(snapshot, 'IWM') - r1m(snapshot, 'SPY');
  const growth: Regime['growth'] = smallVsLarge > 0.02 ? 'accelerating' : smallVsLarge < -0.02 ? 'slowing' : 'stable';
  const vix = snapshot.vix ?? 20;
  const volatility: Regime['volatility'] = vix < 15 ? 'low' : vix < 20 ? 'normal' : vix < 30 ? 'elevated' : 'stressed';
  const summary =
    `${riskAppetite} tape: SPY ${spyAbove200 ? 'above' : 'below'} its 200-day average, HYG ${pct(creditLeads)} vs TLT over a month; ` +
    `rates ${rates} (TLT ${pct(tlt)}), USD ${usd} (UUP ${pct(uup)}), inflation assets ${inflation} (GLD/USO ${pct(real)}), ` +
    `small caps ${pct(smallVsLarge)} vs SPY, VIX ${num(vix, 1)} (${volatility}).`;
  return { riskAppetite, rates, usd, inflation, growth, volatility, summary };
}

/** Risk-adjusted one-month move: the return divided by the month's expected stdev. */
function trendScore(snapshot: StageInput['snapshot'], sym: string): number | null {
  const r = ind(snapshot, sym, 'return_1m');
  const vol = ind(snapshot, sym, 'realized_vol_20');
  if (r === null || vol === null || vol <= 0) return null;
  return r / (vol * Math.sqrt(21 / 252));
}

/** Dates of the recurring US releases in the seven days from `week` by rule only (the fallback before the release data). */
export function recurringCalendar(week: string): ResearchPack['calendar'] {
  const out: ResearchPack['calendar'] = [];
  for (let i = 0; i < 7; i++) {
    const date = addDays(week, i);
    const d = new Date(`${date}T12:00:00Z`);
    const dow = d.getUTCDay();
    const dom = d.getUTCDate();
    if (dow === 4) out.push({ date, event: 'US weekly initial jobless claims (08:30 ET)' });
    if (dow === 5 && dom <= 7) out.push({ date, event: 'US employment report, usually the first Friday (08:30 ET)' });
    if (dow === 5 && dom >= 15 && dom <= 21) out.push({ date, event: 'Monthly options expiration (third Friday)' });
    const next = new Date(d.getTime() + 86_400_000);
    if (next.getUTCMonth() !== d.getUTCMonth() && dow >= 1 && dow <= 5) out.push({ date, event: 'Month end: index rebalancing and fund flows' });
  }
  return out;
}

export function buildResearchPack(input: StageInput): ResearchPack {
  const { snapshot, universe } = input;
  const regime = deriveRegime(snapshot);
  const events = input.events ?? weekCalendar(bundledReleaseCalendar(), nyDate(input.asOf));
  const sources: Source[] = input.news ? newsSources(input.news) : [];
  /** The newest given news items about a symbol, by id. */
  const newsAbout = (sym: string, n = 3) =>
    (input.news?.items ?? [])
      .filter((i) => i.symbols.includes(sym))
      .slice(0, n)
      .map((i) => i.ref);
  const scored = universe
    .map((sym) => ({ sym, score: trendScore(snapshot, sym) }))
    .filter((x): x is { sym: string; score: number } => x.score !== null)
    .sort((a, b) => Math.abs(b.score) - Math.abs(a.score) || a.sym.localeCompare(b.sym));

  const candidates = scored.slice(0, 5).map(({ sym, score }) => {
    const direction: Direction = score > 0 ? 'LONG' : 'SHORT';
    return {
      symbol: sym,
      direction,
      reason: `${sym} ${pct(r1m(snapshot, sym))} over a month, ${num(score, 2)} sigma of its own volatility; RSI ${num(ind(snapshot, sym, 'rsi_14') ?? 50, 0)}`,
    };
  });

  const narratives: ResearchPack['narratives'] = [{ title: `A ${regime.riskAppetite} regime`, detail: regime.summary, cites: newsAbout('SPY', 2) }];
  const leader = scored[0];
  if (leader)
    narratives.push({
      title: `${leader.sym} leads the tape`,
      detail: `The largest risk-adjusted one-month move in the universe: ${pct(r1m(snapshot, leader.sym))} (${num(leader.score, 2)} sigma).`,
      cites: newsAbout(leader.sym),
    });
  const stretched = universe
    .map((sym) => ({ sym, rsi: ind(snapshot, sym, 'rsi_14') }))
    .filter((x): x is { sym: string; rsi: number } => x.rsi !== null && (x.rsi > 70 || x.rsi < 30))
    .sort((a, b) => Math.abs(b.rsi - 50) - Math.abs(a.rsi - 50));
  if (stretched[0])
    narratives.push({
      title: `${stretched[0].sym} is stretched`,
      detail: `RSI(14) at ${num(stretched[0].rsi, 1)}: ${stretched[0].rsi > 70 ? 'overbought' : 'oversold'} by the usual 70/30 bands.`,
      cites: newsAbout(stretched[0].sym),
    });

  const consensus: ResearchPack['consensus'] = universe.slice(0, 6).map((sym) => {
    const close = ind(snapshot, sym, 'close');
    const s50 = ind(snapshot, sym, 'sma_50');
    const s200 = ind(snapshot, sym, 'sma_200');
    const up = close !== null && s50 !== null && s200 !== null && close > s50 && s50 > s200;
    const down = close !== null && s50 !== null && s200 !== null && close < s50 && s50 < s200;
    return {
      view: `${sym} ${up ? 'uptrend' : down ? 'downtrend' : 'no clear trend'}`,
      stance: up || down ? ('consensus' as const) : ('split' as const),
      evidence: `close ${num(close ?? 0)} vs SMA50 ${num(s50 ?? 0)} and SMA200 ${num(s200 ?? 0)}`,
      cites: newsAbout(sym, 2),
    };
  });

  const missing = universe.filter((sym) => ind(snapshot, sym, 'sma_200') === null);
  const confidence = [
    `Systematic research from daily closes through ${snapshot.lastSession}; ${sources.length ? `${sources.length} news headlines cited by symbol, not read for meaning` : 'no news'}; no intraday data, no fundamentals.`,
    events.events.some((e) => e.event.includes('by rule)'))
      ? 'Part of the release calendar is past its data and placed by rule; check the official calendars.'
      : 'Release dates from the bundled calendar (see the calendar note); the released numbers are unknown at the decision time.',
  ];
  if (missing.length) confidence.push(`Short history (no 200-day average) for ${missing.join(', ')}.`);
  if (regime.volatility === 'stressed') confidence.push('Stressed volatility: signals from calm periods may not carry over.');

  return {
    regime,
    narratives: narratives.slice(0, 3),
    consensus,
    candidates,
    calendar: events.events.slice(0, 12).map((e) => ({ ...e, cites: [] })),
    confidence,
    sources,
    provenance: { news: input.news?.note ?? 'No news was given to the research.', calendar: events.note },
  };
}

export const builtinResearcher: ResearchSeat = {
  model: 'builtin:research',
  kind: 'systematic',
  async research(input) {
    try {
      return { ok: true, value: buildResearchPack(input), model: this.model, usage: NO_USAGE };
    } catch (error) {
      return { ok: false, error: (error as Error).message, model: this.model, usage: NO_USAGE };
    }
  },
};

/** Merges packs from several researchers: the first pack's regime, the union of the rest, capped. */
export function mergeResearchPacks(packs: readonly ResearchPack[]): ResearchPack {
  const [first, ...rest] = packs;
  if (!first) throw new Error('no research pack to merge');
  const uniqBy = <T>(items: T[], key: (t: T) => string) => {
    const seen = new Set<string>();
    return items.filter((t) => {
      if (seen.has(key(t))) return false;
      seen.add(key(t));
      return true;
    });
  };
  const all = [first, ...rest];
  const merged: ResearchPack = {
    regime: first.regime,
    narratives: uniqBy(
      all.flatMap((p) => p.narratives),
      (n) => n.title,
    ).slice(0, 3),
    consensus: uniqBy(
      all.flatMap((p) => p.consensus),
      (c) => c.view,
    ).slice(0, 6),
    candidates: uniqBy(
      all.flatMap((p) => p.candidates),
      (c) => `${c.symbol}:${c.direction}`,
    ).slice(0, 5),
    calendar: uniqBy(
      all.flatMap((p) => p.calendar),
      (c) => `${c.date}:${c.event}`,
    ).slice(0, 12),
    confidence: uniqBy(
      all.flatMap((p) => p.confidence),
      (c) => c,
    ).slice(0, 5),
  };
  // research.v1 packs have neither: the merge of those stays exactly as it was.
  if (all.some((p) => p.sources !== undefined))
    merged.sources = uniqBy(
      all.flatMap((p) => p.sources ?? []),
      (s) => s.id,
    );
  const provenance = all.find((p) => p.provenance)?.provenance;
  if (provenance) merged.provenance = provenance;
  return merged;
}
