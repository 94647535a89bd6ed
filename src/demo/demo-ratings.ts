import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createServices } from '../app.ts';
import { openDatabase } from '../db/database.ts';
import { SEED_CERTIFICATE_TYPES, upsertCertificateTypes } from '../modules/certificates/index.ts';
import { SEED_SERVICE_ITEMS } from '../modules/catalog/index.ts';
import { makeResidentId, type Principal } from '../modules/identity/index.ts';
import { ensureDemoDepartments } from '../modules/orgs/index.ts';
import { setRatingPolicy } from '../modules/ratings/index.ts';
import { verifyFiguresBundle } from '../verify/figures-bundle.ts';
import type { FigureCell } from '../verify/figures.ts';
import { DEMO_PASSWORD } from './demo-people.ts';
import { hanDigits } from './han-digits.ts';

const COUNTY = '130123'; // 正定县
const TOWNSHIP = '130123100'; // 正定镇
const PERIOD = '2026-11';
const ADDRESS = '河北省石家庄市正定县正定镇';

/** What `yiban demo ratings --json` prints. */
export interface RatingsReport {
  period: string;
  cases: number;
  /** Counted from the platform's own tables (not the ledger): ratings of the month not set aside on appeal. */
  ratings: number;
  badRatings: number;
  rectifications: number;
  rectifiedOnTime: number;
  /** Called back ÷ real-name bad ratings. */
  callbackRate: number | null;
  escalations: number;
  appeals: { filed: number; overturned: number };
  anonymousRatings: number;
  /** The public figures of the month, per org, as published (recomputed from the ledger leaves by the verifier). */
  publicFigures: Record<string, { name: string; total: FigureCell }>;
  figuresVerified: boolean;
  verification: { status: string; detail?: string; ratingLeaves?: number; range?: { first: number; end: number }; size?: number };
}

/** China time on a day of the month, hour h. */
const at = (day: string, hour: number) => new Date(`${day}T${String(hour).padStart(2, '0')}:00:00+08:00`);

/**
 * Issue 15's demo on a fresh embedded database: a month (November 2026) of residence-proof cases
 * over villages of 正定县, each rated by its applicant (some badly), encounters rated anonymously by
 * SMS, the bad ratings called back (100 %) and rectified (one late, one never: it escalates to the
 * township), an appeal a supervisor overturns; then, after the publication delay, the month's
 * public figures are published and verified from the ledger's leaves and proofs.
 */
