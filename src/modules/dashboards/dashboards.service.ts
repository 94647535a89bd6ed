import { createHash } from 'node:crypto';
import { AppError, notFound } from '../../core/errors.ts';
import { chinaDate } from '../../core/values.ts';
import type { Db } from '../../db/database.ts';
import { isFullyOnline, onlineRate, type ServiceItem } from '../catalog/index.ts';
import { can, type Principal } from '../identity/index.ts';
import { type Counters, zeroCounters } from './counting.ts';
import * as repo from './dashboards.repository.ts';
import { period, periodTerms } from './period.ts';
import { createTtlCache } from './ttl-cache.ts';
import { CONTENT_TYPES, type ExportFormat, type ExportTable, tableOf, toCsv, toXlsx } from './exports.ts';
import type { DashboardView, Figures, RatingsSummary } from './dashboards.schemas.ts';

interface OrgNode {
  code: string;
  name: string;
  level: string;
  path: string;
}

/** The narrow parts of other modules the dashboards read (app.ts hands them over). */
export interface DashboardsDeps {
  db: Db;
  orgs: {
    /** Through the orgs module's per-process cache (a minute at most). */
    byCode(code: string): Promise<OrgNode | null>;
    listChildren(code: string, page: { after?: string; limit?: number }): Promise<{ items: OrgNode[]; next: string | null }>;
  };
  catalog: { listItems(filter: { q?: string; category?: string }): Promise<ServiceItem[]> };
  clock?: () => Date;
}

export type DashboardsService = ReturnType<typeof createDashboardsService>;

const LEAF_LEVELS = new Set(['village', 'department']);
const CHILD_PAGE = 200;
const MAX_CHILDREN = 5000;
/** The catalogue and the org tree change rarely (a division reload shows within the orgs module's own minute). */
const CATALOG_CACHE_MS = 60_000;
const CHILDREN_CACHE_MS = 60_000;

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

/** The figures of a set of counters: counts and the rates the assessments use. */
function figuresOf(c: Counters): Figures {
  return {
    submitted: c.submitted,
    submittedOnline: c.submittedOnline,
    decided: c.decided,
    onTime: c.onTime,
    onTimeRate: ratio(c.onTime, c.decided),
    firstTime: c.firstTime,
    firstTimeRate: ratio(c.firstTime, c.decided),
    fullyOnline: c.fullyOnline,
    fullyOnlineRate: ratio(c.fullyOnline, c.decided),
    counterTrips: c.counterTrips,
    tripsPerCase: ratio(c.counterTrips, c.decided),
    averageWorkingDays: c.decided === 0 ? null : Math.round(c.workingMilli / c.decided) / 1000,
    instant: c.instant,
    instantRate: ratio(c.instant, c.decided),
    certificates: c.certificates,
    exchanges: c.exchangesConsumed,
    exchangesProvided: c.exchangesProvided,
  };
}
const EMPTY_FIGURES = figuresOf(zeroCounters());

/** 好差评 of the ratings given in the period: each step (a callback, a reply, an appeal) counted on its rating's day. */
function ratingsOf(c: Counters): RatingsSummary {
  return {
    ratings: c.ratings,
    good: c.ratingsGood,
    goodRate: ratio(c.ratingsGood, c.ratings),
    bad: c.ratingsBad,
    rectified: c.rectified,
    rectificationRate: ratio(c.rectified, c.ratingsBad),
    rectifiedOnTime: c.rectifiedOnTime,
    rectificationsOpen: c.rectifications - c.rectified,
    realNameBad: c.realNameBad,
    calledBack: c.calledBack,
    callbackRate: ratio(c.calledBack, c.realNameBad),
  };
}

