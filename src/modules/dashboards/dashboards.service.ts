import { AppError, notFound } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { chinaDate } from '../../core/values.ts';
import type { Db } from '../../db/database.ts';
import { isFullyOnline, onlineRate, type ServiceItem } from '../catalog/index.ts';
import { can, type Principal } from '../identity/index.ts';
import { COUNTER_NAMES, type Counters, zeroCounters } from './counting.ts';
import * as repo from './dashboards.repository.ts';
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
    getOrg(code: string): Promise<OrgNode | null>;
    getAncestors(code: string): Promise<OrgNode[]>;
    listChildren(code: string, page: { after?: string; limit?: number }): Promise<{ items: OrgNode[]; next: string | null }>;
  };
  catalog: { listItems(filter: { q?: string; category?: string }): Promise<ServiceItem[]> };
  /** 好差评 figures of an org's subtree (the ratings module's own read, its own access check). */
  ratings: {
    figures(
      principal: Principal,
      orgCode: string,
    ): Promise<{
      ratings: number;
      good: number;
      bad: number;
      goodRate: number | null;
      realNameBad: number;
      calledBack: number;
      callbackRate: number | null;
      rectified: number;
      rectifiedOnTime: number;
      rectificationsOpen: number;
    }>;
  };
  clock?: () => Date;
}

export type DashboardsService = ReturnType<typeof createDashboardsService>;

const LEAF_LEVELS = new Set(['village', 'department']);
const MAX_PERIOD_DAYS = 366;
const DEFAULT_PERIOD_DAYS = 30;
const CHILD_PAGE = 200;
const CATALOG_CACHE_MS = 60_000;
const MAX_CHILDREN = 5000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A China date moved by whole days. */
const shiftDate = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

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
  };
}

function period(query: { from?: string | undefined; to?: string | undefined }, today: string): { from: string; to: string } {
  const to = query.to ?? today;
  const from = query.from ?? shiftDate(to, -(DEFAULT_PERIOD_DAYS - 1));
  const valid =
    DATE.test(from) &&
    DATE.test(to) &&
    !Number.isNaN(Date.parse(from)) &&
    !Number.isNaN(Date.parse(to)) &&
    from <= to &&
    (Date.parse(to) - Date.parse(from)) / 86_400_000 < MAX_PERIOD_DAYS;
  if (!valid) throw new AppError('VALIDATION_FAILED', { detail: message('dashboards.period', { days: MAX_PERIOD_DAYS }) });
  return { from, to };
}

/**
 * 督查 dashboards per level (province → city → county → township → village): the figures an org
 * is assessed on, for it and for each child (drill-down), per service, and per day, read from the
 * incrementally kept aggregate (one indexed read per table), never by scanning the cases.
 */