export async function runDemoRatings(options: { dataDir?: string } = {}): Promise<RatingsReport> {
  const database = await openDatabase(
    options.dataDir ? { engine: 'pglite', dataDir: options.dataDir } : { engine: 'pglite', memory: true },
  );
  let now = at('2026-10-30', 9);
  try {
    await database.migrate();
    const services = createServices(database, { masterKey: randomBytes(32), clock: () => now });
    await services.orgsAdmin.loadDivisions({ scope: { prefix: COUNTY } });
    await ensureDemoDepartments(database.db);
    await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);
    await upsertCertificateTypes(database.db, SEED_CERTIFICATE_TYPES);
    const county = (await services.orgs.getOrg(COUNTY))!;
    await setRatingPolicy(database.db, { orgPath: county.path, workingDays: 5, basis: '正定县好差评整改办法（演示）' }, now);
    const villages = (await services.orgs.listChildren(TOWNSHIP, { limit: 3 })).items.map((o) => o.code);

    const login = async (input: Parameters<typeof services.identity.login>[0]): Promise<Principal> => {
      const { token } = await services.identity.login(input);
      return (await services.identity.authenticate(token))!;
    };
    const staff = async (role: 'village_reviewer' | 'supervisor', orgCode: string, username: string) => {
      await services.identityAdmin.ensureStaff({ username, name: `演示${role}`, password: DEMO_PASSWORD, roles: [{ role, orgCode }] });
      return login({ kind: 'staff', username, password: DEMO_PASSWORD, channel: 'web' });
    };
    const reviewers = await Promise.all(villages.map((v, i) => staff('village_reviewer', v, `demo-rv-${i}`)));
    const supervisor = await staff('supervisor', COUNTY, 'demo-supervisor');
    const residents: Principal[] = [];
    for (let i = 0; i < 12; i++) {
      const residentId = makeResidentId(COUNTY, `19${60 + i}-0${1 + (i % 9)}-1${i % 10}`, 100 + i);
      await services.identity.registerResident({
        name: `居民${hanDigits(i + 1)}`,
        residentId,
        phone: `1383110${String(1000 + i)}`,
        password: DEMO_PASSWORD,
      });
      residents.push(await login({ kind: 'resident', residentIdOrPhone: residentId, password: DEMO_PASSWORD, channel: 'app' }));
    }

    let cases = 0;
    const rateCase = async (resident: Principal, village: number, level: number) => {
      const { case: c } = await services.applications.submit(resident, {
        serviceCode: 'cert.residence',
        orgCode: villages[village]!,
        form: { address: ADDRESS, residentSince: '2015-05-01', purpose: 'school' },
      });
      await services.applications.act(reviewers[village]!, c.id, 'approve');
      cases++;
      return services.ratings.rateCase(resident, c.id, { level });
    };

    // A rating two days before the month and one after the cut-off: the published range's boundaries.
    await rateCase(residents[0]!, 0, 5);

    // The month: every working morning a few cases in each village, rated at once; about one in six badly.
    const levels = [5, 5, 4, 5, 3, 4, 1, 5, 4, 5, 2, 5];
    const bad: { id: string; rectification: string; village: number; day: string }[] = [];
    let n = 0;
    for (let day = 2; day <= 27; day += 1) {
      const date = `2026-11-${String(day).padStart(2, '0')}`;
      if ([0, 6].includes(new Date(`${date}T12:00:00+08:00`).getUTCDay())) continue;
      for (let v = 0; v < villages.length; v++) {
        now = at(date, 9 + v);
        const level = levels[n % levels.length]!;
        const rating = await rateCase(residents[n % residents.length]!, v, level);
        n++;
        if (rating.rectification) bad.push({ id: rating.id, rectification: rating.rectification.id, village: v, day: date });
      }
    }
    // Window encounters rated by SMS without logging in: anonymous, so no callback is owed.
    let anonymousRatings = 0;
    for (let i = 0; i < 6; i++) {
      now = at('2026-11-16', 14);
      const e = await services.ratings.openEncounter(reviewers[0]!, {
        orgCode: villages[0]!,
        channel: 'window',
        serviceCode: 'cert.residence',
      });
      await services.ratings.rateEncounter(null, e.token, { level: i === 0 ? 2 : 5, via: 'sms' });
      anonymousRatings++;
    }

    // 回访 of every real-name bad rating the next day; replies within the 5 working days, but one
    // late and one never (the last: it escalates); one appealed as malicious and overturned.
    const [appealed, late, never] = [bad[0]!, bad[1]!, bad.at(-1)!];
    for (const b of bad) {
      now = new Date(at(b.day, 16).getTime() + 86_400_000);
      await services.ratings.recordCallback(reviewers[b.village]!, b.id, { outcome: 'reached', note: '已电话回访' });
      if (b === never || b === appealed) continue;
      now = new Date(at(b.day, 17).getTime() + (b === late ? 12 : 2) * 86_400_000);
      await services.ratings.reply(reviewers[b.village]!, b.rectification, '已改进窗口服务流程');
    }
    now = at('2026-11-20', 10);
    const appeal = await services.ratings.appeal(reviewers[appealed.village]!, appealed.id, '该评价与办件无关，系恶意评价');
    const appealId = appeal.appeal!.id;
    await services.ratings.decideAppeal(supervisor, appealId, { decision: 'overturned', note: '经核查属实' });
    now = at('2026-12-02', 8);
    const escalations = (await services.ratings.escalateOverdue(now)).length;

    // After the cut-off (30 Nov + 3 days): one more rating, then the log is sequenced and signed.
    now = at('2026-12-05', 10);
    await rateCase(residents[1]!, 1, 4);
    now = at('2026-12-06', 9);
    await services.ledger.sequenceNow();

    const bundle = await services.publicFigures.bundle(PERIOD);
    const result = verifyFiguresBundle(bundle, await services.ledger.vkey(), { org: COUNTY });
    const names = new Map(bundle.orgs.map((o) => [o.code, o.name]));
    const publicFigures = Object.fromEntries(
      Object.entries(bundle.figures.orgs).map(([code, o]) => [code, { name: names.get(code) ?? code, total: o.total }]),
    );

    // The independent count, from the module's tables.
    const from = at('2026-11-01', 0);
    const to = at('2026-12-01', 0);
    const count = async (q: ReturnType<typeof sql>) => Number((await database.db.execute<{ n: number }>(q)).rows[0]!.n);
    const kept = sql`r.rated_at >= ${from.toISOString()} and r.rated_at < ${to.toISOString()} and not exists (select 1 from rating_appeals a where a.rating_id = r.id and a.decision = 'overturned')`;
    const ratings = await count(sql`select count(*)::int as n from ratings r where ${kept}`);
    const badRatings = await count(sql`select count(*)::int as n from ratings r where ${kept} and r.level <= 2`);
    const realNameBad = await count(
      sql`select count(*)::int as n from ratings r where ${kept} and r.level <= 2 and r.account_id is not null`,
    );
    const calledBack = await count(
      sql`select count(*)::int as n from ratings r where ${kept} and r.level <= 2 and r.account_id is not null and exists (select 1 from rating_callbacks c where c.rating_id = r.id)`,
    );
    const rectifications = await count(
      sql`select count(*)::int as n from rectifications t join ratings r on r.id = t.rating_id where ${kept}`,
    );
    const rectifiedOnTime = await count(
      sql`select count(*)::int as n from rectifications t join ratings r on r.id = t.rating_id where ${kept} and t.replied_at is not null and (t.replied_at at time zone 'Asia/Shanghai')::date <= t.deadline::date`,
    );
    return {
      period: PERIOD,
      cases,
      ratings,
      badRatings,
      rectifications,
      rectifiedOnTime,
      callbackRate: realNameBad === 0 ? null : calledBack / realNameBad,
      escalations,
      appeals: { filed: 1, overturned: 1 },
      anonymousRatings,
      publicFigures,
      figuresVerified: result.status === 'VALID',
      verification:
        result.status === 'VALID'
          ? { status: result.status, ratingLeaves: result.ratingLeaves, range: result.range, size: result.size }
          : { status: result.status, detail: `${result.reason}: ${result.detail}` },
    };
  } finally {
    await database.close();
  }
}
