/**
 * The builtin reviewer: scores the 7-point rubric from checkable facts about each anonymous pitch.
 * Nothing here depends on who wrote the pitch.
 */
import type { Pitch, ResearchPack, Rubric, RubricKey, ReviewScore } from '../../domain/schemas.ts';
import type { MarketSnapshot } from '../../market/snapshot.ts';
import type { LabelledPitch } from '../../pipeline/seats.ts';
import { conditionValue, describeCondition, holds, ind } from './facts.ts';

const clampScore = (x: number): number => Math.max(1, Math.min(10, Math.round(x)));

const SHORT_TERM = new Set(['rsi_14', 'return_1d']);
const LONG_TERM = new Set(['sma_50', 'sma_200', 'return_1m', 'macd_hist', 'macd', 'macd_signal']);

interface Facts {
  supported: number;
  integrity: number;
  stopSigmas: number[];
  shared: number;
  inCandidates: boolean;
}

type OwnFacts = Omit<Facts, 'shared'>;

// Every reviewer asks for the facts of the same pitches on the same snapshot and pack: those that do not
// depend on the other pitches shown (which leave out the reviewer's own) are kept per pitch.
const ownFacts = new WeakMap<Pitch, { snapshot: MarketSnapshot; research: ResearchPack; facts: OwnFacts }>();

function factsOf(p: Pitch, all: readonly LabelledPitch[], snapshot: MarketSnapshot, research: ResearchPack): Facts {
  let known = ownFacts.get(p);
  if (known?.snapshot !== snapshot || known.research !== research) {
    known = { snapshot, research, facts: ownFactsOf(p, snapshot, research) };
    ownFacts.set(p, known);
  }
  let shared = 0;
  for (const o of all) if (o.pitch !== p && o.pitch.instrument === p.instrument && o.pitch.direction === p.direction) shared++;
  return { ...known.facts, shared };
}

function ownFactsOf(p: Pitch, snapshot: MarketSnapshot, research: ResearchPack): OwnFacts {
  const checkable = p.indicators.filter((u) => u.value !== null);
  const supported = checkable.length ? checkable.filter((u) => holds(u.value as number, u)).length / checkable.length : 0;
  const matching = p.indicators.filter((u) => {
    const actual = conditionValue(snapshot, u);
    return actual !== null && u.value !== null && Math.abs(actual - u.value) <= Math.max(1e-6, Math.abs(actual) * 1e-4);
  });
  const integrity = p.indicators.length ? matching.length / p.indicators.length : 0;
  const close = ind(snapshot, p.instrument, 'close');
  const vol = ind(snapshot, p.instrument, 'realized_vol_20');
  const stopSigmas = p.invalidation.conditions
    .filter((c) => c.indicator === 'close' && c.symbol === p.instrument && close !== null && vol)
    .map((c) => Math.abs(c.threshold - (close as number)) / ((close as number) * (vol as number) * Math.sqrt(5 / 252)));
  const inCandidates = research.candidates.some((c) => c.symbol === p.instrument && c.direction === p.direction);
  return { supported, integrity, stopSigmas, inCandidates };
}

/** The rubric's dimensions in the order a tie for the weakest is settled: what costs money first. */
const KILL_SHOT_ORDER: readonly RubricKey[] = ['riskDefinition', 'edgePlausibility', 'indicatorIntegrity', 'timingCatalyst', 'tradeability', 'originality', 'clarity'];

/** The reviewer's own read of the market: its strategy's pitch, used as a second opinion. */
export interface Lens {
  name: string;
  pitch: Pitch | undefined;
}

