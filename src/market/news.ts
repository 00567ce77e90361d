/**
 * The news port: dated articles about symbols, point in time (nothing published after `end`). The
 * research stage reads it through `prepareNews`, which de-duplicates, trims and caps what the models see.
 */

export interface NewsItem {
  /** The provider's id. */
  id: string;
  headline: string;
  summary: string;
  /** The publisher ("Benzinga"). */
  source: string;
  url: string | null;
  /** First publication, ISO 8601 UTC. */
  publishedAt: string;
  symbols: string[];
}

export interface NewsRequest {
  /** The symbols asked about; none asks for the whole market's news, which `terms` then narrows. */
  symbols: readonly string[];
  /** Kept only when a headline or summary names one of these (whole words, any case); all when absent. */
  terms?: readonly string[];
  start: Date;
  /** The decision time: an article published after it is never returned. */
  end: Date;
  /** At most this many articles, newest first. */
  limit: number;
}

export interface NewsSource {
  readonly source: string;
  news(request: NewsRequest): Promise<NewsItem[]>;
}

export const NEWS_DAYS = 7;
export const NEWS_CAP = 40;
/** Of the cap, at most this many are market-wide stories (MARKET_TERMS) rather than the universe's own. */
export const MARKET_NEWS_CAP = 10;

/**
 * Broad market terms: the market-wide stories (the Fed, inflation, jobs, growth, rates, the dollar, oil,
 * trade) that move the whole universe, asked for beside the universe's own symbols. Alpaca's news has no
 * text search, so the market's newest articles are asked for and these terms keep the relevant ones.
 */
export const MARKET_TERMS: readonly string[] = [
  'Federal Reserve',
  'Fed',
  'FOMC',
  'Powell',
  'rate cut',
  'rate cuts',
  'rate hike',
  'interest rates',
  'inflation',
  'CPI',
  'PCE',
  'payrolls',
  'jobs report',
  'unemployment',
  'jobless claims',
  'GDP',
  'recession',
  'Treasury',
  'Treasuries',
  'bond yields',
  'yields',
  'dollar',
  'oil prices',
  'crude',
  'OPEC',
  'tariff',
  'tariffs',
  'S&P 500',
  'Nasdaq',
  'Wall Street',
  'stock market',
];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether a headline or summary names one of `terms` as whole words, any case (the pattern built once). */
export function termMatcher(terms: readonly string[]): (item: Pick<NewsItem, 'headline' | 'summary'>) => boolean {
  const pattern = new RegExp(`(?<![A-Za-z0-9])(?:${terms.map(escapeRegExp).join('|')})(?![A-Za-z0-9])`, 'i');
  return (item) => pattern.test(item.headline) || pattern.test(item.summary);
}
const HEADLINE_MAX = 160;
const SUMMARY_MAX = 280;

const trim = (text: string, max: number) => {
  const flat = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
};

const headlineKey = (headline: string) =>
  headline
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

/**
 * Newest first, nothing after `end`, one item per provider id and per headline (wire copies of one story),
 * headline and summary trimmed, at most `cap`.
 */
export function prepareNews(items: readonly NewsItem[], end: Date, cap = NEWS_CAP): NewsItem[] {
  const seenIds = new Set<string>();
  const seenHeadlines = new Set<string>();
  const out: NewsItem[] = [];
  const sorted = items
    .filter((i) => Number.isFinite(Date.parse(i.publishedAt)) && Date.parse(i.publishedAt) <= end.getTime())
    .sort((a, b) => Date.parse(b.publishedAt) - Date.parse(a.publishedAt) || a.id.localeCompare(b.id));
  for (const item of sorted) {
    const key = headlineKey(item.headline);
    if (seenIds.has(item.id) || seenHeadlines.has(key) || key === '') continue;
    seenIds.add(item.id);
    seenHeadlines.add(key);
    out.push({ ...item, headline: trim(item.headline, HEADLINE_MAX), summary: trim(item.summary, SUMMARY_MAX), symbols: [...item.symbols].sort() });
    if (out.length >= cap) break;
  }
  return out;
}

/**
 * At most `cap` of `items` (newest first, as prepareNews leaves them), shared among `symbols`: every
 * symbol's newest item comes before any symbol's second, so one busy symbol never crowds the others
 * out. The ones kept stay newest first.
 */
export function shareBySymbol(items: readonly NewsItem[], symbols: readonly string[], cap: number): NewsItem[] {
  const picked = new Set<NewsItem>();
  const queues = symbols.map((symbol) => items.filter((i) => i.symbols.includes(symbol)));
  for (let progress = true; progress && picked.size < cap; ) {
    progress = false;
    for (const queue of queues) {
      const next = queue.find((i) => !picked.has(i));
      if (!next || picked.size >= cap) continue;
      picked.add(next);
      progress = true;
    }
  }
  return items.filter((i) => picked.has(i));
}