export function createDashboardsService(deps: DashboardsDeps) {
  const { db, orgs } = deps;
  const clock = deps.clock ?? (() => new Date());

  async function visibleOrg(principal: Principal, orgCode: string): Promise<OrgNode> {
    if (principal.kind !== 'staff' || principal.actingFor) throw new AppError('FORBIDDEN');
    const org = await orgs.getOrg(orgCode.trim());
    if (!org || !can(principal, 'dashboard.view', { orgPath: org.path })) throw notFound('org');
    return org;
  }

  // The catalogue changes rarely; a view reads it at most once a minute per process.
  let items: { at: number; list: Promise<ServiceItem[]> } | null = null;
  function catalogItems(): Promise<ServiceItem[]> {
    const now = Date.now();
    if (!items || now - items.at > CATALOG_CACHE_MS) {
      const list = deps.catalog.listItems({});
      items = { at: now, list };
      list.catch(() => (items = null));
    }
    return items.list;
  }

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

  async function ratingsOf(principal: Principal, orgCode: string): Promise<RatingsSummary | null> {
    try {
      const f = await deps.ratings.figures(principal, orgCode);
      return {
        ratings: f.ratings,
        good: f.good,
        goodRate: f.goodRate,
        bad: f.bad,
        rectified: f.rectified,
        rectificationRate: ratio(f.rectified, f.bad),
        rectifiedOnTime: f.rectifiedOnTime,
        rectificationsOpen: f.rectificationsOpen,
        realNameBad: f.realNameBad,
        calledBack: f.calledBack,
        callbackRate: f.callbackRate,
      };
    } catch (error) {
      // Someone who may see the dashboard but not the ratings (no such role today) sees no rating figures.
      if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  const service = {
    async view(
      principal: Principal,
      orgCode: string,
      query: { from?: string | undefined; to?: string | undefined },
    ): Promise<DashboardView> {
      const org = await visibleOrg(principal, orgCode);
      const { from, to } = period(query, chinaDate(clock()));
      const leaf = LEAF_LEVELS.has(org.level);
      const [ancestors, children, items] = await Promise.all([
        orgs.getAncestors(org.code),
        leaf ? Promise.resolve([]) : allChildren(org.code),
        catalogItems(),
      ]);
      const [trend, perChild, perService, ratings] = await Promise.all([
        repo.readTrend(db, org.code, from, to),
        repo.readPerOrg(
          db,
          children.map((c) => c.code),
          from,
          to,
        ),
        repo.readPerService(db, org.code, from, to),
        ratingsOf(principal, org.code),
      ]);
      // The period's totals are the sum of its days (the same rows): one read fewer.
      const totals = zeroCounters();
      for (const day of trend) for (const name of COUNTER_NAMES) totals[name] += day.counters[name];
      const byCode = new Map(items.map((i) => [i.code, i]));
      const online = onlineRate(items);
      const serviceCodes = [...new Set([...perService.keys()])].sort();
      const empty = figuresOf(zeroCounters());
      return {
        org: { code: org.code, name: org.name, level: org.level },
        trail: ancestors
          .filter((a) => a.code !== org.code && can(principal, 'dashboard.view', { orgPath: a.path }))
          .map((a) => ({ code: a.code, name: a.name, level: a.level })),
        from,
        to,
        online: { items: online.items, online: online.online, rate: Math.round(online.rate * 10_000) / 10_000 },
        figures: figuresOf(totals),
        ratings,
        children: children.map((c) => {
          const counters = perChild.get(c.code);
          return {
            code: c.code,
            name: c.name,
            level: c.level,
            leaf: LEAF_LEVELS.has(c.level),
            figures: counters ? figuresOf(counters) : empty,
          };
        }),
        services: serviceCodes.map((code) => {
          const item = byCode.get(code);
          return {
            code,
            nameZh: item?.nameZh ?? code,
            nameEn: item?.nameEn ?? code,
            fullyOnlineItem: item ? isFullyOnline(item) : false,
            promisedDays: item?.timeLimitDays ?? null,
            legalDays: item?.legalLimitDays ?? null,
            figures: figuresOf(perService.get(code)!),
          };
        }),
        trend: trend.map((t) => ({ day: t.day, submitted: t.counters.submitted, decided: t.counters.decided, onTime: t.counters.onTime })),
        queue: { orgCode: org.code, link: `/console?orgCode=${encodeURIComponent(org.code)}&overdue=1` },
      };
    },

    /** One table of the view as CSV or Excel, Chinese headers, the very numbers of the view. */
    async exportTable(
      principal: Principal,
      orgCode: string,
      query: { table: ExportTable; format: ExportFormat; from?: string | undefined; to?: string | undefined },
    ): Promise<{ filename: string; contentType: string; body: Buffer }> {
      const view = await service.view(principal, orgCode, query);
      const table = tableOf(view, query.table);
      const body = query.format === 'csv' ? toCsv(table) : await toXlsx(table);
      return {
        filename: `dashboard-${view.org.code}-${query.table}-${view.from}-${view.to}.${query.format}`,
        contentType: CONTENT_TYPES[query.format],
        body,
      };
    },
  };
  return service;
}
