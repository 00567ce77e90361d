/** Articles for the fake Alpaca's news endpoint around the week of 2024-03-04 (decision time Monday 08:00 New York = 13:00Z). */
import type { FakeNews } from './alpaca.ts';

const article = (id: number, at: string, symbols: string[], headline: string, summary = ''): FakeNews => ({
  id,
  headline,
  author: 'Benzinga Newsdesk',
  created_at: at,
  updated_at: at,
  summary,
  content: '<p>full text, never sent to a model</p>',
  url: `https://www.benzinga.com/news/${id}`,
  images: [],
  symbols,
  source: 'benzinga',
});

/** The headline published after the decision time: it must never reach a prompt. */
export const AFTER_DECISION = 'Stocks slide at the open as yields jump (published after the decision)';

export const WEEK_NEWS: FakeNews[] = [
  article(101, '2024-03-01T15:05:00Z', ['SPY', 'QQQ'], 'S&P 500 closes at a record as chip stocks rally', 'Semiconductors led a broad advance into the weekend.'),
  article(
    102,
    '2024-03-02T12:00:00Z',
    ['TLT'],
    'Treasury yields ease ahead of payrolls and Powell testimony',
    `Traders look to the February jobs report on Friday. ${'More detail. '.repeat(60)}`,
  ),
  // A wire copy of 102 under another id: one of the two reaches the models.
  article(103, '2024-03-02T12:01:00Z', ['TLT', 'IEF'], 'Treasury yields ease ahead of payrolls and Powell testimony', 'Copy.'),
  article(104, '2024-03-04T12:59:00Z', ['GLD'], 'Gold hits a three-month high in Asian trade'),
  article(105, '2024-03-04T14:35:00Z', ['SPY'], AFTER_DECISION),
  article(106, '2024-03-01T16:00:00Z', ['TSLA'], 'Tesla recalls vehicles (outside the universe)'),
  article(107, '2024-02-20T14:00:00Z', ['SPY'], 'Older than the seven days'),
  // For Monday's checkpoints: after the decision, before the 12:00 checkpoint, and after it.
  article(108, '2024-03-04T15:00:00Z', ['SPY', 'QQQ', 'IWM', 'TLT', 'HYG', 'UUP', 'GLD', 'USO'], 'Midday movers across the ETF complex'),
  article(109, '2024-03-04T18:00:00Z', ['SPY', 'QQQ', 'IWM', 'TLT', 'HYG', 'UUP', 'GLD', 'USO'], 'Afternoon news after the noon checkpoint'),
];
