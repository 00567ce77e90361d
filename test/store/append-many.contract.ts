/**
 * The rules of `appendMany`, one suite for every adapter (the SQL contract and the memory store run
 * it): several streams written in one transaction, each at its expected version, all or nothing.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConcurrencyError, type EventStore, type NewEvent } from '../../src/store/port.ts';

const uid = () => randomUUID().replaceAll('-', '').slice(0, 12);
const ev = (type: string, data: unknown = {}): NewEvent => ({ type, data });

export function appendManyContract(storeOf: () => EventStore): void {
  describe('Appending to several streams at once', () => {
    it('When two streams are appended at their expected versions, Then both are written and each new last version is returned', async () => {
      const store = storeOf();
      const [a, b] = [`many:${uid()}`, `many:${uid()}`];
      await store.append(a, 0, [ev('A1')]);
      expect(
        await store.appendMany([
          { stream: a, expectedVersion: 1, events: [ev('A2', { n: 2 }), ev('A3')] },
          { stream: b, expectedVersion: 0, events: [ev('B1')] },
        ]),
      ).toEqual([3, 1]);
      expect((await store.read(a)).map((e) => [e.version, e.type])).toEqual([
        [1, 'A1'],
        [2, 'A2'],
        [3, 'A3'],
      ]);
      expect((await store.read(b)).map((e) => [e.version, e.type, e.data])).toEqual([[1, 'B1', {}]]);
    });

    it('When one stream has moved past its expected version, Then ConcurrencyError names it and no stream is written', async () => {
      const store = storeOf();
      const [a, b] = [`many:${uid()}`, `many:${uid()}`];
      await store.append(b, 0, [ev('B1'), ev('B2')]);
      const error = await store
        .appendMany([
          { stream: a, expectedVersion: 0, events: [ev('A1')] },
          { stream: b, expectedVersion: 1, events: [ev('B3')] },
        ])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect((error as ConcurrencyError).stream).toBe(b);
      expect(await store.read(a)).toEqual([]);
      expect((await store.read(b)).map((e) => e.type)).toEqual(['B1', 'B2']);
    });

    it('When a part with no events names a stream that has moved, Then the condition fails and the other part is not written', async () => {
      const store = storeOf();
      const [decision, control] = [`many:${uid()}`, `many:${uid()}`];
      await store.append(control, 0, [ev('Resumed')]);
      const read = (await store.read(control)).length;
      await store.append(control, read, [ev('Halted')]);
      const error = await store
        .appendMany([
          { stream: decision, expectedVersion: 0, events: [ev('Approved')] },
          { stream: control, expectedVersion: read, events: [] },
        ])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect((error as ConcurrencyError).stream).toBe(control);
      expect(await store.read(decision)).toEqual([]);
    });

    it('When a part with no events names a stream still as read, Then the other part is written and the condition stream is unchanged', async () => {
      const store = storeOf();
      const [decision, control] = [`many:${uid()}`, `many:${uid()}`];
      expect(
        await store.appendMany([
          { stream: decision, expectedVersion: 0, events: [ev('Approved')] },
          { stream: control, expectedVersion: 0, events: [] },
        ]),
      ).toEqual([1, 0]);
      expect((await store.read(decision)).map((e) => e.type)).toEqual(['Approved']);
      expect(await store.read(control)).toEqual([]);
    });

    it('When many writers race with appendMany over the same two streams, Then exactly one wins', async () => {
      const store = storeOf();
      const [a, b] = [`many:${uid()}`, `many:${uid()}`];
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          store.appendMany([
            { stream: a, expectedVersion: 0, events: [ev('A', { i })] },
            { stream: b, expectedVersion: 0, events: [ev('B', { i })] },
          ]),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConcurrencyError);
      const [[first], [second]] = [await store.read(a), await store.read(b)];
      expect(first?.data).toEqual(second?.data);
    });

    it('When one stream is named twice, Then it is refused before anything is written', async () => {
      const store = storeOf();
      const a = `many:${uid()}`;
      await expect(
        store.appendMany([
          { stream: a, expectedVersion: 0, events: [ev('A')] },
          { stream: a, expectedVersion: 1, events: [ev('B')] },
        ]),
      ).rejects.toBeInstanceOf(RangeError);
      expect(await store.read(a)).toEqual([]);
    });
  });
}
