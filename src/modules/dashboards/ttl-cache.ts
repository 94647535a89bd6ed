/**
 * A per-process cache of loads that are shared by concurrent callers and reused for `ttlMs`; a
 * failed load is forgotten at once. Past `max` entries it starts over (the hot keys are few: the
 * orgs people look at).
 */
export function createTtlCache<V>(options: { ttlMs: number; max?: number; now?: () => number }) {
  const { ttlMs, max = 10_000 } = options;
  const now = options.now ?? (() => performance.now());
  const entries = new Map<string, { value: Promise<V>; at: number }>();
  return {
    get(key: string, load: () => Promise<V>): Promise<V> {
      const at = now();
      const hit = entries.get(key);
      if (hit && at - hit.at < ttlMs) return hit.value;
      if (entries.size >= max) entries.clear();
      const entry = { value: load(), at };
      entries.set(key, entry);
      entry.value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      return entry.value;
    },
  };
}
