/**
 * The pitch stage, one seat at a time: the seat's answer, checked (universe and rules, citations
 * against the pack, an exit rule already true at decision time), becomes its PitchRecorded, valid or
 * abstained with the reason. A seat's failure is an abstention, never an error of the run.
 */
import type { ResearchPack } from '../../domain/schemas.ts';
import { invalidationHolding, pitchProblems } from '../../domain/validate.ts';
import { checkPitchCitations } from '../research.ts';
import type { PmSeat, StageInput } from '../seats.ts';
import type { PitchRecorded, WeekEvent, WeekResearch } from '../week.ts';

export type PitchInput = StageInput & { research: ResearchPack };

export async function pitch(seat: PmSeat, input: PitchInput, runId: string, research: WeekResearch): Promise<WeekEvent> {
  const { asOf, universe } = input;
  const result = await seat.pitch(input);
  const who = { runId, seat: seat.id, model: result.model, kind: seat.kind };
  let recorded: PitchRecorded;
  if (result.ok) {
    const problems = pitchProblems(result.value, universe);
    // A pack with sources (research.v2) lets pitches cite them; an id it does not hold is taken out and recorded.
    const cited = research.pack.sources ? checkPitchCitations(result.value, research.pack.sources, asOf) : { pitch: result.value, dropped: [] };
    // Its own exit rule already true at decision time: the position would open and close at once.
    const holding = problems.length
      ? []
      : invalidationHolding(result.value.invalidation.conditions, (c) =>
          c.indicator === 'vix' ? research.snapshot.vix : (research.snapshot.symbols[c.symbol]?.[c.indicator] ?? null),
        );
    recorded = problems.length
      ? { ...who, status: 'abstained', pitch: null, error: `invalid pitch: ${problems.join('; ')}`, usage: result.usage }
      : holding.length
        ? { ...who, status: 'abstained', pitch: null, error: `invalidation already holds at decision time: ${holding.join('; ')}`, usage: result.usage }
        : { ...who, status: 'ok', pitch: cited.pitch, error: null, usage: result.usage, ...(cited.dropped.length ? { droppedCitations: cited.dropped } : {}) };
  } else recorded = { ...who, status: 'abstained', pitch: null, error: result.error, usage: result.usage };
  return { type: 'PitchRecorded', data: recorded };
}
