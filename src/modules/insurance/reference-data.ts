import { eq } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { insuranceCatalogue, insuranceInstitutions, insurancePolicies, insuranceRegions } from './insurance.tables.ts';
import type { RegionPolicy } from './policies.ts';

export type CatalogueEntry = typeof insuranceCatalogue.$inferSelect;
export type InstitutionRow = typeof insuranceInstitutions.$inferSelect;
export type RegionRow = typeof insuranceRegions.$inferSelect;

interface Snapshot {
  at: number;
  policies: RegionPolicy[];
  /** province → code → versions, newest first. */
  catalogue: Map<string, Map<string, CatalogueEntry[]>>;
  institutionsByKey: Map<string, InstitutionRow>;
  institutions: Map<string, InstitutionRow>;
  regions: Map<string, RegionRow>;
}

/** The province a division is in: 450103 → 450000. */
export const provinceOf = (division: string) => `${division.slice(0, 2)}0000`;

/**
 * Policies, the catalogue, institutions and pooling regions, read once per process and kept for a
 * short time (they change by publication, a few times a year): the window settlement reads none of
 * them from the database. Publishing in this process clears it at once; other processes within
 * `ttlMs`.
 */
export function createReferenceData(db: Db, clock: () => Date, ttlMs = 30_000) {
  let snapshot: Snapshot | null = null;

  async function load(): Promise<Snapshot> {
    const [policyRows, catalogueRows, institutionRows, regionRows] = await Promise.all([
      db.select().from(insurancePolicies),
      db.select().from(insuranceCatalogue),
      db.select().from(insuranceInstitutions),
      db.select().from(insuranceRegions),
    ]);
    const catalogue = new Map<string, Map<string, CatalogueEntry[]>>();
    for (const row of catalogueRows) {
      const byCode = catalogue.get(row.region) ?? new Map<string, CatalogueEntry[]>();
      catalogue.set(row.region, byCode);
      byCode.set(
        row.code,
        [...(byCode.get(row.code) ?? []), row].sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? 1 : -1)),
      );
    }
    return {
      at: clock().getTime(),
      policies: policyRows.map((r) => r.data),
      catalogue,
      institutionsByKey: new Map(institutionRows.map((r) => [r.keyId, r])),
      institutions: new Map(institutionRows.map((r) => [r.code, r])),
      regions: new Map(regionRows.map((r) => [r.region, r])),
    };
  }

  let refreshing: Promise<Snapshot> | null = null;
  /** Bumped by clear(): a load begun before a publication never replaces what came after it. */
  let generation = 0;

  function refresh(): Promise<Snapshot> {
    if (refreshing) return refreshing;
    const started = generation;
    const loading = load().then((loaded) => {
      if (started === generation) snapshot = loaded;
      return loaded;
    });
    refreshing = loading;
    void loading
      .finally(() => {
        if (refreshing === loading) refreshing = null;
      })
      .catch(() => undefined);
    return loading;
  }

  /**
   * The snapshot. A stale one is served at once while one refresh runs in the background, so that
   * a caller inside a database transaction never waits for the pool's other connections (a
   * refresh awaited inside many transactions at once could find every connection held by them).
   * Only the first read waits: `ready()` before the first transaction.
   */
  async function current(): Promise<Snapshot> {
    if (!snapshot) return refresh();
    if (clock().getTime() - snapshot.at >= ttlMs) refresh().catch(() => undefined);
    return snapshot;
  }

  return {
    current,
    /** Loads the snapshot if there is none yet (call before a transaction that reads it). */
    ready: async (): Promise<void> => {
      await current();
    },
    clear(): void {
      snapshot = null;
      refreshing = null;
      generation++;
    },
    async policies(): Promise<RegionPolicy[]> {
      return (await current()).policies;
    },
    /** The entry in force on `date` at the province of `treatmentDivision`; null when the code is not in its catalogue. */
    async catalogueEntry(treatmentDivision: string, code: string, date: string): Promise<CatalogueEntry | null> {
      const versions = (await current()).catalogue.get(provinceOf(treatmentDivision))?.get(code) ?? [];
      return versions.find((v) => v.effectiveFrom <= date && (v.effectiveTo === null || v.effectiveTo >= date)) ?? null;
    },
    async institutionByKey(keyId: string): Promise<InstitutionRow | null> {
      const s = await current();
      const hit = s.institutionsByKey.get(keyId);
      if (hit) return hit;
      // A key registered in another process since: one read, not a wait for the cache to expire.
      const [row] = await db.select().from(insuranceInstitutions).where(eq(insuranceInstitutions.keyId, keyId));
      if (row) refresh().catch(() => undefined);
      return row ?? null;
    },
    async institution(code: string): Promise<InstitutionRow | null> {
      return (await current()).institutions.get(code) ?? null;
    },
    async region(code: string): Promise<RegionRow | null> {
      return (await current()).regions.get(code) ?? null;
    },
    async regions(): Promise<RegionRow[]> {
      return [...(await current()).regions.values()];
    },
  };
}

export type ReferenceData = ReturnType<typeof createReferenceData>;
