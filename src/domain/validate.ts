/**
 * Domain rules a schema cannot express, checked after every model output. A violation makes the
 * answer malformed: the seat is asked once more, then abstains. Nothing is traded on a guess.
 */
import type { Condition, Decision, Pitch } from './schemas.ts';

function conditionProblems(where: string, c: Condition, universe: readonly string[]): string[] {
  const problems: string[] = [];
  if (c.indicator !== 'vix' && !universe.includes(c.symbol)) problems.push(`${where}.symbol: ${c.symbol} is not in the universe`);
  if (!Number.isFinite(c.threshold)) problems.push(`${where}.threshold: not a finite number`);
  return problems;
}

function viewProblems(v: { instrument: string; direction: string; conviction: number }, universe: readonly string[]): string[] {
  const problems: string[] = [];
  if (!universe.includes(v.instrument)) problems.push(`instrument: ${v.instrument} is not in the universe (${universe.join(' ')})`);
  if (v.direction === 'LONG' && !(v.conviction > 0)) problems.push(`conviction: LONG needs a conviction above 0, got ${v.conviction}`);
  if (v.direction === 'SHORT' && !(v.conviction < 0)) problems.push(`conviction: SHORT needs a conviction below 0, got ${v.conviction}`);
  if (v.direction === 'FLAT' && v.conviction !== 0) problems.push(`conviction: FLAT needs conviction 0, got ${v.conviction}`);
  return problems;
}

export function pitchProblems(p: Pitch, universe: readonly string[]): string[] {
  return [
    ...viewProblems(p, universe),
    ...p.indicators.flatMap((u, i) => conditionProblems(`indicators.${i}`, u, universe)),
    ...p.invalidation.conditions.flatMap((c, i) => conditionProblems(`invalidation.conditions.${i}`, c, universe)),
  ];
}

export function decisionProblems(d: Decision, universe: readonly string[]): string[] {
  return [
    ...viewProblems(d, universe),
    ...d.monitoring.indicators.flatMap((c, i) => conditionProblems(`monitoring.indicators.${i}`, c, universe)),
    ...d.invalidation.conditions.flatMap((c, i) => conditionProblems(`invalidation.conditions.${i}`, c, universe)),
  ];
}

/**
 * The invalidation conditions that already hold on the decision's data (the last close): a pitch whose
 * exit rule is true the moment it is made would be opened and closed at once, paying only costs.
 * `valueAt` gives an indicator's value at decision time (null when unknown: not counted as holding).
 */
export function invalidationHolding(conditions: readonly Condition[], valueAt: (c: Condition) => number | null): string[] {
  const holds = (v: number, c: Condition) =>
    c.comparator === '>' ? v > c.threshold : c.comparator === '>=' ? v >= c.threshold : c.comparator === '<' ? v < c.threshold : v <= c.threshold;
  return conditions.flatMap((c) => {
    const v = valueAt(c);
    return v !== null && holds(v, c) ? [`${c.symbol} ${c.indicator} ${c.comparator} ${c.threshold} already holds (now ${Math.round(v * 10_000) / 10_000})`] : [];
  });
}
