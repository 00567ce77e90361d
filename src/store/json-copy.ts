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

/**
 * `value` itself, deeply frozen, when it is already what `frozenJsonCopy` would give (plain objects and
 * arrays of strings, booleans, null and finite numbers other than -0, no undefined, nothing with a
 * toJSON); otherwise `frozenJsonCopy(value)`. For a writer that hands its events over and never changes
 * them again (the backtest's own code, store/trusted.ts): the copy was 6% of a backtest and a twentieth
 * of its allocation (issue 21). The writer's objects are frozen, so a later change throws.
 */
export function frozenAsJson(value: unknown): unknown {
  return isJsonShaped(value, 0) ? deepFreeze(value) : frozenJsonCopy(value);
}

/** Whether JSON's round trip would give `value` back unchanged (see frozenAsJson), without allocating. */
function isJsonShaped(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return false;
        for (let i = 0; i < value.length; i++) {
          // A hole or undefined reads as undefined: JSON makes it null.
          const item: unknown = value[i];
          if (item === undefined || !isJsonShaped(item, depth + 1)) return false;
        }
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const key in value) {
        // for-in also walks inherited keys: a plain object's prototype has no enumerable ones.
        const item: unknown = (value as Record<string, unknown>)[key];
        if (item === undefined || !isJsonShaped(item, depth + 1)) return false;
      }
      return true;
    }
    default:
      // undefined, a function, a symbol, a bigint: JSON drops, nulls or refuses them.
      return false;
  }
}

/** Freezes `value` and everything in it (a frozen object's contents may not be: they are walked too). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
    else for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}
