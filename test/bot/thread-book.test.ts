/**
 * The thread book and the per-week queue shared by every chat channel (issue 14, item 5): one
 * implementation, parameterised by the channel, on the in-memory event store.
 */
import { describe, expect, it } from 'vitest';
import { createThreadBook } from '../../src/bot/thread-book.ts';
import { createWeekQueue } from '../../src/bot/week-queue.ts';
import { createMemoryEventStore } from '../../src/store/memory.ts';

const WEEK = '2024-03-04';

describe('Thread book', () => {
  it('When two processes open the same week’s thread, Then the first one stands for both, in the channel’s own stream and event names', async () => {
    const store = createMemoryEventStore();
    const book = createThreadBook<{ threadId: string }, { messageId: string }>(store, 'main', { channel: 'telegram', messageId: (m) => m.messageId });
    const first = await book.openThread(WEEK, { threadId: 't1' });
    const second = await book.openThread(WEEK, { threadId: 't2' });
    expect([first.thread, second.thread]).toEqual([{ threadId: 't1' }, { threadId: 't1' }]);
    expect((await store.read(`chat:telegram:main:${WEEK}`)).map((e) => e.type)).toEqual(['TelegramThreadOpened']);
  });

  it('When a decision is posted twice and settled, Then it is recorded once, with the outcome, in the order posted', async () => {
    const store = createMemoryEventStore();
    const book = createThreadBook<{ threadId: string }, { messageId: string }>(store, 'main', { channel: 'telegram', messageId: (m) => m.messageId });
    await book.decisionPosted(WEEK, 'p1', { messageId: 'm1' });
    await book.decisionPosted(WEEK, 'p1', { messageId: 'm1' });
    await book.decisionPosted(WEEK, 'p2', { messageId: 'm2' });
    await book.decisionSettled(WEEK, 'p1', 'approved by x');
    await book.decisionSettled(WEEK, 'p1', 'approved by x');
    const week = await book.load(WEEK);
    expect([...week.decisions]).toEqual([
      ['p1', { messageId: 'm1', outcome: 'approved by x' }],
      ['p2', { messageId: 'm2', outcome: null }],
    ]);
    expect((await store.read(`chat:telegram:main:${WEEK}`)).map((e) => e.type)).toEqual(['TelegramDecisionPosted', 'TelegramDecisionPosted', 'TelegramDecisionSettled']);
  });
});

describe('Week queue', () => {
  it('When one week’s work fails, Then the next of that week still runs after it, in order, while another week does not wait', async () => {
    const queue = createWeekQueue();
    const done: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const a1 = queue.run('A', async () => {
      await gate;
      throw new Error('a1 failed');
    });
    const a2 = queue.run('A', async () => void done.push('a2'));
    await queue.run('B', async () => void done.push('b1'));
    expect(done).toEqual(['b1']);
    release();
    await expect(a1).rejects.toThrow('a1 failed');
    await a2;
    await queue.idle();
    expect(done).toEqual(['b1', 'a2']);
  });
});
