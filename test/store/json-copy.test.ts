/** The memory store's copy of an event: JSON's round trip to the letter, frozen, in one walk. */
import { describe, expect, it } from 'vitest';
import { frozenAsJson, frozenJsonCopy } from '../../src/store/json-copy.ts';

const roundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');

function everyObjectFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(everyObjectFrozen);
}

describe('A frozen JSON copy', () => {
  it('When values JSON changes on the way (dates, undefined, functions, -0, NaN, boxed values, toJSON, holes, __proto__), Then the copy is what the round trip gives', () => {
    const sparse: unknown[] = [1];
    sparse[3] = 'x';
    const cases: unknown[] = [
      undefined,
      null,
      () => 1,
      Symbol('s'),
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      'text with a lone surrogate \ud800',
      new Date('2024-03-04T14:30:00Z'),
      { at: new Date(0), gone: undefined, fn: () => 1, sym: Symbol('s'), zero: -0, nan: Number.NaN, kept: [undefined, () => 1, Symbol('s'), -0] },
      { boxed: [new Number(1.5), new String('s'), new Boolean(false)] },
      { custom: { toJSON: (key: string) => `custom under ${key}` }, list: [{ toJSON: (key: string) => `item ${key}` }] },
      sparse,
      JSON.parse('{"__proto__": {"polluted": true}, "2": "b", "1": "a", "z": 0}'),
      { map: new Map([[1, 2]]), set: new Set([1]), nested: { deeper: { deepest: [1, [2, [3]]] } } },
      Object.defineProperty({ visible: 1 }, 'hidden', { value: 2, enumerable: false }),
      {
        get computed() {
          return 'got';
        },
      },
    ];
    for (const value of cases) {
      const copy = frozenJsonCopy(value);
      expect(copy).toStrictEqual(roundTrip(value));
      expect(JSON.stringify(copy)).toBe(JSON.stringify(roundTrip(value)));
      expect(everyObjectFrozen(copy)).toBe(true);
    }
    const proto = frozenJsonCopy(JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.hasOwn(proto, '__proto__')).toBe(true);
  });

  it('When the value has a cycle, a bigint or nesting deeper than the walk follows, Then JSON answers: its error, or its copy', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(() => frozenJsonCopy(cyclic)).toThrow(TypeError);
    expect(() => frozenJsonCopy({ n: 1n })).toThrow(TypeError);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 1_000; i++) deep = { i, deep };
    const copy = frozenJsonCopy(deep);
    expect(copy).toStrictEqual(roundTrip(deep));
    expect(everyObjectFrozen(copy)).toBe(true);
  });

  it('When the original is changed after the copy, Then the copy is not', () => {
    const original = { list: [1, 2], inner: { x: 1 } };
    const copy = frozenJsonCopy(original);
    original.list.push(3);
    original.inner.x = 2;
    expect(copy).toStrictEqual({ list: [1, 2], inner: { x: 1 } });
  });
});

describe('Data already in JSON’s shape, from a writer that hands it over (the backtest’s trusted store)', () => {
  it('When every value is what JSON gives back, Then the same objects are kept, frozen all the way down, even under an object already frozen', () => {
    const inner = { closes: [1.5, 2, 0], note: 'x', none: null, ok: true };
    const value = { list: [inner, 'y'], shallow: Object.freeze({ within: { n: 1 } }) };
    const kept = frozenAsJson(value);
    expect(kept).toBe(value);
    expect(everyObjectFrozen(kept)).toBe(true);
    expect(Object.isFrozen(value.shallow.within)).toBe(true);
    expect(kept).toStrictEqual(roundTrip(value));
    // The writer can no longer change what the log holds: the module is strict, so the change throws.
    expect(() => inner.closes.push(3)).toThrow(TypeError);
  });

  it('When anything is not what JSON gives back (dates, undefined, functions, -0, NaN, boxed values, toJSON, holes, a class, no prototype), Then it is copied as frozenJsonCopy copies it, the original left unfrozen', () => {
    const sparse: unknown[] = [1];
    sparse[3] = 'x';
    class Point {
      x = 1;
    }
    const cases: Array<() => unknown> = [
      () => undefined,
      () => -0,
      () => Number.NaN,
      () => ({ at: new Date(0) }),
      () => ({ gone: undefined, kept: 1 }),
      () => ({ list: [1, undefined] }),
      () => ({ fn: () => 1 }),
      () => ({ zero: -0 }),
      () => ({ inf: [Number.POSITIVE_INFINITY] }),
      () => ({ boxed: new Number(1) }),
      () => ({ custom: { toJSON: () => 'custom' } }),
      () => ({ sparse }),
      () => ({ point: new Point() }),
      () => ({ bare: Object.assign(Object.create(null), { a: 1 }) }),
      () => ({ map: new Map([[1, 2]]) }),
    ];
    for (const make of cases) {
      const value = make();
      const result = frozenAsJson(value);
      expect(result).toStrictEqual(roundTrip(make()));
      expect(everyObjectFrozen(result)).toBe(true);
      if (typeof value === 'object' && value !== null) {
        expect(result).not.toBe(value);
        expect(Object.isFrozen(value)).toBe(false);
      }
    }
  });

  it('When the value has a cycle or a bigint, Then JSON answers with its error', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(() => frozenAsJson(cyclic)).toThrow(TypeError);
    expect(() => frozenAsJson({ n: 1n })).toThrow(TypeError);
  });
});
