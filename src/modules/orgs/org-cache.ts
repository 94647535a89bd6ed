import type { OrgRow } from './orgs.repository.ts';

/** How long an org read is reused: another process's division reload shows within it. */
export const ORG_CACHE_TTL_MS = 60_000;
/** More distinct orgs than this and the cache starts over (the hot reads name a few hundred). */
const MAX_ENTRIES = 10_000;

export interface OrgCache {
  /** The org, reread after ORG_CACHE_TTL_MS; null when there is none (a miss is not kept: an org added later is found at once). */
  get(code: string): Promise<OrgRow | null>;
  /** Forgets everything: the divisions were reloaded in this process (names, parents and paths may have changed). */
  clear(): void;
}

/**
 * Org reads cached per process. A department is never renamed or moved once created; a division
 * is when the divisions are reloaded (upsertDivisions updates its row), which clears the cache
 * in the process that reloads, and the TTL covers a reload by another process (the CLI).
 */
export function createOrgCache(find: (code: string) => Promise<OrgRow | undefined>, now: () => number = () => performance.now()): OrgCache {
  const entries = new Map<string, { org: Promise<OrgRow | null>; at: number }>();
  return {
    get(code) {
      const at = now();
      const hit = entries.get(code);
      if (hit && at - hit.at < ORG_CACHE_TTL_MS) return hit.org;
      if (entries.size >= MAX_ENTRIES) entries.clear();
      const org = find(code).then((row) => row ?? null);
      const entry = { org, at };
      entries.set(code, entry);
      // Concurrent reads share one query; only what was found is kept.
      const forget = () => {
        if (entries.get(code) === entry) entries.delete(code);
      };
      org.then((row) => row ?? forget(), forget);
      return org;
    },
    clear() {
      entries.clear();
    },
  };
}
