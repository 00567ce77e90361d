/**
 * The Block Kit renderer against Slack's limits: every notice type, each filled with the largest
 * content its schema allows (and text full of characters mrkdwn must escape), checked by the same
 * validator the fake Slack API uses.
 */
import { describe, expect, it } from 'vitest';
import type { StatusView } from '../../../src/app/index.ts';
import { fitMessage, LIMITS, section } from '../../../src/bot/slack/blocks.ts';
import { confirmText, renderNotice, renderParent, renderStatus, settledDecision } from '../../../src/bot/slack/render.ts';
import { validateBlocks } from '../../fakes/slack.ts';
import { ACCOUNTS, LARGEST, long, openOrder, orders, SEATS, times, usage } from './largest.ts';

const unescaped = (json: string) => json.includes('<!channel>') || json.includes('<@U1>');

describe('Slack Block Kit renderer', () => {
  for (const notice of Object.values(LARGEST)) {
    it(`When a ${notice.type} notice carries its largest content, Then the message keeps every Block Kit limit and escapes model text`, () => {
      const message = renderNotice(notice);
      expect(validateBlocks(message.blocks)).toEqual([]);
      expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
      expect(message.text.length).toBeGreaterThan(0);
      expect(message.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
      expect(unescaped(JSON.stringify(message.blocks))).toBe(false);
    });
  }

  it('When the decision is as large as it gets, Then Approve and Reject survive the cut (Approve opens its modal, no dialog), and the settled form still fits', () => {
    const message = renderNotice(LARGEST.decision_ready);
    const actions = message.blocks.at(-1)!;
    expect(actions.type).toBe('actions');
    const [approve, reject] = (actions as { elements: { action_id: string; style: string; confirm?: { text: { text: string } } }[] }).elements;
    expect([approve!.action_id, reject!.action_id]).toEqual(['approve:2024-03-04-abcdef', 'reject:2024-03-04-abcdef']);
    expect(approve!.confirm).toBeUndefined();
    expect(confirmText(orders).length).toBeLessThanOrEqual(LIMITS.confirmText);
    expect(confirmText(orders)).toContain('more');

    const settled = settledDecision(message, [section('approved'), ...renderNotice(LARGEST.execution_report).blocks]);
    expect(validateBlocks(settled.blocks)).toEqual([]);
    expect(settled.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('When the orders are few, Then the confirm dialog lists every one of them', () => {
    const text = confirmText(orders.slice(0, 3));
    for (const o of orders.slice(0, 3)) expect(text).toContain(`${o.account}: SELL ${o.qty} ${o.symbol}`);
    expect(text).not.toContain('more');
  });

  it('When a message would have more than 50 blocks, Then it is cut to 50 with a note and the kept tail intact', () => {
    const blocks = times(80, (i) => section(`block ${i}`));
    const fitted = fitMessage('many', blocks, 2);
    expect(fitted.blocks).toHaveLength(LIMITS.blocks);
    expect(fitted.blocks.slice(-2)).toEqual(blocks.slice(-2));
    expect(JSON.stringify(fitted.blocks.at(-3))).toContain('more blocks left out');
  });

  it('When the parent message and the status are rendered at their largest, Then they keep the limits too', () => {
    const parent = renderParent({
      week: '2024-03-04',
      runId: 'r',
      query: long(500),
      research: 'done',
      pitches: { done: 8, total: 8 },
      reviews: { done: 8, total: 8 },
      outcome: long(4000),
    });
    expect(validateBlocks(parent.blocks)).toEqual([]);
    const status: StatusView = {
      mode: { database: long(200), market: long(200), llm: long(200), chat: ['slack', 'discord'], brokers: {}, time: 'live', brokerSetup: { summary: long(200), warning: null } },
      halted: { halted: true, by: 'slack:U1', at: '2024-03-04T13:00:00Z' },
      trading: { state: 'halted', by: 'slack:U1', at: '2024-03-04T13:00:00Z' },
      seats: times(SEATS, (i) => ({ id: `SEAT${i}`, model: long(60), kind: 'llm', account: `ACCOUNT_${i}` })),
      chairman: { models: times(4, () => long(60)), account: 'COUNCIL' },
      accounts: times(ACCOUNTS, (i): StatusView['accounts'][number] => ({
        account: `ACCOUNT_${i}`,
        broker: 'alpaca' as const,
        equity: 1e9,
        cash: 1e9,
        buyingPower: 1e9,
        positions: times(20, () => ({ symbol: 'ABCDEF', qty: 123456, avgPrice: 1234.5, marketPrice: 1234.5, marketValue: 1e9, unrealizedPl: -1e8 })),
        openOrders: times(10, () => ({ ...openOrder, account: `ACCOUNT_${i}` })),
        error: long(500),
      })),
      pending: times(30, () => ({ proposalId: 'p'.repeat(64), week: '2024-03-04', expiresAt: '2024-03-04T21:00:00Z', targets: [], orders: [], refusals: 300 })),
      lastRun: { week: '2024-03-04', runId: 'r', outcome: 'proposal', proposalId: 'p' },
      nextRuns: times(20, () => ({ job: long(60), at: '2024-03-11T13:00:00Z' })),
      usage: { lastRun: usage },
      asOf: '2024-03-04T21:00:00Z',
    };
    expect(validateBlocks(renderStatus(status).blocks)).toEqual([]);
  });
});
