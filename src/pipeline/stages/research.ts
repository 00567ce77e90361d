/**
 * The research stage: the market snapshot, the week's news and release calendar, every researcher's
 * pack (the fallback's when all fail), citations checked, merged into one pack. Returns the week's
 * ResearchCompleted; throws only when no pack at all could be made.
 */
import type { MarketData } from '../../market/port.ts';
import type { NewsSource } from '../../market/news.ts';
import { bundledReleaseCalendar, type ReleaseCalendar, weekCalendar } from '../../market/releases.ts';
import { buildSnapshot } from '../../market/snapshot.ts';
import { nyDate } from '../../market/time.ts';
import { checkCitations, gatherNews, type NewsBrief, newsSources } from '../research.ts';
import { addUsage, NO_USAGE } from '../seat-result.ts';
import type { Council, StageInput } from '../seats.ts';
import type { ResearchCompleted, WeekEvent } from '../week.ts';

export interface ResearchDeps {
  market: MarketData;
  /** The week's news (absent: the pack says no news source is configured). */
  news?: NewsSource;
  /** A replay's news: what the recorded run read, given again instead of asking the source. */
  recordedNews?: NewsBrief;
  /** The release calendar; default the bundled one. */
  releases?: ReleaseCalendar;
  council: Pick<Council, 'researchers' | 'fallbackResearch' | 'mergeResearch'>;
}

/** Who the research is for: the run, its week and decision time, the universe and the desk's question. */
export interface ResearchRequest {
  runId: string;
  week: string;
  asOf: Date;
  universe: readonly string[];
  query: string | undefined;
  questionFormat: 'fenced' | undefined;
}

export async function research(deps: ResearchDeps, request: ResearchRequest): Promise<WeekEvent> {
  const { council } = deps;
  const { asOf, universe } = request;
  const snapshot = await buildSnapshot(deps.market, universe, asOf);
  const news = deps.recordedNews ?? (await gatherNews(deps.news, universe, asOf));
  const calendar = weekCalendar(deps.releases ?? bundledReleaseCalendar(), nyDate(asOf));
  const input: StageInput = {
    week: request.week,
    asOf,
    universe,
    snapshot,
    query: request.query,
    questionFormat: request.questionFormat,
    news,
    events: calendar,
  };
  const results = await Promise.all(council.researchers.map((r) => r.research(input)));
  // Every researcher failing must not fail the run: the fallback (builtin, from the snapshot) stands in, the failures stay recorded.
  if (!results.some((r) => r.ok) && council.fallbackResearch) results.push(await council.fallbackResearch.research(input));
  // Each pack's citations are checked against the given news and its own dated sources before the merge.
  const given = newsSources(news);
  const droppedCitations: NonNullable<ResearchCompleted['droppedCitations']> = [];
  let own = 0;
  const packs = results.flatMap((r) => {
    if (!r.ok) return [];
    const checked = checkCitations(r.value, given, asOf, () => `W${++own}`);
    droppedCitations.push(...checked.dropped.map((d) => ({ ...d, model: r.model })));
    return [checked.pack];
  });
  if (packs.length === 0) throw new Error(`research failed: ${results.map((r) => (r.ok ? '' : `${r.model}: ${r.error}`)).join('; ')}`);
  const researchSeats = council.fallbackResearch ? [...council.researchers, council.fallbackResearch] : council.researchers;
  const merged = council.mergeResearch(packs);
  // A pack from research.v1 prompts carries no sources: it stays as it was, so an old run replays from its own prompts.
  // Otherwise the calendar is the release data's week, plus only those model events that cite a source.
  const pack =
    merged.sources === undefined
      ? merged
      : {
          ...merged,
          calendar: [
            ...calendar.events.map((e) => ({ ...e, cites: [] })),
            ...merged.calendar.filter((e) => e.cites?.length && !calendar.events.some((d) => d.date === e.date && d.event === e.event)),
          ]
            .sort((a, b) => a.date.localeCompare(b.date))
            .slice(0, 12),
          sources: [...given, ...merged.sources.filter((s) => !given.some((g) => g.id === s.id))],
          provenance: { news: news.note, calendar: calendar.note },
        };
  const completed: ResearchCompleted = {
    runId: request.runId,
    pack,
    snapshot,
    sources: results.map((r) => ({ model: r.model, kind: researchSeats.find((x) => x.model === r.model)?.kind ?? 'llm', ok: r.ok, error: r.ok ? null : r.error })),
    usage: results.reduce((u, r) => addUsage(u, r.usage), NO_USAGE),
    news,
    calendar,
    droppedCitations,
  };
  return { type: 'ResearchCompleted', data: completed };
}