export function scorePitch(
  target: LabelledPitch,
  all: readonly LabelledPitch[],
  snapshot: MarketSnapshot,
  research: ResearchPack,
  universe: readonly string[],
  lens?: Lens,
): ReviewScore {
  const p = target.pitch;
  const f = factsOf(p, all, snapshot, research);
  const mine = lens?.pitch;
  const clash = mine !== undefined && mine.instrument === p.instrument && mine.direction !== 'FLAT' && p.direction !== 'FLAT' && mine.direction !== p.direction;
  const agrees = mine !== undefined && mine.instrument === p.instrument && mine.direction === p.direction && p.direction !== 'FLAT';
  const flat = p.direction === 'FLAT';
  const shortTerm = p.indicators.some((u) => SHORT_TERM.has(u.indicator));
  const longTerm = p.indicators.some((u) => LONG_TERM.has(u.indicator));
  const horizonFits = (p.horizon === '1w' && longTerm) || (p.horizon !== '1w' && shortTerm) || (!shortTerm && !longTerm);
  const stopFit = f.stopSigmas.length ? Math.max(...f.stopSigmas.map((s) => (s >= 0.75 && s <= 3 ? 10 : s < 0.75 ? 4 + s * 4 : Math.max(3, 10 - (s - 3) * 2)))) : 5;
  const rubric: Rubric = {
    clarity: clampScore(4 + Math.min(p.thesis.length, 4) + (p.invalidation.rule.length > 20 ? 1 : 0) - (flat ? 2 : 0)),
    edgePlausibility: clampScore(3 + f.supported * 5 + (f.inCandidates ? 1 : 0) - (flat ? 3 : 0) - (clash ? 3 : 0) + (agrees ? 1 : 0)),
    timingCatalyst: clampScore((horizonFits ? 7 : 4) + (Math.abs(p.conviction) >= 1 ? 1 : 0) - (flat ? 2 : 0)),
    riskDefinition: clampScore(stopFit - (p.invalidation.conditions.length > 1 ? 0 : 1)),
    indicatorIntegrity: clampScore(2 + f.integrity * 8),
    originality: clampScore(9 - f.shared * 3),
    tradeability: clampScore(!universe.includes(p.instrument) ? 1 : flat ? 3 : 9),
  };
  // The kill shot names the weakest dimension by a fact that is true of this pitch; ties go to the
  // dimension that costs money first (risk, then edge), not to the first in the list.
  const order = KILL_SHOT_ORDER;
  const weakest = order.reduce<RubricKey>((w, k) => (rubric[k] < rubric[w] ? k : w), order[0] as RubricKey);
  // Only the weakest dimension's kill shot is written (each reviewer scores every pitch, every week).
  const killShot = (key: RubricKey): string => {
    switch (key) {
      case 'clarity':
        return `${p.thesis.length} thesis point${p.thesis.length === 1 ? '' : 's'}, and none says what price or event makes the trade pay.`;
      case 'edgePlausibility':
        return clash
          ? `My ${lens?.name} read says ${mine?.direction} ${p.instrument}, the opposite: ${mine?.thesis[0] ?? ''}`
          : f.supported < 1
            ? `Only ${Math.round(f.supported * 100)}% of the cited indicators are on the pitch's side of their thresholds right now.`
            : `Every cited indicator already agrees, so the move may be priced: what is the edge beyond the consensus?`;
      case 'timingCatalyst':
        return horizonFits
          ? `No dated catalyst inside the ${p.horizon} horizon: the signal says where, not when.`
          : `A ${p.horizon} horizon on ${p.indicators.map((u) => u.indicator).join(', ')} mixes a slow signal with a fast clock.`;
      case 'riskDefinition':
        return f.stopSigmas.length
          ? `The price stop sits ${f.stopSigmas.map((x) => x.toFixed(1)).join('/')} weekly sigmas away: ${Math.min(...f.stopSigmas) < 0.75 ? 'ordinary noise will trip it' : Math.max(...f.stopSigmas) > 3 ? 'too far to protect the account' : 'fine, but it is the only line of defence'}.`
          : `No closing-price stop on ${p.instrument} itself: the loss is not bounded by the rule.`;
      case 'indicatorIntegrity':
        return 'Some indicator values quoted do not match the data as of the decision time.';
      case 'originality':
        return `${f.shared} other pitch${f.shared === 1 ? ' makes' : 'es make'} the same call: it adds little to the council.`;
      case 'tradeability':
        return flat ? 'A flat pitch trades nothing.' : `${p.instrument} is not in the tradeable universe.`;
      default: {
        const unknown: never = key;
        return unknown;
      }
    }
  };
  const first = p.invalidation.conditions[0];
  return {
    target: target.label,
    rubric,
    killShot: killShot(weakest),
    flipCondition: first ? `I would back the other side if ${describeCondition(first)}.` : 'None given.',
    improvements: [
      ...(f.integrity < 1 ? ['Quote indicator values exactly as of the decision time.'] : []),
      ...(f.stopSigmas.length === 0 ? [`Add a closing-price stop on ${p.instrument}.`] : []),
      ...(!horizonFits ? ['Match the horizon to the signal: RSI for days, moving averages for weeks.'] : []),
      ...(f.shared > 0 ? ['Say what this pitch sees that the similar ones miss.'] : []),
      ...(clash ? [`Answer the ${lens?.name} case for the other side before sizing up.`] : []),
      ...(horizonFits && f.stopSigmas.length ? ['Name the dated event that should move the price inside the horizon.'] : []),
    ].slice(0, 3),
  };
}
