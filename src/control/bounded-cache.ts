/**
 * Keeps a Map of expiring entries under a size bound: the key caches must not grow without limit
 * when clients present endless distinct (mostly invalid) keys.
 *
 * When an insert takes the map past `max`, expired entries go first, then the oldest inserted
 * (Map iteration order) until the map is at 90% of `max`. Amortised O(1) per insert.
 */
export interface Expiring {
  readonly expiresAt: number;
}

/** Entries each key cache keeps at most (per thread, and on the main thread). */
export const MAX_CACHED_KEYS = 100_000;

export function setBounded<K, V extends Expiring>(map: Map<K, V>, key: K, value: V, now: number, max = MAX_CACHED_KEYS): void {
  map.delete(key);
  map.set(key, value);
  if (map.size <= max) return;
  for (const [k, v] of map) {
    if (v.expiresAt <= now) map.delete(k);
  }
  const target = Math.floor(max * 0.9);
  for (const k of map.keys()) {
    if (map.size <= target) break;
    map.delete(k);
  }
}