/** The entity tag of an answer: its bytes' digest. */
const tagOf = (json: string) => `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;

/** Whether an If-None-Match header names this tag (weak or strong, or `*`). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

/**
 * 督查 dashboards per level (province → city → county → township → village): the figures an org
 * is assessed on, for it and for each child (drill-down), per service, and per day, read from the
 * incrementally kept aggregate in one statement (whole years and months from their own rows),
 * never by scanning the cases or the ratings. The org tree and the catalogue come from
 * short-lived per-process caches.
 */
export function createDashboardsService(deps: DashboardsDeps) {
  const { db, orgs } = deps;
  const clock = deps.clock ?? (() => new Date());

  async function visibleOrg(principal: Principal, orgCode: string): Promise<OrgNode> {
    if (principal.kind !== 'staff' || principal.actingFor) throw new AppError('FORBIDDEN');
    const org = await orgs.byCode(orgCode.trim());
    if (!org || !can(principal, 'dashboard.view', { orgPath: org.path })) throw notFound('org');
    return org;
  }

  interface Catalogue {
    byCode: Map<string, ServiceItem>;
    online: { items: number; online: number; rate: number };
  }
  const catalogCache = createTtlCache<Catalogue>({ ttlMs: CATALOG_CACHE_MS, max: 1 });
  const catalogue = () =>
    catalogCache.get('', async () => {
      const items = await deps.catalog.listItems({});
      const online = onlineRate(items);
      return {
        byCode: new Map(items.map((i) => [i.code, i])),
        online: { items: online.items, online: online.online, rate: Math.round(online.rate * 10_000) / 10_000 },
      };
    });

  const childrenCache = createTtlCache<OrgNode[]>({ ttlMs: CHILDREN_CACHE_MS });
  const childrenOf = (code: string) =>
    childrenCache.get(code, async () => {
      const out: OrgNode[] = [];
      let after: string | undefined;
      do {
        const page = await orgs.listChildren(code, { limit: CHILD_PAGE, ...(after ? { after } : {}) });
        out.push(...page.items);
        after = page.next ?? undefined;
      } while (after && out.length < MAX_CHILDREN);
      return out;
    });

  /** The orgs above, province first (the path's codes, through the org cache). */
  async function ancestorsOf(org: OrgNode): Promise<OrgNode[]> {
    const codes = org.path.split('.').filter((c) => c !== org.code);
    const found = await Promise.all(codes.map((c) => orgs.byCode(c)));
    return found.filter((o): o is OrgNode => o !== null);
  }

  async function view(
    principal: Principal,
    orgCode: string,
    query: { from?: string | undefined; to?: string | undefined },
  ): Promise<DashboardView> {
    const org = await visibleOrg(principal, orgCode);
    const { from, to } = period(query, chinaDate(clock()));
    const leaf = LEAF_LEVELS.has(org.level);
    const [ancestors, children, cat] = await Promise.all([
      ancestorsOf(org),
      leaf ? Promise.resolve([]) : childrenOf(org.code),
      catalogue(),
    ]);
    const counts = await repo.readView(db, {
      orgCode: org.code,
      childCodes: children.map((c) => c.code),
      from,
      to,
      terms: periodTerms(from, to),
    });
    const totals = counts.perOrg.get(org.code);
    return {
      org: { code: org.code, name: org.name, level: org.level },
      trail: ancestors
        .filter((a) => can(principal, 'dashboard.view', { orgPath: a.path }))
        .map((a) => ({ code: a.code, name: a.name, level: a.level })),
      from,
      to,
      online: cat.online,
      figures: totals ? figuresOf(totals) : EMPTY_FIGURES,
      // Someone who may see the dashboard but not the ratings (no such role today) sees no rating figures.
      ratings: can(principal, 'rating.view', { orgPath: org.path }) ? ratingsOf(totals ?? zeroCounters()) : null,
      children: children.map((c) => {
        const counters = counts.perOrg.get(c.code);
        return {
          code: c.code,
          name: c.name,
          level: c.level,
          leaf: LEAF_LEVELS.has(c.level),
          figures: counters ? figuresOf(counters) : EMPTY_FIGURES,
        };
      }),
      services: [...counts.perService.keys()].sort().map((code) => {
        const item = cat.byCode.get(code);
        return {
          code,
          nameZh: item?.nameZh ?? code,
          nameEn: item?.nameEn ?? code,
          fullyOnlineItem: item ? isFullyOnline(item) : false,
          promisedDays: item?.timeLimitDays ?? null,
          legalDays: item?.legalLimitDays ?? null,
          figures: figuresOf(counts.perService.get(code)!),
        };
      }),
      trend: counts.trend,
      queue: { orgCode: org.code, link: `/console?orgCode=${encodeURIComponent(org.code)}&overdue=1` },
    };
  }

  const service = {
    view,

    /**
     * The view as its JSON text with an entity tag: null text when the caller's If-None-Match
     * names the tag (HTTP 304: the browser keeps the copy it has).
     */
    async viewJson(
      principal: Principal,
      orgCode: string,
      query: { from?: string | undefined; to?: string | undefined },
      ifNoneMatch?: string,
    ): Promise<{ etag: string; json: string | null }> {
      const json = JSON.stringify(await view(principal, orgCode, query));
      const etag = tagOf(json);
      return { etag, json: matches(ifNoneMatch, etag) ? null : json };
    },

    /** One table of the view as CSV or Excel, Chinese headers, the very numbers of the view. */
    async exportTable(
      principal: Principal,
      orgCode: string,
      query: { table: ExportTable; format: ExportFormat; from?: string | undefined; to?: string | undefined },
    ): Promise<{ filename: string; contentType: string; body: Buffer }> {
      const v = await view(principal, orgCode, query);
      const table = tableOf(v, query.table);
      const body = query.format === 'csv' ? toCsv(table) : await toXlsx(table);
      return {
        filename: `dashboard-${v.org.code}-${query.table}-${v.from}-${v.to}.${query.format}`,
        contentType: CONTENT_TYPES[query.format],
        body,
      };
    },
  };
  return service;
}
