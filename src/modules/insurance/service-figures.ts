import { AppError, notFound } from '../../core/errors.ts';
import type { Bilingual } from '../../core/messages.ts';
import type { Db } from '../../db/database.ts';
import { earliestSubmission, readCaseDurations } from '../applications/index.ts';
import { INSURANCE_SERVICE_CODES, isFullyOnline, type CatalogService, type ServiceItemDef } from '../catalog/index.ts';
import { can, grantsFor, type Principal } from '../identity/index.ts';
import type { OrgsService } from '../orgs/index.ts';
import type { ServiceFiguresDto } from './service-figures.schemas.ts';
import { chinaDayNumber, chinaDayStart, createWorkingClock } from './working-clock.ts';

/** What the figures read of a catalogue item: whether it is fully online, its names and its time limits. */
export type FiguresItem = Pick<ServiceItemDef, 'code' | 'nameZh' | 'nameEn' | 'online' | 'channels' | 'timeLimitDays' | 'legalLimitDays'>;

export interface FiguresInput {
  /** The catalogue as it is (or was: the demo's "before" is a copy with some items counter-only). */
  items: readonly FiguresItem[];
  /** The services counted: the 43 by default; one missing from `items` counts as not online. */
  serviceCodes?: readonly string[];
  orgPath: string;
  /** China dates, both included: the cases decided in them. */
  from: string;
  to: string;
}

/** The longest period asked for at once: five years. */
const MAX_PERIOD_DAYS = 5 * 366;
const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-\d{2}-\d{2}$/;

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

function invalid(detail: Bilingual): AppError {
  return new AppError('VALIDATION_FAILED', { detail });
}

/** A real China date of 2000–2099 (the calendar's years), else VALIDATION_FAILED. */
function checkDate(value: string, name: string): void {
  const m = DATE.exec(value);
  const t = Date.parse(`${value}T00:00:00Z`);
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== value || Number(m[1]) < 2000 || Number(m[1]) > 2099) {
    throw invalid({
      zh: `${name} 须为 2000—2099 年间的有效日期（YYYY-MM-DD）`,
      en: `${name} must be a real date of 2000–2099 (YYYY-MM-DD)`,
    });
  }
}

function checkPeriod(from: string, to: string): void {
  checkDate(from, 'from');
  checkDate(to, 'to');
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS;
  if (days < 0) throw invalid({ zh: '开始日期不能晚于结束日期', en: 'from must not be after to' });
  if (days >= MAX_PERIOD_DAYS) throw invalid({ zh: '统计期间最长五年', en: 'The period is at most five years' });
}

/**
 * 医保服务指标 for a period and an org subtree, from the catalogue and the case data:
 *
 * - 网上可办率 (online rate) = services fully online (catalog's `isFullyOnline`) ÷ the services counted (43);
 * - per service, the cases decided in the period, their average working days from first
 *   submission to decision (working-clock.ts: a clock that runs on working days only, 24 h of
 *   each; time returned for correction does not count; a decision the same working day is the
 *   fraction of the day gone by, one a rule made within seconds about 0, and both are counted),
 *   how many a rule decided with no person (秒批), how many were returned, and the promised
 *   (承诺时限) and legal (法定时限) limits;
 * - overall: the average working days per service (the mean of the services' averages, each
 *   service with decided cases counted once, as the published "平均办理时限" is a figure per
 *   service) and per case, and the share decided instantly.
 *
 * The case data is read by the applications module in two set-based statements (case-durations.ts).
 */
