/**
 * `frozenJsonCopy(value)`: what `JSON.parse(JSON.stringify(value))` gives, every object and array in it
 * frozen, in one walk. The memory store keeps each event as the SQL store would store it (undefined
 * dropped, dates as strings, -0 as 0, non-finite numbers as null) and hands the same frozen event to
 * every reader; the text round trip and a second walk to freeze were 10% of a backtest (issue 21).
 * Anything the walk does not follow to the letter (a cycle, nesting deeper than `MAX_DEPTH`) is left to
 * JSON itself, so the answer and the errors are always JSON's.
 */

/** Deeper than this, the copy is JSON's own (it also reports a cycle as JSON does). */
const MAX_DEPTH = 200;

/** Signals that the walk gave up and JSON must do the copy. */
const GIVE_UP = Symbol('give up');

export function frozenJsonCopy(value: unknown): unknown {
  try {
    return copyValue(serialisable(value, ''), 0) ?? null;
  } catch (error) {
    if (error !== GIVE_UP) throw error;
    return deepFreeze(JSON.parse(JSON.stringify(value) ?? 'null'));
  }
}

/** A property's value as JSON.stringify sees it: toJSON applied, boxed primitives unboxed. */
function serialisable(value: unknown, key: string): unknown {
  if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') value = toJSON.call(value, key);
  }
  if (typeof value === 'object' && value !== null) {
    if (value instanceof Number) return Number(value);
    if (value instanceof String) return String(value);
    if (value instanceof Boolean) return value.valueOf();
  }
  return value;
}

/** undefined when JSON would leave the value out (undefined, a function, a symbol). */
function copyValue(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // JSON writes -0 as 0 and NaN or an infinity as null.
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case 'object':
      if (value === null) return null;
      if (depth >= MAX_DEPTH) throw GIVE_UP;
      return Array.isArray(value) ? copyArray(value, depth + 1) : copyObject(value as Record<string, unknown>, depth + 1);
    case 'bigint':
      // JSON's TypeError, worded by JSON.
      throw GIVE_UP;
    default:
      return undefined;
  }
}

function copyArray(array: readonly unknown[], depth: number): readonly unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < array.length; i++) out.push(copyValue(serialisable(array[i], String(i)), depth) ?? null);
  return Object.freeze(out);
}

function copyObject(object: Record<string, unknown>, depth: number): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object)) {
    const copied = copyValue(serialisable(object[key], key), depth);
    if (copied === undefined) continue;
    // JSON.parse makes "__proto__" an own property; an assignment would set the prototype instead.
    if (key === '__proto__') Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true });
    else out[key] = copied;
  }
  return Object.freeze(out);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
