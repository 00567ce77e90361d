/** Memoising a view on the identity of what it is computed from. */

/**
 * `compute`, remembered per argument object: for views of a proposal listing (the repository returns
 * the very same array while nothing moved), or of one proposal state (states are immutable, and an
 * unchanged proposal keeps its state object).
 */
export function memoByIdentity<K extends object, T>(compute: (key: K) => T): (key: K) => T {
  const cache = new WeakMap<K, T>();
  return (key) => {
    // One lookup for a value remembered (every view here is defined); a second only for undefined.
    const known = cache.get(key);
    if (known !== undefined || cache.has(key)) return known as T;
    const value = compute(key);
    cache.set(key, value);
    return value;
  };
}
