import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createServices, type Services } from '../app.ts';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database, type Db } from '../db/database.ts';
import { importCaseHistory } from '../modules/applications/index.ts';
import { INSURANCE_SERVICE_CODES, type ServiceItemDef } from '../modules/catalog/index.ts';
import { AppError } from '../core/errors.ts';
import { chinaDate } from '../core/values.ts';
import { makeResidentId, type Principal } from '../modules/identity/index.ts';
import {
  chinaDayStart,
  computeServiceFigures,
  createWorkingClock,
  type FiguresItem,
  type WorkingClock,
} from '../modules/insurance/index.ts';
import { loginAs } from './demo-cases.ts';
import { seedPlatform } from './demo-data.ts';
import { DEMO_COUNTY, DEMO_PASSWORD, DEMO_VILLAGE } from './demo-people.ts';
import {
  AFTER_YEAR,
  atHour,
  BEFORE_YEAR,
  COUNTER_ONLY_BEFORE,
  DAY,
  DEMAND,
  drawCases,
  FILING,
  fitScale,
  historyOf,
  officeHours,
  perServiceMean,
  place,
  SEED_AFTER_DAYS,
  SEED_BEFORE_DAYS,
  seededRandom,
  SUSPENDED_FILER_SHARE,
} from './insurance-figures-draws.ts';

export { AFTER_YEAR, BEFORE_YEAR, COUNTER_ONLY_BEFORE, SEED_AFTER_DAYS, SEED_BEFORE_DAYS } from './insurance-figures-draws.ts';

/**
 * 医保服务“前后对比” (before and after) on generated data: a year of cases of the 43 medical
 * insurance services at 正定县's medical security bureau as the catalogue was, and a year as it is,
 * each measured by the dashboard's own figures (insurance/service-figures.ts).
 *
 * - Before (2025): the catalogue with six services counter-only (37 of 43 online, 86.0 %, the
 *   closest count to the seed story's 85 %), no rule: officers decide every case. Each case's
 *   working time is its service's legal limit × a draw S (the mean of three uniforms: 0…1, mean
 *   ½) × a scale `c`; `c` is the one fitted number: chosen (bisection, before anything is
 *   written) so that the average working days per service come out at the seed's 8.22.
 * - After (2026): the catalogue in force (43 of 43 online) and its instant filing rule. 异地就医备案
 *   goes through the real flow: residents submit in the app, and the `case.submitted` handler
 *   (instant) reads the insured persons dataset through an exchange, decides with the rule and
 *   approves as the system, seconds later; a suspended person's filing stays for an officer, who
 *   refuses it through `applications.act` after a drawn time. Every other service is decided by an
 *   officer after promised limit × S × the same `c`: the offices are assumed to use the same
 *   share of the limit that binds them, the promised one once it is published with each case's
 *   due date. That assumption, not a measurement, is what makes the after figure; the maternity
 *   allowance, which the benefits module opens and decides with no person, is left to officers
 *   here, which is conservative.
 *
 * Durations are placed on the calendar with the same working-day clock the figures use:
 * submissions online any day 08:00–22:00, at a counter on working days 09:00–17:00; officers act
 * on working days 09:00–17:30; one case in twenty is returned for correction once, and the days
 * it waits for the resident do not count. Cases an officer decides are written as history in
 * batches (applications' importCaseHistory); filings are submitted one by one, as residents do.
 * Seeded random (mulberry32): the same options give the same cases.
 */

const DESTINATIONS = ['440106', '110105', '310115', '440305', '500103'];
const NAMES = ['王秀兰', '李建国', '张桂英', '刘志强', '陈淑珍', '杨国华', '赵丽娟', '黄建军', '周玉梅', '吴德明', '孙春花', '马文斌'];

export interface InsuranceFiguresDemoOptions {
  /** Cases a year per unit of demand (DEMAND); 20 gives about 1,500 cases a year, 200 of them filings. */
  scale?: number;
  /** The random seed. */
  seed?: number;
  masterKey?: Buffer;
  log?: (line: string) => void;
}

type Figures = Awaited<ReturnType<typeof computeServiceFigures>>;

