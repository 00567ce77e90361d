/** The research notice in every channel shows the sources it cites, each with its publication time in New York. */
import { describe, expect, it } from 'vitest';
import { renderNotice as renderConsole } from '../../src/bot/console/render.ts';
import { renderNotice as renderDiscord } from '../../src/bot/discord/render.ts';
import { renderNotice as renderSlack } from '../../src/bot/slack/render.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { initialWeekState, type WeekState } from '../../src/pipeline/week.ts';
import { runJson } from '../../src/views.ts';
import { html } from '../../src/web/pages/html.ts';
import { weekBody } from '../../src/web/pages/week.ts';

const notice: Extract<Notice, { type: 'research_ready' }> = {
  type: 'research_ready',
  week: '2024-03-04',
  runId: 'r1',
  lastSession: '2024-03-01',
  sources: [{ model: 'builtin:research', kind: 'systematic', ok: true, error: null }],
  droppedCitations: 2,
  pack: {
    regime: { riskAppetite: 'risk-on', rates: 'stable', usd: 'stable', inflation: 'stable', growth: 'stable', volatility: 'normal', summary: 'Calm.' },
    narratives: [{ title: 'Gold breaks out', detail: 'A three-month high.', cites: ['S1'] }],
    consensus: [],
    candidates: [],
    calendar: [{ date: '2024-03-08', event: 'US employment report (nonfarm payrolls) (08:30 ET)', cites: [] }],
    confidence: [],
    sources: [
      { id: 'S1', title: 'Gold hits a three-month high in Asian trade', source: 'benzinga', publishedAt: '2024-03-04T12:59:00.000Z', url: 'https://www.benzinga.com/news/104' },
    ],
    provenance: { news: '1 news item from alpaca:news.', calendar: 'Real release dates (market-data/calendar).' },
  },
};

describe('the research notice', () => {
  it('When it is rendered in the console, Slack and Discord, Then each shows the source with its New York time, the citation and the provenance', () => {
    const text = renderConsole(notice);
    expect(text).toContain('1. Gold breaks out: A three-month high. [S1]');
    expect(text).toContain('S1  Mon 2024-03-04 07:59 ET  benzinga: Gold hits a three-month high in Asian trade  https://www.benzinga.com/news/104');
    expect(text).toContain('News: 1 news item from alpaca:news.');
    expect(text).toContain('2 citations dropped');

    const slack = JSON.stringify(renderSlack(notice).blocks);
    expect(slack).toContain('<https://www.benzinga.com/news/104|S1>  Mon 2024-03-04 07:59 ET  benzinga: Gold hits a three-month high in Asian trade');
    expect(slack).toContain('2 citations dropped');

    const discord = JSON.stringify(renderDiscord(notice).thread);
    expect(discord).toContain('[S1](https://www.benzinga.com/news/104) Mon 2024-03-04 07:59 ET  benzinga: Gold hits a three-month high in Asian trade');
    expect(discord).toContain('Real release dates (market-data/calendar).');
  });
});

describe('a research notice with a full week of news', () => {
  const headline = (i: number) => `Headline number ${i} about the ETF complex, long enough to read as a real wire headline does`;
  const sources = Array.from({ length: 40 }, (_, i) => ({
    id: `S${i + 1}`,
    title: headline(i + 1),
    source: 'benzinga',
    publishedAt: new Date(Date.parse('2024-03-04T12:59:00.000Z') - i * 3_600_000).toISOString(),
    url: `https://www.benzinga.com/news/24/03/${37_500_000 + i}/headline-number-${i + 1}-about-the-etf-complex-long-enough`,
  }));
  const full: typeof notice = {
    ...notice,
    pack: {
      ...notice.pack,
      narratives: [{ title: 'An old story still moves gold', detail: 'From last week.', cites: ['S38'] }],
      consensus: [{ view: 'Rates on hold', stance: 'consensus', evidence: 'Fed speakers', cites: ['W1'] }],
      sources: [...sources, { id: 'W1', title: 'Fed speakers sound patient', source: 'Reuters', publishedAt: '2024-02-29T23:00:00.000Z', url: null }],
    },
  };

  it('When Discord can show only some of the sources, Then the cited ones come first and the rest are counted', () => {
    const discord = JSON.stringify(renderDiscord(full).thread);
    expect(discord).toContain(`[S38](${sources[37]!.url}) Sat 2024-03-02 18:59 ET  benzinga: ${headline(38)}`);
    expect(discord).toContain('W1  Thu 2024-02-29 18:00 ET  Reuters: Fed speakers sound patient');
    expect(discord).toMatch(/… and \d+ more/);
  });

  it('When Slack lists the sources, Then the cited ones come first, then the rest newest first', () => {
    const slack = JSON.stringify(renderSlack(full).blocks);
    const at = (id: string) => (slack.indexOf(`|${id}>`) === -1 ? slack.indexOf(`• ${id}  `) : slack.indexOf(`|${id}>`));
    expect(at('S38')).toBeGreaterThan(-1);
    expect(at('S38')).toBeLessThan(at('W1'));
    expect(at('W1')).toBeLessThan(at('S1'));
    expect(at('S1')).toBeLessThan(at('S2'));
  });
});