export async function computeServiceFigures(db: Db, input: FiguresInput): Promise<Omit<ServiceFiguresDto, 'org'>> {
  checkPeriod(input.from, input.to);
  const codes = input.serviceCodes ?? INSURANCE_SERVICE_CODES;
  const byCode = new Map(input.items.map((i) => [i.code, i]));
  const query = {
    serviceCodes: codes,
    orgPath: input.orgPath,
    from: chinaDayStart(input.from),
    to: new Date(chinaDayStart(input.to).getTime() + DAY_MS),
  };
  const earliest = await earliestSubmission(db, query);
  const fromDay = Date.parse(`${input.from}T00:00:00Z`) / DAY_MS;
  const startDay = earliest ? Math.min(chinaDayNumber(earliest), fromDay) : fromDay;
  const clock = createWorkingClock(new Date(startDay * DAY_MS).toISOString().slice(0, 10), input.to);
  const durations = earliest ? await readCaseDurations(db, query, clock) : [];
  const byService = new Map(durations.map((d) => [d.serviceCode, d]));

  const services = codes.map((code) => {
    const item = byCode.get(code) ?? null;
    const d = byService.get(code);
    const decided = d?.decided ?? 0;
    return {
      code,
      nameZh: item?.nameZh ?? code,
      nameEn: item?.nameEn ?? code,
      fullyOnline: item ? isFullyOnline(item) : false,
      promisedDays: item?.timeLimitDays ?? null,
      legalDays: item?.legalLimitDays ?? null,
      decided,
      averageWorkingDays: d && decided > 0 ? round4(d.workingDays / decided) : null,
      instant: d?.instant ?? 0,
      instantShare: d && decided > 0 ? round4(d.instant / decided) : null,
      returned: d?.returned ?? 0,
    };
  });
  const withCases = durations.filter((d) => d.decided > 0);
  const decided = withCases.reduce((s, d) => s + d.decided, 0);
  const instant = withCases.reduce((s, d) => s + d.instant, 0);
  const fullyOnline = services.filter((s) => s.fullyOnline).length;
  return {
    from: input.from,
    to: input.to,
    online: { services: codes.length, fullyOnline, rate: codes.length === 0 ? 0 : fullyOnline / codes.length },
    overall: {
      decided,
      instant,
      instantShare: decided === 0 ? null : round4(instant / decided),
      returned: withCases.reduce((s, d) => s + d.returned, 0),
      servicesWithCases: withCases.length,
      averageWorkingDays:
        withCases.length === 0 ? null : round4(withCases.reduce((s, d) => s + d.workingDays / d.decided, 0) / withCases.length),
      averageWorkingDaysPerCase: decided === 0 ? null : round4(withCases.reduce((s, d) => s + d.workingDays, 0) / decided),
    },
    services,
  };
}

export interface ServiceFiguresDeps {
  db: Db;
  catalog: Pick<CatalogService, 'getItem'>;
  orgs: Pick<OrgsService, 'getOrg'>;
}

/**
 * The insurance office's dashboard figures. Access is `insurance.view` over the org asked for
 * (the bureau's officers, the administrators and supervisors above it): the figures are the
 * medical insurance services' own, which the console shows beside the office's settlements and
 * policies under the same capability; village reviewers, who hold `case.view` but handle none of
 * these services, do not see them. Without `orgCode`, the caller's one `insurance.view` grant.
 */
export function createServiceFigures(deps: ServiceFiguresDeps) {
  return {
    async figures(principal: Principal, query: { from: string; to: string; orgCode?: string }): Promise<ServiceFiguresDto> {
      if (principal.kind !== 'staff' || principal.actingFor) throw new AppError('FORBIDDEN');
      const grants = [...new Set(grantsFor(principal, 'insurance.view').map((g) => g.orgCode))];
      if (grants.length === 0) throw new AppError('FORBIDDEN');
      const orgCode = query.orgCode ?? (grants.length === 1 ? grants[0]! : null);
      if (!orgCode) throw invalid({ zh: '请指定机构（orgCode）', en: 'Name the org (orgCode)' });
      const org = await deps.orgs.getOrg(orgCode);
      if (!org || !can(principal, 'insurance.view', { orgPath: org.path })) throw notFound('org');
      checkPeriod(query.from, query.to);
      const items = (await Promise.all(INSURANCE_SERVICE_CODES.map((code) => deps.catalog.getItem(code)))).filter(
        (i): i is NonNullable<typeof i> => i !== null && i.active,
      );
      const figures = await computeServiceFigures(deps.db, { items, orgPath: org.path, from: query.from, to: query.to });
      return { org: { code: org.code, name: org.name }, ...figures };
    },
  };
}

export type ServiceFiguresService = ReturnType<typeof createServiceFigures>;
