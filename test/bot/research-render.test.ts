/** The research notice in every channel shows the sources it cites, each with its publication time in New York. */
import { describe, expect, it } from 'vitest';
import { renderNotice as renderConsole } from '../../src/bot/console/render.ts';
import { renderNotice as renderDiscord } from '../../src/bot/discord/render.ts';
import { renderNotice as renderSlack } from '../../src/bot/slack/render.ts';
import type { Notice } from '../../src/pipeline/notices.ts';

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
