/** The citation checks, alone: what a researcher or a pitch may cite, and what is dropped and recorded. */
import { describe, expect, it } from 'vitest';
import type { Pitch, ResearchPack, Source } from '../../src/domain/schemas.ts';
import { checkCitations, checkPitchCitations } from '../../src/pipeline/research.ts';

const asOf = new Date('2024-03-04T13:00:00Z');
const given: Source[] = [{ id: 'S1', title: 'Gold high', source: 'benzinga', publishedAt: '2024-03-04T12:59:00.000Z', url: null }];
const regime = { riskAppetite: 'neutral', rates: 'stable', usd: 'stable', inflation: 'stable', growth: 'stable', volatility: 'normal', summary: '' } as const;
const pack = (over: Partial<ResearchPack>): ResearchPack => ({ regime, narratives: [], consensus: [], candidates: [], calendar: [], confidence: [], ...over });

describe('citations', () => {
  it('When a research.v1 pack (no sources, no cites) is checked, Then it comes back unchanged', () => {
    const v1 = pack({ narratives: [{ title: 't', detail: 'd' }] });
    expect(checkCitations(v1, given, asOf, () => 'W1')).toEqual({ pack: v1, dropped: [] });
  });

  it('When a pack cites given, own, unknown, undated and late sources, Then only the given and the dated own ones stay, renumbered', () => {
    let n = 4;
    const checked = checkCitations(
      pack({
        narratives: [{ title: 't', detail: 'd', cites: ['S1', 'W1', 'W2', 'W3', 'X9', 'S1'] }],
        calendar: [{ date: '2024-03-08', event: 'payrolls', cites: ['W3'] }],
        sources: [
          { id: 'W1', title: 'a', source: 'r', publishedAt: '2024-03-04T07:00:00-05:00', url: null },
          { id: 'W2', title: 'b', source: 'r', publishedAt: 'last week', url: null },
          { id: 'W3', title: 'c', source: 'r', publishedAt: '2024-03-04T13:00:01Z', url: null },
        ],
      }),
      given,
      asOf,
      () => `W${++n}`,
    );
    expect(checked.pack.narratives[0]!.cites).toEqual(['S1', 'W5']);
    expect(checked.pack.calendar[0]!.cites).toEqual([]);
    expect(checked.pack.sources).toEqual([{ id: 'W5', title: 'a', source: 'r', publishedAt: '2024-03-04T12:00:00.000Z', url: null }]);
    expect(checked.dropped).toEqual([
      { at: 'sources', id: 'W2', reason: 'no valid publication time' },
      { at: 'sources', id: 'W3', reason: 'published after the decision time' },
      { at: 'narratives[0]', id: 'W2', reason: 'no valid publication time' },
      { at: 'narratives[0]', id: 'W3', reason: 'published after the decision time' },
      { at: 'narratives[0]', id: 'X9', reason: 'unknown id' },
      { at: 'calendar[0]', id: 'W3', reason: 'published after the decision time' },
    ]);
  });

  it('When an online model gives its own sources with links, Then a web address stays a link and anything else (javascript:, a path) is kept without one', () => {
    let n = 0;
    const checked = checkCitations(
      pack({
        narratives: [{ title: 't', detail: 'd', cites: ['W1', 'W2', 'W3'] }],
        sources: [
          { id: 'W1', title: 'a', source: 'r', publishedAt: '2024-03-04T07:00:00-05:00', url: 'https://www.reuters.com/markets/a' },
          { id: 'W2', title: 'b', source: 'r', publishedAt: '2024-03-04T07:00:00-05:00', url: 'javascript:alert(document.cookie)' },
          { id: 'W3', title: 'c', source: 'r', publishedAt: '2024-03-04T07:00:00-05:00', url: '/etc/passwd' },
        ],
      }),
      given,
      asOf,
      () => `W${++n}`,
    );
    expect(checked.pack.sources!.map((s) => s.url)).toEqual(['https://www.reuters.com/markets/a', null, null]);
    expect(checked.pack.narratives[0]!.cites).toEqual(['W1', 'W2', 'W3']);
    expect(checked.dropped).toEqual([]);
  });

  it('When an online model lists its own sources under a given news id, Then a citation of that id still means the given news item', () => {
    let n = 0;
    const checked = checkCitations(
      pack({
        narratives: [{ title: 't', detail: 'd', cites: ['S1'] }],
        sources: [
          { id: 'S1', title: 'A page of its own, not the gold story', source: 'r', publishedAt: '2024-03-04T07:00:00-05:00', url: null },
          { id: 'S1', title: 'Another of its own, from after the decision', source: 'r', publishedAt: '2024-03-04T14:00:00Z', url: null },
        ],
      }),
      given,
      asOf,
      () => `W${++n}`,
    );
    expect(checked.pack.narratives[0]!.cites).toEqual(['S1']);
    expect(checked.pack.sources).toEqual([{ id: 'W1', title: 'A page of its own, not the gold story', source: 'r', publishedAt: '2024-03-04T12:00:00.000Z', url: null }]);
    expect(checked.dropped).toEqual([{ at: 'sources', id: 'S1', reason: 'published after the decision time' }]);
  });

  it('When a pitch cites known and unknown ids in its thesis, Then the unknown ones are taken out and recorded, and a line left empty says so', () => {
    const pitch = { thesis: ['Gold breaks out [S1, S7].', '[S8]', 'No citation here.'] } as Pitch;
    const checked = checkPitchCitations(pitch, given, asOf);
    expect(checked.pitch.thesis).toEqual(['Gold breaks out [S1].', '(its only citation was dropped)', 'No citation here.']);
    expect(checked.dropped).toEqual([
      { at: 'thesis[0]', id: 'S7', reason: 'unknown id' },
      { at: 'thesis[1]', id: 'S8', reason: 'unknown id' },
    ]);
    expect(checkPitchCitations({ thesis: ['plain'] } as Pitch, given, asOf).pitch).toEqual({ thesis: ['plain'] });
  });
});