export interface InsuranceFiguresDemoResult {
  before: Figures;
  after: Figures;
  /** The fitted scale of the drawn working times (see above). */
  scale: number;
  cases: { before: number; after: number; filingsThroughTheRule: number };
  seconds: { seed: number; before: number; after: number; figures: number };
}

/**
 * Generates both years on a fresh, migrated database (it seeds the platform's data for 正定县
 * first) and measures them. About 1,500 cases a year at the default scale.
 */
export async function generateInsuranceFiguresDemo(
  database: Database,
  options: InsuranceFiguresDemoOptions = {},
): Promise<InsuranceFiguresDemoResult> {
  const log = options.log ?? (() => undefined);
  const scale = options.scale ?? 20;
  const random = seededRandom(options.seed ?? 20_260_101);
  const started = performance.now();
  let now = new Date(`${BEFORE_YEAR - 1}-12-15T09:00:00+08:00`);
  const services = createServices(database, { masterKey: options.masterKey ?? randomBytes(32), clock: () => now, codeSender: null });
  const byKind = await seedPlatform(database, services, { divisions: { prefix: DEMO_COUNTY } });
  const bureau = (await services.orgs.getOrg(byKind.medical_security!))!;
  const at = { orgCode: bureau.code, orgPath: bureau.path };
  const county = (await services.orgs.getOrg(DEMO_COUNTY))!;
  const { residents, suspended } = await insuredResidents(services);
  const officers: string[] = [];
  for (const [i, name] of ['赵敏', '钱磊', '孙倩'].entries()) {
    const { accountId } = await services.identityAdmin.ensureStaff({
      username: `zd-medsec-${'abc'[i]}`,
      name,
      password: DEMO_PASSWORD,
      roles: [{ role: 'department_officer', orgCode: bureau.code }],
    });
    officers.push(accountId);
  }
  const officer = await loginAs(services, { kind: 'staff', username: 'zd-medsec-a', password: DEMO_PASSWORD, channel: 'web' });
  const people = { applicants: residents.map((r) => r.accountId), officers };
  const seeded = performance.now();

  const current = await currentItems(services);
  const beforeItems: FiguresItem[] = current.map((i) =>
    COUNTER_ONLY_BEFORE.includes(i.code) ? { ...i, online: false, channels: ['window'] } : i,
  );
  const clock = createWorkingClock(`${BEFORE_YEAR - 1}-12-01`, `${AFTER_YEAR + 1}-01-31`);

  // Before: every case an officer's, the scale fitted to the seed's 8.22.
  const beforeDraws = drawCases(random, beforeItems, (i) => i.legalLimitDays ?? i.timeLimitDays, scale, BEFORE_YEAR);
  const c = fitScale(beforeDraws, clock, SEED_BEFORE_DAYS);
  const placedBefore = beforeDraws.map((d) => place(d, c, clock, BEFORE_YEAR));
  log(
    `scale fitted to ${SEED_BEFORE_DAYS} working days per service: ${c.toFixed(4)} (mean ${perServiceMean(beforeDraws, placedBefore).toFixed(4)})`,
  );
  const before = beforeDraws.map((d, i) => historyOf(d, placedBefore[i]!, at, people));
  await importCaseHistory(database.db, before);
  const beforeDone = performance.now();

  // After: officers within the promised limits, filings through the rule.
  const afterDraws = drawCases(random, current, (i) => i.timeLimitDays, scale, AFTER_YEAR);
  const after = afterDraws.map((d) => historyOf(d, place(d, c, clock, AFTER_YEAR), at, people));
  await importCaseHistory(database.db, after);
  const filings = await fileThroughTheRule({
    db: database.db,
    services,
    random,
    count: Math.max(2, Math.round((DEMAND[FILING] ?? 1) * scale)),
    clock,
    scale: c,
    residents,
    suspended,
    officer,
    setNow: (t) => (now = t),
  });
  const afterDone = performance.now();

  const beforeFigures = await computeServiceFigures(database.db, {
    items: beforeItems,
    orgPath: county.path,
    from: `${BEFORE_YEAR}-01-01`,
    to: `${BEFORE_YEAR}-12-31`,
  });
  const afterFigures = await computeServiceFigures(database.db, {
    items: await currentItems(services),
    orgPath: county.path,
    from: `${AFTER_YEAR}-01-01`,
    to: `${AFTER_YEAR}-12-31`,
  });
  const done = performance.now();
  return {
    before: beforeFigures,
    after: afterFigures,
    scale: c,
    cases: { before: before.length, after: after.length + filings.submitted, filingsThroughTheRule: filings.instant },
    seconds: {
      seed: (seeded - started) / 1000,
      before: (beforeDone - seeded) / 1000,
      after: (afterDone - beforeDone) / 1000,
      figures: (done - afterDone) / 1000,
    },
  };
}