describe('the week page of the dashboard', () => {
  const state: WeekState = {
    ...initialWeekState(),
    research: {
      pack: {
        ...notice.pack,
        sources: [
          ...notice.pack.sources!,
          { id: 'W1', title: 'A page an online model found', source: 'example', publishedAt: '2024-03-01T21:00:00.000Z', url: 'javascript:alert(1)' },
        ],
        provenance: {
          news: '1 news item from alpaca:news for GLD, published 2024-02-26T13:00:00.000Z to the decision time 2024-03-04T13:00:00.000Z.',
          calendar:
            'The calendar data ends before 2028-01-09 for US CPI (last 2026-12-10): the employment report is placed by the BLS rule (the third Friday after the survey week); the others are not listed.',
        },
      },
      snapshot: { asOf: '2024-03-04T13:00:00.000Z', lastSession: '2024-03-01', vix: null, symbols: {} },
      sources: notice.sources,
      usage: { calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 },
      droppedCitations: [
        { at: 'narratives[0]', id: 'S99', reason: 'unknown id', model: 'google/gemini-3-pro-preview' },
        { at: 'sources', id: 'W9', reason: 'published after the decision time', model: 'perplexity/sonar-pro' },
      ],
    },
  };
  const page = weekBody(runJson(state), [], [], html``).text;

  it('When a member opens the week, Then the sources show with their New York times, the items their citations, and a model url that is not a web address is no link', () => {
    expect(page).toContain(
      'S1 Mon 2024-03-04 07:59 ET benzinga: <a href="https://www.benzinga.com/news/104" rel="noreferrer noopener">Gold hits a three-month high in Asian trade</a>',
    );
    expect(page).toContain('W1 Fri 2024-03-01 16:00 ET example: A page an online model found</li>');
    expect(page).not.toContain('javascript:');
    expect(page).toContain('<section class="card" aria-labelledby="research-h" id="research">');
    expect(page).toContain('<strong>Gold breaks out</strong>: A three-month high. [S1]');
  });

  it('When a member opens the week, Then the regime reads as the thread says it, its summary on a line of its own', () => {
    expect(page).toContain(
      '<p>Data through the close of 2024-03-01. Regime: risk-on, rates stable, USD stable, inflation stable, growth stable, volatility normal.</p>\n<p>Calm.</p>',
    );
  });

  it('When a member opens the week, Then where the news and the calendar came from is said (a calendar past its data says so), and every dropped citation with its reason', () => {
    expect(page).toContain('News: 1 news item from alpaca:news for GLD, published Mon 2024-02-26 08:00 ET to the decision time Mon 2024-03-04 08:00 ET.');
    expect(page).toContain(
      'Calendar: The calendar data ends before 2028-01-09 for US CPI (last 2026-12-10): the employment report is placed by the BLS rule (the third Friday after the survey week)',
    );
    expect(page).toContain('2 citations dropped');
    expect(page).toContain('google/gemini-3-pro-preview, narratives[0]: S99 (unknown id)');
    expect(page).toContain('perplexity/sonar-pro, sources: W9 (published after the decision time)');
  });
});

describe('the checkpoint reply', () => {
  const report: Extract<Notice, { type: 'checkpoint_report' }> = {
    type: 'checkpoint_report',
    week: '2024-03-04',
    at: '2024-03-04T17:00:00.000Z',
    halted: false,
    positions: [],
    news: {
      since: '2024-03-04T13:00:00.000Z',
      items: [
        {
          headline: 'Midday movers across the ETF complex',
          source: 'benzinga',
          publishedAt: '2024-03-04T15:00:00.000Z',
          url: 'https://www.benzinga.com/news/108',
          symbols: ['GLD', 'SPY'],
        },
      ],
      error: null,
    },
  };

  it('When it carries the held symbols’ news, Then the console, Slack and Discord each show it since the previous checkpoint, in New York time', () => {
    const line = '• Mon 2024-03-04 10:00 ET  benzinga (GLD SPY): Midday movers across the ETF complex';
    expect(renderConsole(report)).toContain(`News since Mon 2024-03-04 08:00 ET for the held symbols:\n${line}`);
    expect(JSON.stringify(renderSlack(report).blocks)).toContain('News since Mon 2024-03-04 08:00 ET for the held symbols:');
    expect(JSON.stringify(renderSlack(report).blocks)).toContain(line);
    const discord = JSON.stringify(renderDiscord(report));
    expect(discord).toContain('News since Mon 2024-03-04 08:00 ET for the held symbols:');
    expect(discord).toContain(line);
  });

  it('When the news source failed or had nothing, Then the reply says so rather than nothing', () => {
    expect(renderConsole({ ...report, news: { ...report.news!, items: [], error: 'GET /v1beta1/news answered 500' } })).toContain(
      'News since Mon 2024-03-04 08:00 ET for the held symbols: the news source failed (GET /v1beta1/news answered 500).',
    );
    expect(renderConsole({ ...report, news: { ...report.news!, items: [] } })).toContain('News since Mon 2024-03-04 08:00 ET for the held symbols: none.');
  });
});
