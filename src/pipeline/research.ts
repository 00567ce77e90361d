/**
 * What the research stage gives the models besides prices (the week's news as numbered, dated sources,
 * and the release calendar), and the check of what they cite: a citation of an unknown id, or of a
 * source published after the decision time, is dropped and recorded, never shown as evidence.
 */
import type { DroppedCitation, Pitch, ResearchPack, Source } from '../domain/schemas.ts';
import { MARKET_NEWS_CAP, MARKET_TERMS, NEWS_CAP, NEWS_DAYS, type NewsItem, type NewsSource, prepareNews } from '../market/news.ts';

export interface NewsBrief {
  status: 'ok' | 'none' | 'failed';
  /** Newest first, numbered S1, S2, ... */
  items: (NewsItem & { ref: string })[];
  /** One plain sentence for the models and the pack. */
  note: string;
}

export const NO_NEWS_SOURCE = 'No news source is configured (news needs Alpaca keys): the research saw prices and the release calendar only.';

const DAY_MS = 86_400_000;

export async function gatherNews(news: NewsSource | undefined, symbols: readonly string[], asOf: Date): Promise<NewsBrief> {
  if (!news) return { status: 'none', items: [], note: NO_NEWS_SOURCE };
  const start = new Date(asOf.getTime() - NEWS_DAYS * DAY_MS);
  try {
    // The universe's own news, and beside it the market's stories on broad terms (the Fed, inflation,
    // jobs, rates, oil): at most MARKET_NEWS_CAP of them, so they never crowd the universe out.
    const [own, market] = await Promise.all([
      news.news({ symbols, start, end: asOf, limit: NEWS_CAP * 2 }),
      news.news({ symbols: [], terms: MARKET_TERMS, start, end: asOf, limit: MARKET_NEWS_CAP * 2 }),
    ]);
    const ownKept = prepareNews(own, asOf);
    // A market story tagged with one of the universe's symbols is the universe's own (kept above, or not).
    const marketKept = prepareNews(
      market.filter((i) => !i.symbols.some((s) => symbols.includes(s))),
      asOf,
      MARKET_NEWS_CAP,
    );
    const items = prepareNews([...ownKept.slice(0, NEWS_CAP - marketKept.length), ...marketKept], asOf).map((item, i) => ({ ...item, ref: `S${i + 1}` }));
    const wide = items.filter((i) => !i.symbols.some((s) => symbols.includes(s))).length;
    return {
      status: 'ok',
      items,
      note: `${items.length} news item${items.length === 1 ? '' : 's'} from ${news.source} for ${symbols.join(' ')}${wide ? ` (${wide} of them market-wide, on the Fed, inflation, jobs, rates, oil or trade)` : ''}, published ${start.toISOString()} to the decision time ${asOf.toISOString()}.`,
    };
  } catch (error) {
    return { status: 'failed', items: [], note: `The news source (${news.source}) failed, so the research saw no news: ${(error as Error).message}`.slice(0, 300) };
  }
}

export const newsSources = (brief: NewsBrief): Source[] => brief.items.map((i) => ({ id: i.ref, title: i.headline, source: i.source, publishedAt: i.publishedAt, url: i.url }));

/** The news as the research prompt lists it: one dated, numbered line per item. */
export function newsBlock(brief: NewsBrief): string {
  if (brief.items.length === 0) return `news: none. ${brief.note}`;
  return [
    `news (${brief.note}) cite by id:`,
    ...brief.items.map((i) => `[${i.ref}] ${i.publishedAt} ${i.source} (${i.symbols.join(' ') || '-'}): ${i.headline}${i.summary ? ` | ${i.summary}` : ''}`),
  ].join('\n');
}

/** A model's url is kept only as a web address (http or https): anything else (`javascript:`, a file path) is no link. */
const webAddress = (url: string | null): string | null => (url !== null && /^https?:\/\/[^\s]+$/i.test(url.trim()) ? url.trim() : null);

