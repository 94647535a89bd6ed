import { notFound } from '../../core/errors.ts';
import type { Db } from '../../db/database.ts';
import { readCaseSummaries } from '../applications/index.ts';
import type { ServiceItem } from '../catalog/index.ts';
import { systemPrincipal, type Principal, type StaffAction } from '../identity/index.ts';
import { validateDefinition } from './bundle-definition.ts';
import { BUNDLE_DEFINITIONS } from './bundle-definitions.ts';
import type * as repo from './bundles.repository.ts';
import type { BundleCase, BundlesDeps, Loaded, Org } from './bundles-types.ts';

export const RULE_REASON = /^即办规则 instant-approval rule: ([a-z0-9_.-]+)$/;
export const ruleReason = (id: string) => `即办规则 instant-approval rule: ${id}`;

/** How long an org read is kept: the org tree is reference data (the applications' routes are kept as long). */
const ORG_TTL_MS = 60_000;

/** What the parts of the bundles service share: its dependencies, the definitions, the org cache and the actors. */
export interface BundlesContext {
  db: Db;
  deps: BundlesDeps;
  applications: BundlesDeps['applications'];
  clock: () => Date;
  /** Each definition checked against the catalogue, on first use. */
  definitions: () => Promise<Map<string, Loaded | { error: unknown }>>;
  requireDefinition: (code: string) => Promise<Loaded>;
  orgOf: (code: string) => Promise<Org | null>;
  /** The system actor a rule or the prefill is at a department: those actions, at that org only. */
  departmentActor: (orgCode: string, name: string, actions: readonly StaffAction[]) => Promise<Principal>;
  /** The system actor that submits a bundle's next tasks for the parent who started it (and consented then). */
  parentOf: (applicantId: string) => Principal;
  /** Bundles being moved on in this process: their own loop sees what their own steps decide. */
  active: Set<string>;
  loadCases: (row: repo.BundleRow) => Promise<Map<string, BundleCase>>;
}

export function createBundlesContext(deps: BundlesDeps): BundlesContext {
  const { db, applications } = deps;
  const clock = deps.clock ?? (() => new Date());
  let loaded: Promise<Map<string, Loaded | { error: unknown }>> | undefined;

  /**
   * Validates each definition against the catalogue once, on first use (the catalogue is seeded
   * after the services are built). A broken definition is refused with its error; the others work.
   */
  function definitions() {
    loaded ??= (async () => {
      const out = new Map<string, Loaded | { error: unknown }>();
      for (const raw of deps.definitions ?? BUNDLE_DEFINITIONS) {
        const rawCode = (raw as { code?: unknown }).code;
        const code = typeof rawCode === 'string' ? rawCode : '';
        const tasks = (raw as { tasks?: unknown }).tasks;
        const items = new Map<string, ServiceItem>();
        for (const t of Array.isArray(tasks) ? (tasks as { item?: unknown }[]) : []) {
          const item = typeof t.item === 'string' ? await deps.catalog.getItem(t.item) : null;
          if (item) items.set(item.code, item);
        }
        try {
          out.set(code, { ...validateDefinition(raw, items), items });
        } catch (error) {
          out.set(code, { error });
        }
      }
      return out;
    })();
    return loaded;
  }

  async function requireDefinition(code: string): Promise<Loaded> {
    const def = (await definitions()).get(code);
    if (!def) throw notFound('bundle');
    if ('error' in def) throw def.error;
    return def;
  }

  /** Steps after the start act for the parent: submit and view their cases, nothing else. */
  const parentOf = (applicantId: string): Principal =>
    systemPrincipal({ actor: 'bundle', forResident: { residentId: applicantId, scopes: ['applications.submit', 'applications.view'] } });

  /**
   * Orgs as a bundle reads them (a department for each rule and exchange, the names of the
   * cases' orgs), kept for ORG_TTL_MS: each bundle read them again, eight times a birth bundle.
   */
  const orgs = new Map<string, { org: Promise<Org | null>; at: number }>();
  function orgOf(code: string): Promise<Org | null> {
    const now = performance.now();
    const hit = orgs.get(code);
    if (hit && now - hit.at < ORG_TTL_MS) return hit.org;
    if (orgs.size >= 10_000) orgs.clear();
    const org = deps.orgs.getOrg(code);
    orgs.set(code, { org, at: now });
    // Only what was found is kept: an org added later is found at once.
    org.then(
      (o) => o ?? orgs.delete(code),
      () => orgs.delete(code),
    );
    return org;
  }

  async function departmentActor(orgCode: string, name: string, actions: readonly StaffAction[]): Promise<Principal> {
    const org = await orgOf(orgCode);
    if (!org) throw notFound('org');
    return systemPrincipal({ actor: name, at: { orgCode: org.code, orgPath: org.path, actions } });
  }

  async function loadCases(row: repo.BundleRow): Promise<Map<string, BundleCase>> {
    const byId = await readCaseSummaries(db, row.applicantId, Object.values(row.cases));
    const out = new Map<string, BundleCase>();
    for (const [key, id] of Object.entries(row.cases)) {
      const c = byId.get(id);
      if (!c) throw notFound('case');
      out.set(key, { ...c, orgName: (await orgOf(c.orgCode))?.name ?? c.orgCode });
    }
    return out;
  }

  const active = new Set<string>();

  return {
    db,
    deps,
    applications,
    clock,
    definitions,
    requireDefinition,
    orgOf,
    departmentActor,
    parentOf,
    active,
    loadCases,
  };
}
