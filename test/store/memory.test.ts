/**
 * The in-memory event store keeps the port's rules. (The shared contract suite in contract.ts also
 * checks SQL-only features through `db`, so these are the port's rules restated for this adapter.)
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../src/store/memory.ts';
import { ConcurrencyError } from '../../src/store/port.ts';
import { retryingStore } from '../../src/store/retry.ts';
import { appendManyContract } from './append-many.contract.ts';

const at = new Date('2024-03-04T13:00:00Z');

describe('Event store in memory', () => {
  appendManyContract(() => createMemoryEventStore(() => at));

  it('When events are appended at version 0 and then at the head, Then read returns them numbered from 1 in global order', async () => {
    const store = createMemoryEventStore(() => at);
    expect(
      await store.append('s', 0, [
        { type: 'A', data: { n: 1 } },
        { type: 'B', data: { n: 2 }, meta: { by: 't' } },
      ]),
    ).toBe(2);
    expect(await store.append('s', 2, [{ type: 'C', data: { n: 3, gone: undefined } }])).toBe(3);
    const events = await store.read('s');
    expect(events.map((e) => [e.version, e.type, e.data, e.meta, e.globalPosition])).toEqual([
      [1, 'A', { n: 1 }, {}, '1'],
      [2, 'B', { n: 2 }, { by: 't' }, '2'],
      [3, 'C', { n: 3 }, {}, '3'],
    ]);
    expect(events[0]?.recordedAt).toEqual(at);
    expect(await store.read('none')).toEqual([]);
  });

  it('When a stream is read after a version, Then only the later events come back, and a bad version is a RangeError', async () => {
    const store = createMemoryEventStore(() => at);
    await store.append('s', 0, [
      { type: 'A', data: {} },
      { type: 'B', data: {} },
      { type: 'C', data: {} },
    ]);
    expect((await store.read('s', { after: 1 })).map((e) => [e.version, e.type])).toEqual([
      [2, 'B'],
      [3, 'C'],
    ]);
    expect(await store.read('s', { after: 3 })).toEqual([]);
    expect((await store.read('s', { after: 0 })).map((e) => e.version)).toEqual([1, 2, 3]);
    expect(await store.read('none', { after: 2 })).toEqual([]);
    await expect(store.read('s', { after: -1 })).rejects.toThrow(RangeError);
    await expect(store.read('s', { after: 1.5 })).rejects.toThrow(RangeError);
    // Through the outage retry too: the version read after is passed on, not dropped.
    const retrying = retryingStore(store, { delaysMs: [] });
    expect((await retrying.read('s', { after: 2 })).map((e) => e.type)).toEqual(['C']);
  });

  it('When appending at a stale or future version, Then ConcurrencyError and nothing is written', async () => {
    const store = createMemoryEventStore();
    await store.append('s', 0, [{ type: 'A', data: {} }]);
    await expect(store.append('s', 0, [{ type: 'B', data: {} }])).rejects.toThrow(ConcurrencyError);
    await expect(store.append('s', 5, [{ type: 'B', data: {} }])).rejects.toThrow(ConcurrencyError);
    await expect(store.append('s', 0, [])).rejects.toThrow(ConcurrencyError);
    await expect(store.append('s', -1, [])).rejects.toThrow(RangeError);
    // A lost race carries no stack frames (the writer retries), but still names the stream and version.
    const lost = await store.append('s', 0, [{ type: 'B', data: {} }]).catch((error: unknown) => error);
    expect(lost).toBeInstanceOf(ConcurrencyError);
    expect(lost).toMatchObject({ name: 'ConcurrencyError', stream: 's', expectedVersion: 0, message: 'stream s moved past version 0' });
    expect(Error.stackTraceLimit).toBeGreaterThan(0);
    expect((await store.read('s')).map((e) => e.type)).toEqual(['A']);
  });

  it('When many writers race to create one stream, Then exactly one wins', async () => {
    const store = createMemoryEventStore();
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.append('race', 0, [{ type: 'W', data: { i } }])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConcurrencyError)).toHaveLength(9);
  });

  it('When reading all with filters and listing streams, Then prefix (literal), types, after and limit narrow it in global order', async () => {
    const store = createMemoryEventStore();
    await store.append('a:1', 0, [{ type: 'X', data: 1 }]);
    await store.append('b:1', 0, [{ type: 'Y', data: 2 }]);
    await store.append('a:2', 0, [{ type: 'Y', data: 3 }]);
    await store.append('a_%', 0, [{ type: 'X', data: 4 }]);
    expect((await store.readAll({ streamPrefix: 'a:' })).map((e) => e.data)).toEqual([1, 3]);
    expect((await store.readAll({ types: ['Y'] })).map((e) => e.data)).toEqual([2, 3]);
    expect((await store.readAll({ after: '1', limit: 2 })).map((e) => e.data)).toEqual([2, 3]);
    expect((await store.readAll({ streamPrefix: 'a_' })).map((e) => e.data)).toEqual([4]);
    expect(await store.streams('a')).toEqual([
      { stream: 'a:1', version: 1 },
      { stream: 'a:2', version: 1 },
      { stream: 'a_%', version: 1 },
    ]);
  });

  it('When a reader edits an event it was given, Then it fails and the log is unchanged', async () => {
    const store = createMemoryEventStore();
    await store.append('s', 0, [{ type: 'A', data: { nested: { n: 1 } } }]);
    const [event] = await store.read('s');
    expect(() => {
      (event!.data as { nested: { n: number } }).nested.n = 2;
    }).toThrow(TypeError);
    expect((await store.read('s'))[0]?.data).toEqual({ nested: { n: 1 } });
  });

  it('When 300 writers append at the head of one stream while another stream is appended with an expected version, Then all 300 are numbered 1 to 300 and the other append succeeds', async () => {
    const store = createMemoryEventStore(() => at);
    await store.append('proposal:p', 0, [{ type: 'Opened', data: {} }]);
    const writes = Array.from({ length: 300 }, (_, i) => store.appendAtHead('refusals:p', [{ type: 'Refused', data: { i } }]));
    const [versions, last] = await Promise.all([Promise.all(writes), store.append('proposal:p', 1, [{ type: 'Approved', data: {} }])]);
    expect(last).toBe(2);
    expect(versions).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect((await store.read('refusals:p')).map((e) => (e.data as { i: number }).i)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(await store.appendAtHead('refusals:p', [])).toBe(300);
  });
});
