// Answers about a workspace that change rarely (its data-plane host, its datastores) kept for a while, so a
// watch reporting thousands of job ends does not ask ARM the same thing for each one: at 1,000 ends those
// reads had been four ARM GETs a job, several times the watch's whole budget of list reads.
// Only successes are kept (an error is asked again next time), and callers asking at once share one read.

export interface LookupCache {
  /** The value kept under `key` while it is younger than the cache's TTL, else what `load` answers. */
  get<T>(key: string, load: () => Promise<T>): Promise<T>;
  /** Forgets one answer (it proved wrong), or all of them. */
  forget(key?: string): void;
}

export interface LookupCacheOptions {
  /** How long an answer is trusted. A datastore re-pointed in Azure is seen after this at the latest. */
  ttlMs: number;
  /** At most this many answers are kept (the oldest go first). */
  maxEntries?: number;
  now?: () => number;
}

/** How long a workspace's datastores and data-plane host are trusted (the studio lets them change rarely). */
export const WORKSPACE_LOOKUP_TTL_MS = 5 * 60_000;

export function createLookupCache(opts: LookupCacheOptions): LookupCache {
  const now = opts.now ?? Date.now;
  const maxEntries = opts.maxEntries ?? 256;
  const entries = new Map<string, { value: Promise<unknown>; settledAt?: number }>();

  return {
    get<T>(key: string, load: () => Promise<T>): Promise<T> {
      const kept = entries.get(key);
      if (kept && (kept.settledAt === undefined || now() - kept.settledAt < opts.ttlMs)) return kept.value as Promise<T>;
      if (entries.size >= maxEntries && !kept) entries.delete(entries.keys().next().value as string);
      const entry: { value: Promise<unknown>; settledAt?: number } = { value: Promise.resolve() };
      const value = load().then(
        (v) => {
          entry.settledAt = now();
          return v;
        },
        (err: unknown) => {
          // Not kept: the next caller asks again.
          if (entries.get(key) === entry) entries.delete(key);
          throw err;
        },
      );
      entry.value = value;
      entries.set(key, entry);
      return value;
    },
    forget(key) {
      if (key === undefined) entries.clear();
      else entries.delete(key);
    },
  };
}