/** The 43 as the catalogue has them now. */
async function currentItems(services: Services): Promise<ServiceItemDef[]> {
  const items = await Promise.all(INSURANCE_SERVICE_CODES.map((code) => services.catalog.getItem(code)));
  return items.filter((i): i is NonNullable<typeof i> => i !== null);
}

/** Residents of the county, insured (one suspended), with their records in the bureau's dataset. */
async function insuredResidents(
  services: Services,
): Promise<{ residents: (Principal & { phone: string })[]; suspended: Principal & { phone: string } }> {
  const residents: (Principal & { phone: string })[] = [];
  for (const [i, name] of NAMES.entries()) {
    const residentId = makeResidentId(DEMO_COUNTY, `19${60 + i}-0${1 + (i % 9)}-1${i % 10}`, 700 + i);
    const phone = `1370311${String(4000 + i).padStart(4, '0')}`;
    try {
      await services.identity.registerResident({ name, residentId, phone, password: DEMO_PASSWORD, homeOrgCode: DEMO_VILLAGE });
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'ALREADY_REGISTERED')) throw error;
    }
    const principal = await loginAs(services, { kind: 'resident', residentIdOrPhone: residentId, password: DEMO_PASSWORD, channel: 'app' });
    const status = i === NAMES.length - 1 ? '暂停参保' : '正常参保';
    await services.sharingAdmin.upsertRecords('medsec.insured_person', [
      {
        residentId,
        data: { name, insuredRegion: '河北省石家庄市正定县', insuranceType: '城乡居民基本医疗保险', status, enrolledSince: '2016-01-01' },
      },
    ]);
    residents.push({ ...principal, phone });
  }
  return { residents: residents.slice(0, -1), suspended: residents[residents.length - 1]! };
}

/**
 * The outbox stamps an event with the database's time (`available_at` defaults to now()) and the
 * worker takes those due by the services' clock: under a simulated clock in the past, nothing
 * would be due until the simulation passed the real date. The generator makes the events written
 * so far due at the simulated instant (a throwaway database; never done outside this generator).
 */
async function releaseOutbox(db: Db, at: Date): Promise<void> {
  await db.execute(
    sql`update outbox set available_at = ${at.toISOString()}::timestamptz where processed_at is null and available_at > ${at.toISOString()}::timestamptz`,
  );
}

/**
 * 异地就医备案 as residents file it in the app, in time order: each filing submitted at its drawn
 * time, the outbox drained a few seconds later (the rule decides then), and a suspended person's
 * filing refused by an officer after a drawn working time within the promised limit.
 */
