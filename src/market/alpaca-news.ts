/**
 * Alpaca's news (GET /v1beta1/news, Benzinga's feed) behind the NewsSource port, through the SDK. It is
 * asked with `end` at the decision time, and anything stamped later is dropped again here.
 */
import type { Alpaca } from '@alpacahq/alpaca-trade-api/rest';
import { z } from 'zod';
import { wire } from '../vendors/alpaca.ts';
import { type NewsItem, type NewsSource, termMatcher } from './news.ts';

const WireNews = z.object({
  id: z.union([z.number(), z.string()]),
  headline: z.string(),
  summary: z.string().nullable().optional(),
  source: z.string().nullable().optional(),
  url: z.string().nullable().optional(),
  created_at: z.iso.datetime({ offset: true }),
  symbols: z.array(z.string()).nullable().optional(),
});
const WireNewsPage = z.object({ news: z.array(WireNews).nullable(), next_page_token: z.string().nullable().optional() });

/** Alpaca's largest page. */
const PAGE = 50;
const MAX_PAGES = 4;

export function createAlpacaNews(client: Alpaca): NewsSource {
  return {
    source: 'alpaca:news',
    async news({ symbols, terms, start, end, limit }) {
      const out: NewsItem[] = [];
      // Without symbols Alpaca answers the whole market's news; the terms keep the stories that matter.
      const named = terms?.length ? termMatcher(terms) : undefined;
      const pages = named ? MAX_PAGES * 2 : MAX_PAGES;
      let pageToken: string | undefined;
      for (let page = 0; page < pages && out.length < limit; page++) {
        const answer = await wire(
          'GET /v1beta1/news',
          WireNewsPage,
          client.marketData.news.newsRaw({
            ...(symbols.length ? { symbols: symbols.join(',') } : {}),
            start,
            end,
            sort: 'desc',
            limit: named ? PAGE : Math.min(PAGE, limit - out.length),
            pageToken,
          }),
        );
        for (const n of answer.news ?? []) {
          const publishedAt = new Date(n.created_at);
          if (publishedAt.getTime() > end.getTime()) continue;
          if (named && !named({ headline: n.headline, summary: n.summary ?? '' })) continue;
          if (out.length >= limit) break;
          out.push({
            id: String(n.id),
            headline: n.headline,
            summary: n.summary ?? '',
            source: n.source ?? 'unknown',
            url: n.url ?? null,
            publishedAt: publishedAt.toISOString(),
            symbols: n.symbols ?? [],
          });
        }
        pageToken = answer.next_page_token ?? undefined;
        if (!pageToken) break;
      }
      return out;
    },
  };
}
