/** Alpaca's news through the real SDK against the fake: point in time, paged, then de-duplicated and trimmed for the models. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlpacaClient } from '../../src/vendors/alpaca.ts';
import { createAlpacaNews } from '../../src/market/alpaca-news.ts';
import { type NewsItem, prepareNews, shareBySymbol } from '../../src/market/news.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { gatherNews, NO_NEWS_SOURCE } from '../../src/pipeline/research.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';
import { AFTER_DECISION, WEEK_NEWS } from '../fakes/news.ts';

let fake: FakeAlpaca;
const client = () => createAlpacaClient({ keyId: 'PKNEWS', secret: 'news-secret' }, { paper: true, dataUrl: fake.url, apiUrl: fake.url }, { retry: false, rateLimit: false });
const asOf = nyDateTime('2024-03-04', '08:00');
const UNIVERSE = ['SPY', 'QQQ', 'IWM', 'TLT', 'HYG', 'UUP', 'GLD', 'USO'];

beforeAll(async () => {
  fake = await startFakeAlpaca();
  fake.addAccount('PKNEWS', 'news-secret');
  fake.news = WEEK_NEWS;
});
afterAll(async () => fake?.close());

describe('News from Alpaca', () => {
  it('When the week before Monday 08:00 is asked for, Then the SDK asks with end at the decision time and nothing later comes back', async () => {
    const items = await createAlpacaNews(client()).news({ symbols: UNIVERSE, start: new Date(asOf.getTime() - 7 * 86_400_000), end: asOf, limit: 80 });
    const asked = fake.log.filter((r) => r.path === '/v1beta1/news' && r.phase === 'received').at(-1)!;
    expect(asked.query).toMatchObject({ symbols: UNIVERSE.join(','), end: '2024-03-04T13:00:00.000Z', start: '2024-02-26T13:00:00.000Z', sort: 'desc' });
    expect(asked.keyId).toBe('PKNEWS');
    expect(items.map((i) => i.id)).toEqual(['104', '103', '102', '101']);
    expect(items.every((i) => Date.parse(i.publishedAt) <= asOf.getTime())).toBe(true);
    expect(items.some((i) => i.headline === AFTER_DECISION)).toBe(false);
  });

  it('When the answer spans pages, Then every page is read with its page_token, up to the limit', async () => {
    const many = Array.from({ length: 70 }, (_, i) => ({
      ...WEEK_NEWS[0]!,
      id: 1000 + i,
      headline: `Story ${i}`,
      created_at: new Date(Date.parse('2024-03-01T00:00:00Z') + i * 60_000).toISOString(),
    }));
    fake.news = many;
    try {
      const from = fake.log.length;
      const items = await createAlpacaNews(client()).news({ symbols: UNIVERSE, start: new Date(0), end: asOf, limit: 80 });
      const pages = fake.log.slice(from).filter((r) => r.path === '/v1beta1/news' && r.phase === 'received');
      expect(items).toHaveLength(70);
      expect(pages.map((p) => [p.query.limit, p.query.page_token])).toEqual([
        ['50', undefined],
        ['30', '50'],
      ]);
      expect(await createAlpacaNews(client()).news({ symbols: UNIVERSE, start: new Date(0), end: asOf, limit: 3 })).toHaveLength(3);
    } finally {
      fake.news = WEEK_NEWS;
    }
  });

  it('When news is prepared for the models, Then wire copies go, headlines and summaries are trimmed, newest first, capped, nothing after the end', () => {
    const items: NewsItem[] = WEEK_NEWS.map((n) => ({
      id: String(n.id),
      headline: n.headline,
      summary: n.summary,
      source: n.source,
      url: n.url,
      publishedAt: n.created_at,
      symbols: n.symbols,
    }));
    const ready = prepareNews(items, asOf, 40);
    expect(ready.map((i) => i.id)).toEqual(['104', '103', '106', '101', '107']);
    expect(ready.every((i) => i.summary.length <= 280 && i.headline.length <= 160)).toBe(true);
    expect(prepareNews(items, asOf, 2).map((i) => i.id)).toEqual(['104', '103']);
  });

  it('When no news source is configured, Then the brief says so plainly; when the source fails, Then it says that and carries no items', async () => {
    expect(await gatherNews(undefined, UNIVERSE, asOf)).toEqual({ status: 'none', items: [], note: NO_NEWS_SOURCE });
    fake.script({ method: 'GET', path: '/v1beta1/news', status: 500 });
    const failed = await gatherNews(createAlpacaNews(client()), UNIVERSE, asOf);
    expect(failed.status).toBe('failed');
    expect(failed.items).toEqual([]);
    expect(failed.note).toMatch(/failed/);
  });

  it('When the server serves articles published after end anyway, Then none of them reaches the brief the models read', async () => {
    fake.newsIgnoresEnd = true;
    try {
      const served = await fetch(`${fake.url}/v1beta1/news?symbols=SPY&end=${asOf.toISOString()}&limit=50`, {
        headers: { 'APCA-API-KEY-ID': 'PKNEWS', 'APCA-API-SECRET-KEY': 'news-secret' },
      });
      expect(await served.text()).toContain(AFTER_DECISION);
      const raw = await createAlpacaNews(client()).news({ symbols: UNIVERSE, start: new Date(asOf.getTime() - 7 * 86_400_000), end: asOf, limit: 80 });
      expect(raw.every((i) => Date.parse(i.publishedAt) <= asOf.getTime())).toBe(true);
      const brief = await gatherNews(createAlpacaNews(client()), UNIVERSE, asOf);
      expect(brief.items.map((i) => i.id)).toEqual(['104', '103', '101']);
      expect(JSON.stringify(brief)).not.toContain(AFTER_DECISION);
    } finally {
      fake.newsIgnoresEnd = false;
    }
  });

  it('When news is shared among held symbols, Then each symbol gets its newest item before any gets a second, newest first, capped', () => {
    const item = (id: string, at: string, symbols: string[]): NewsItem => ({ id, headline: id, summary: '', source: 'benzinga', url: null, publishedAt: at, symbols });
    const items = [
      item('a3', '2024-03-04T16:00:00Z', ['SPY']),
      item('a2', '2024-03-04T15:00:00Z', ['SPY']),
      item('both', '2024-03-04T14:30:00Z', ['GLD', 'SPY']),
      item('a1', '2024-03-04T14:00:00Z', ['SPY']),
      item('g1', '2024-03-04T13:30:00Z', ['GLD']),
      item('t1', '2024-03-04T13:10:00Z', ['TLT']),
    ];
    expect(shareBySymbol(items, ['GLD', 'SPY', 'TLT'], 3).map((i) => i.id)).toEqual(['a3', 'both', 't1']);
    expect(shareBySymbol(items, ['GLD', 'SPY', 'TLT'], 5).map((i) => i.id)).toEqual(['a3', 'a2', 'both', 'g1', 't1']);
    expect(shareBySymbol(items, ['SPY'], 10).map((i) => i.id)).toEqual(['a3', 'a2', 'both', 'a1']);
    expect(shareBySymbol(items, [], 10)).toEqual([]);
  });

  it('When the brief is gathered, Then items are numbered S1.. newest first, one per story, within the seven days', async () => {
    const brief = await gatherNews(createAlpacaNews(client()), UNIVERSE, asOf);
    expect(brief.status).toBe('ok');
    expect(brief.items.map((i) => [i.ref, i.id])).toEqual([
      ['S1', '104'],
      ['S2', '103'],
      ['S3', '101'],
    ]);
  });

  it('When the market has its own stories, Then those on broad terms (the Fed, inflation, oil) join the brief, asked without symbols up to the decision time, at most 10, never others', async () => {
    const market = (id: number, at: string, headline: string, symbols: string[] = []) => ({ ...WEEK_NEWS[0]!, id, headline, summary: '', created_at: at, symbols });
    fake.news = [
      ...WEEK_NEWS,
      market(201, '2024-03-03T18:00:00Z', 'Powell to tell Congress the Fed is in no hurry to cut'),
      market(202, '2024-03-03T17:00:00Z', 'Apple unveils a new MacBook Air', ['AAPL']),
      market(203, '2024-03-03T16:00:00Z', 'Feds raid a warehouse'), // "Feds" is not the Fed
      market(204, '2024-03-04T14:00:00Z', 'Oil prices jump after OPEC+ extends cuts (after the decision)'),
      ...Array.from({ length: 14 }, (_, i) => market(300 + i, `2024-03-02T0${i % 10}:${10 + i}:00Z`, `Crude oil prices ${i}: OPEC watch`)),
    ];
    try {
      const from = fake.log.length;
      const brief = await gatherNews(createAlpacaNews(client()), UNIVERSE, asOf);
      const asked = fake.log.slice(from).filter((r) => r.path === '/v1beta1/news' && r.phase === 'received');
      expect(asked.map((r) => r.query.symbols ?? 'the whole market').sort()).toEqual([UNIVERSE.join(','), 'the whole market'].sort());
      expect(asked.every((r) => r.query.end === '2024-03-04T13:00:00.000Z')).toBe(true);
      const headlines = brief.items.map((i) => i.headline);
      expect(headlines.slice(0, 2)).toEqual(['Gold hits a three-month high in Asian trade', 'Powell to tell Congress the Fed is in no hurry to cut']);
      expect(headlines).toEqual(expect.arrayContaining(['Gold hits a three-month high in Asian trade', 'S&P 500 closes at a record as chip stocks rally']));
      expect(headlines.join('\n')).not.toMatch(/MacBook|Feds raid|after the decision/);
      expect(brief.items.filter((i) => i.symbols.length === 0)).toHaveLength(10);
      expect(brief.note).toContain('10 of them market-wide');
    } finally {
      fake.news = WEEK_NEWS;
    }
  });
});