const published = (s: Source): number => {
  const t = Date.parse(s.publishedAt);
  return /\d{4}-\d\d-\d\dT\d\d:\d\d/.test(s.publishedAt) && Number.isFinite(t) ? t : Number.NaN;
};

/**
 * One researcher's pack, checked: its own sources (an online model's) are kept only when dated at or before
 * `asOf`, renumbered by `ownId` so two researchers never share an id, their url kept only when it is a web
 * address; every citation must name a given or kept source. A pack without sources and cites (research.v1) comes back unchanged.
 */
export function checkCitations(pack: ResearchPack, given: readonly Source[], asOf: Date, ownId: () => string): { pack: ResearchPack; dropped: DroppedCitation[] } {
  const dropped: DroppedCitation[] = [];
  const verdict = new Map<string, string | DroppedCitation['reason']>();
  for (const s of given) verdict.set(s.id, published(s) <= asOf.getTime() ? s.id : 'published after the decision time');
  const own: Source[] = [];
  for (const s of pack.sources ?? []) {
    if (given.some((g) => g.id === s.id && g.title === s.title)) continue; // an echo of a given source
    const t = published(s);
    const reason: DroppedCitation['reason'] | undefined = Number.isNaN(t) ? 'no valid publication time' : t > asOf.getTime() ? 'published after the decision time' : undefined;
    // An own source under a given id (the S ids are the news given): kept under its own id, while a citation of that id still means the given source.
    const givenId = given.some((g) => g.id === s.id);
    if (reason) {
      if (!givenId) verdict.set(s.id, reason);
      dropped.push({ at: 'sources', id: s.id, reason });
      continue;
    }
    const id = ownId();
    if (!givenId) verdict.set(s.id, id);
    own.push({ ...s, id, publishedAt: new Date(t).toISOString(), url: webAddress(s.url) });
  }
  const check = <T extends { cites?: string[] | undefined }>(items: T[], field: string): T[] =>
    items.map((item, i) => {
      if (item.cites === undefined) return item;
      const kept: string[] = [];
      for (const id of item.cites) {
        const v = verdict.get(id);
        if (v === undefined) dropped.push({ at: `${field}[${i}]`, id, reason: 'unknown id' });
        else if (v === 'published after the decision time' || v === 'no valid publication time' || v === 'unknown id') dropped.push({ at: `${field}[${i}]`, id, reason: v });
        else if (!kept.includes(v)) kept.push(v);
      }
      return { ...item, cites: kept };
    });
  const checked: ResearchPack = {
    ...pack,
    narratives: check(pack.narratives, 'narratives'),
    consensus: check(pack.consensus, 'consensus'),
    calendar: check(pack.calendar, 'calendar'),
  };
  if (pack.sources !== undefined) checked.sources = own;
  return { pack: checked, dropped };
}

const CITATION = /\s*\[((?:[SW]\d{1,3})(?:\s*,\s*[SW]\d{1,3})*)\]/g;

/**
 * A pitch may cite the pack's sources in its thesis ("... record close [S3]"). A cited id the pack does not
 * hold, or one published after the decision time, is taken out of the text and recorded.
 */
export function checkPitchCitations(pitch: Pitch, sources: readonly Source[], asOf: Date): { pitch: Pitch; dropped: DroppedCitation[] } {
  const dropped: DroppedCitation[] = [];
  const thesis = pitch.thesis.map((line, i) => {
    const text = line.replace(CITATION, (_match, list: string) => {
      const kept = list
        .split(',')
        .map((id) => id.trim())
        .filter((id) => {
          const source = sources.find((s) => s.id === id);
          const reason: DroppedCitation['reason'] | undefined = !source ? 'unknown id' : !(published(source) <= asOf.getTime()) ? 'published after the decision time' : undefined;
          if (reason) dropped.push({ at: `thesis[${i}]`, id, reason });
          return reason === undefined;
        });
      return kept.length ? ` [${kept.join(', ')}]` : '';
    });
    return text.trim() || '(its only citation was dropped)';
  });
  return dropped.length ? { pitch: { ...pitch, thesis }, dropped } : { pitch, dropped };
}