async function fileThroughTheRule(input: {
  db: Db;
  services: Services;
  random: () => number;
  count: number;
  clock: WorkingClock;
  scale: number;
  residents: readonly (Principal & { phone: string })[];
  suspended: Principal & { phone: string };
  officer: Principal;
  setNow: (t: Date) => void;
}): Promise<{ submitted: number; instant: number }> {
  const { services, random, clock } = input;
  const first = chinaDayStart(`${AFTER_YEAR}-01-01`).getTime();
  const last = chinaDayStart(`${AFTER_YEAR}-12-20`).getTime();
  type Step = { at: Date; run: () => Promise<void> };
  const steps: Step[] = [];
  const submittedIds: string[] = [];
  for (let i = 0; i < input.count; i++) {
    const day = new Date(first + Math.floor(random() * ((last - first) / DAY)) * DAY);
    const at = atHour(day, 7 + 15 * random());
    const isSuspended = random() < SUSPENDED_FILER_SHARE;
    const who = isSuspended ? input.suspended : input.residents[Math.floor(random() * input.residents.length)]!;
    const destination = DESTINATIONS[Math.floor(random() * DESTINATIONS.length)]!;
    const lag = 1 + 3 * random();
    const s = (random() + random() + random()) / 3;
    const uDecision = random();
    steps.push({
      at,
      run: async () => {
        const { case: kase } = await services.applications.submit(who, {
          serviceCode: FILING,
          form: {
            name: who.name,
            insuredRegion: '河北省石家庄市正定县',
            insuranceType: '城乡居民基本医疗保险',
            phone: who.phone,
            kind: 'temporary',
            destination,
            startDate: chinaDate(new Date(at.getTime() + (1 + Math.floor(random() * 20)) * DAY)),
          },
        });
        submittedIds.push(kase.id);
        const decidedAt = new Date(at.getTime() + lag * 1000);
        input.setNow(decidedAt);
        await releaseOutbox(input.db, decidedAt);
        await services.events.drain();
        if (isSuspended) {
          const decided = officeHours(clock.instantAt(clock.at(at) + Math.max(0.02, s * input.scale)), at, uDecision);
          steps.push({
            at: decided,
            run: async () => {
              await services.applications.act(input.officer, kase.id, 'reject', '参保状态暂停，不予备案 · the insurance is suspended');
            },
          });
          steps.sort((a, b) => a.at.getTime() - b.at.getTime());
        }
      },
    });
  }
  steps.sort((a, b) => a.at.getTime() - b.at.getTime());
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    input.setNow(step.at);
    await step.run();
  }
  await releaseOutbox(input.db, steps.at(-1)?.at ?? new Date(last));
  await services.events.drain();
  let instant = 0;
  for (const id of submittedIds) {
    const kase = await services.applications.getCase(input.officer, id);
    if (kase.ruleDecisions?.some((r) => r.outcome === 'eligible') && (kase.state === 'approved' || kase.state === 'completed')) instant++;
  }
  return { submitted: submittedIds.length, instant };
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);
const days = (x: number | null) => (x === null ? '—' : x.toFixed(2));

/** The comparison as lines of text (the CLI below and the test log print it). */
export function formatComparison(result: InsuranceFiguresDemoResult): string[] {
  const { before, after } = result;
  return [
    `医保 43 项服务 前后对比 · before (${BEFORE_YEAR}) and after (${AFTER_YEAR}), 正定县, ${result.cases.before} and ${result.cases.after} cases`,
    `网上可办率 online rate: ${pct(before.online.rate)} (${before.online.fullyOnline}/${before.online.services}) → ${pct(after.online.rate)} (${after.online.fullyOnline}/${after.online.services})`,
    `平均办理工作日（按事项）average working days per service: ${days(before.overall.averageWorkingDays)} → ${days(after.overall.averageWorkingDays)} (seed story: ${SEED_BEFORE_DAYS} → ${SEED_AFTER_DAYS})`,
    `平均办理工作日（按件）per case: ${days(before.overall.averageWorkingDaysPerCase)} → ${days(after.overall.averageWorkingDaysPerCase)}`,
    `秒批占比 share decided instantly by a rule: ${pct(before.overall.instantShare)} → ${pct(after.overall.instantShare)} (${after.overall.instant} of ${after.overall.decided}; ${result.cases.filingsThroughTheRule} filings through the rule)`,
    `generated in ${(result.seconds.seed + result.seconds.before + result.seconds.after + result.seconds.figures).toFixed(1)} s (seed ${result.seconds.seed.toFixed(1)}, before ${result.seconds.before.toFixed(1)}, after ${result.seconds.after.toFixed(1)}, figures ${result.seconds.figures.toFixed(1)})`,
  ];
}

// npx tsx src/demo/insurance-figures-demo.ts [scale]: a fresh in-memory database, both years, the comparison.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const database = await openDatabase({ engine: 'pglite', memory: true });
  try {
    await database.migrate();
    const result = await generateInsuranceFiguresDemo(database, { scale: Number(process.argv[2] ?? 20), log: (l) => console.log(l) });
    for (const line of formatComparison(result)) console.log(line);
  } finally {
    await database.close();
  }
}
