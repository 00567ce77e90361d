import { describe, expect, it } from 'vitest';
import { withStreamCache } from '../../src/store/cached.ts';
import { createMemoryEventStore } from '../../src/store/memory.ts';
import type { EventStore } from '../../src/store/port.ts';

const clock = () => new Date('2024-03-04T13:00:00Z');

describe('The single-writer stream cache', () => {
  it('When a stream is appended to after a read, Then the next read sees the new event', async () => {
    const store = withStreamCache(createMemoryEventStore(clock));
    await store.append('s', 0, [{ type: 'A', data: { n: 1 } }]);
    expect((await store.read('s')).map((e) => e.type)).toEqual(['A']);
    await store.append('s', 1, [{ type: 'B', data: { n: 2 } }]);
    expect((await store.read('s')).map((e) => e.type)).toEqual(['A', 'B']);
  });

  it('When a read races an append, Then what the read saw is not cached', async () => {
    const inner = createMemoryEventStore(clock);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const slow: EventStore = {
      ...inner,
      read: async (s) => {
        const events = await inner.read(s);
        await gate;
        return events;
      },
    };
    const store = withStreamCache(slow);
    const racing = store.read('s');
    await store.append('s', 0, [{ type: 'A', data: {} }]);
    release();
    expect(await racing).toEqual([]);
    expect((await store.read('s')).map((e) => e.type)).toEqual(['A']);
  });

  it('When a reader tries to change a cached event, Then it fails instead of corrupting later reads', async () => {
    const store = withStreamCache(createMemoryEventStore(clock));
    await store.append('s', 0, [{ type: 'A', data: { n: 1 } }]);
    const [event] = await store.read('s');
    expect(() => {
      (event!.data as { n: number }).n = 2;
    }).toThrow(TypeError);
    expect((await store.read('s'))[0]!.data).toEqual({ n: 1 });
  });

  it('When a stream is appended to at its head after a read, Then the next read sees the new event', async () => {
    const store = withStreamCache(createMemoryEventStore(clock));
    await store.appendAtHead('s', [{ type: 'A', data: {} }]);
    expect((await store.read('s')).map((e) => e.type)).toEqual(['A']);
    await store.appendAtHead('s', [{ type: 'B', data: {} }]);
    expect((await store.read('s')).map((e) => e.type)).toEqual(['A', 'B']);
  });
});
