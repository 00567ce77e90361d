/** Every channel shows a proposal's targets beside its orders, and says why a proposal was withdrawn. */
import { describe, expect, it } from 'vitest';
import { renderNotice as consoleText } from '../../src/bot/console/render.ts';
import { renderNotice as discord } from '../../src/bot/discord/render.ts';
import { renderNotice as slack } from '../../src/bot/slack/render.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { LARGEST } from './slack/largest.ts';

const order = { account: 'GEMINI', symbol: 'SPY', side: 'sell' as const, qty: 25, reason: 'open SHORT SPY at conviction -1.25', clamps: [], clientOrderId: 'tc-p-gemini-spy' };
const decision: Notice = {
  ...LARGEST.decision_ready,
  proposal: {
    id: '2024-03-11-abcdef',
    status: 'PENDING',
    expiresAt: '2024-03-11T20:00:00Z',
    targets: [
      { account: 'GEMINI', symbol: 'QQQ', qty: 0, price: 440 },
      { account: 'GEMINI', symbol: 'SPY', qty: -25, price: 500 },
    ],
    orders: [order],
  },
};
const withdrawn: Notice = {
  type: 'proposal_expired',
  week: '2024-03-11',
  proposalId: '2024-03-04-aaaaaa',
  at: '2024-03-11T12:00:00Z',
  reason: 'superseded by proposal 2024-03-11-abcdef, planned from a newer book',
};
const everywhere = (n: Notice) => [consoleText(n), JSON.stringify(slack(n)), JSON.stringify(discord(n))];

describe('Targets in every channel', () => {
  it('When a decision is posted, Then console, Slack and Discord show each target signed, short and flat said in words, beside the orders', () => {
    for (const text of everywhere(decision)) {
      expect(text).toContain('GEMINI: hold -25 SPY (short)');
      expect(text).toContain('GEMINI: hold 0 QQQ (flat)');
      expect(text).toContain('GEMINI: SELL 25 SPY');
    }
  });

  it('When a proposal is withdrawn, Then every channel says why and that nothing was placed', () => {
    for (const text of everywhere(withdrawn)) {
      expect(text).toContain('superseded by proposal 2024-03-11-abcdef');
      expect(text).toContain('Nothing was placed');
    }
  });

  it('When an approval is refused with a reason that ends its own sentence, Then the full stop is not doubled', () => {
    const refused: Notice = {
      type: 'approval_refused',
      proposalId: '2024-03-04-aaaaaa',
      by: 'cli:ana',
      reason: 'trading is halted (by cli:bo); resume it first. Nothing was placed.',
    };
    expect(consoleText(refused)).toBe(
      "✖ cli:ana's approval of 2024-03-04-aaaaaa was refused: trading is halted (by cli:bo); resume it first. Nothing was placed. The attempt is recorded.",
    );
    expect(JSON.stringify(slack(refused))).toContain('Nothing was placed. The attempt is recorded.');
  });
});
