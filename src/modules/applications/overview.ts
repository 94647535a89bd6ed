import { AppError, notFound } from '../../core/errors.ts';
import type { Db } from '../../db/database.ts';
import { chinaDate } from '../../core/values.ts';
import type { Principal } from '../identity/index.ts';
import { can } from '../identity/index.ts';
import * as repo from './applications.repository.ts';

/** Administrators and supervisors see the overview of their subtree. */
const LEAF_LEVELS = new Set(['village', 'department']);
const CHILD_PAGE = 200;
const MAX_CHILDREN = 5000;

interface OrgNode {
  code: string;
  name: string;
  level: string;
  path: string;
}

export interface OverviewOrgs {
  getOrg(code: string): Promise<OrgNode | null>;
  getAncestors(code: string): Promise<OrgNode[]>;
  listChildren(code: string, page: { after?: string; limit?: number }): Promise<{ items: OrgNode[]; next: string | null }>;
}

export interface OverviewRow {
  code: string;
  name: string;
  level: string;
  open: number;
  overdue: number;
  /** Whether there is a level below to drill into. */
  leaf: boolean;
}

export interface OverviewDto {
  org: { code: string; name: string; level: string };
  /** The nodes above it that the caller may also open, from the top down (for breadcrumbs). */
  trail: { code: string; name: string; level: string }[];
  today: string;
  totals: { open: number; overdue: number };
  /** One row per child org (every child, also those without open cases), in code order. */
  children: OverviewRow[];
}

/**
 * 四级总览 (city → county → township → village): open and overdue cases of a node and of each of
 * its children, in one grouped query over the path index. Overdue is the SLA clock's
 * (sla-clock.ts): `due_date` has moved by the working days a case waited for correction, and a
 * returned case is not open, so the counts need no other input.
 */
export function createOverviewService(deps: { db: Db; orgs: OverviewOrgs; clock?: () => Date }) {
  const { db, orgs } = deps;
  const clock = deps.clock ?? (() => new Date());

  async function allChildren(code: string): Promise<OrgNode[]> {
    const out: OrgNode[] = [];
    let after: string | undefined;
    do {
      const page = await orgs.listChildren(code, { limit: CHILD_PAGE, ...(after ? { after } : {}) });
      out.push(...page.items);
      after = page.next ?? undefined;
    } while (after && out.length < MAX_CHILDREN);
    return out;
  }

  return {
    async overview(principal: Principal, orgCode: string): Promise<OverviewDto> {
      if (principal.kind !== 'staff' || principal.actingFor) throw new AppError('FORBIDDEN');
      const org = await orgs.getOrg(orgCode.trim());
      if (!org || !can(principal, 'overview.view', { orgPath: org.path })) throw notFound('org');
      const today = chinaDate(clock());
      const node = { code: org.code, name: org.name, level: org.level };
      const trail = (await orgs.getAncestors(org.code))
        .filter((a) => a.code !== org.code && can(principal, 'overview.view', { orgPath: a.path }))
        .map((a) => ({ code: a.code, name: a.name, level: a.level }));
      if (LEAF_LEVELS.has(org.level)) {
        return { org: node, trail, today, totals: await repo.countOpenAt(db, org.code, today), children: [] };
      }
      const [children, counts] = await Promise.all([allChildren(org.code), repo.countOpenBelow(db, org.path, today)]);
      const byChild = new Map(counts.map((c) => [c.child, c]));
      const rows: OverviewRow[] = children.map((c) => ({
        code: c.code,
        name: c.name,
        level: c.level,
        open: byChild.get(c.code)?.open ?? 0,
        overdue: byChild.get(c.code)?.overdue ?? 0,
        leaf: LEAF_LEVELS.has(c.level),
      }));
      const totals = counts.reduce((t, c) => ({ open: t.open + c.open, overdue: t.overdue + c.overdue }), { open: 0, overdue: 0 });
      return { org: node, trail, today, totals, children: rows };
    },
  };
}

export type OverviewService = ReturnType<typeof createOverviewService>;
