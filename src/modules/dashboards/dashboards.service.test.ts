import ExcelJS from 'exceljs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { type Deltas, zeroCounters } from './counting.ts';
import { applyDeltas } from './dashboards.repository.ts';
import { countEvents } from './on-event.ts';
import { APPLIED_RETENTION_MS, pruneApplied, startAppliedPrune } from './applied-prune.ts';
import { seedDatasets } from '../sharing/sharing.seed.ts';
import { shiftDate } from './period.ts';
import { chinaDate } from '../../core/values.ts';

const COUNTY = '130123';
const TOWNSHIP = '130123100';
const FORM = { address: '塔元庄村', residentSince: '2010-01-01', purpose: 'employment' };

describe.each(testEngines())('supervision dashboards on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  /** Counted straight from the cases, independently of the aggregate: the subtree of `code`, all time. */
  async function independentCount(code: string) {
    const { rows } = await ctx.database.db.execute<Record<string, number | string>>(sql`
      with scope as (select * from cases where org_path like ${`%${code}%`} and submitted_at is not null)
      select
        (select count(*) from scope)::int as submitted,
        (select count(*) from scope where channel = 'app')::int as submitted_online,
        (select count(*) from scope where decided_at is not null)::int as decided,
        (select count(*) from scope s where decided_at is not null
          and (s.decided_at at time zone 'Asia/Shanghai')::date <= s.due_date)::int as on_time,
        (select count(*) from scope s where decided_at is not null
          and not exists (select 1 from case_events e where e.case_id = s.id and e.action = 'return'))::int as first_time,
        (select count(*) from scope s where decided_at is not null and channel in ('window', 'kiosk'))::int as counter_trips,
        (select count(*) from certificates c join scope s on s.id = c.case_id)::int as certificates`);
    const r = rows[0]!;
    return {
      submitted: Number(r['submitted']),
      submittedOnline: Number(r['submitted_online']),
      decided: Number(r['decided']),
      onTime: Number(r['on_time']),
      firstTime: Number(r['first_time']),
      counterTrips: Number(r['counter_trips']),
      certificates: Number(r['certificates']),
    };
  }

  it('counts a flow of cases as an independent count does, once per event, summed up every level and drilled down', async () => {
    const apps = ctx.services.applications;
    const a = await ctx.newResident();
    const b = await ctx.newResident({ homeOrgCode: ctx.otherVillage });
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const otherReviewer = await ctx.newStaff('village_reviewer', ctx.otherVillage);
    const submit = async (who: typeof a) => (await apps.submit(who, { serviceCode: 'cert.residence', form: FORM })).case;
    const [a1, a2, a3] = [await submit(a), await submit(a), await submit(a)];
    // One at a kiosk: a trip to a counter, not fully online.
    const b1 = await submit({ ...b, sessionChannel: 'kiosk' });
    await apps.act(reviewer, a1.id, 'approve');
    // Returned for correction and resubmitted: still one case, decided, but not first time.
    await apps.act(reviewer, a2.id, 'return', '请补充居住证明');
    await apps.applicantAction(a, a2.id, 'resubmit', { ...FORM, residentSince: '2011-01-01' });
    await apps.act(reviewer, a2.id, 'reject', '材料不符');
    await apps.act(otherReviewer, b1.id, 'approve');
    void a3;
    await ctx.services.events.drain();
    const failed = await ctx.database.db.execute(sql`select topic, last_error from outbox where last_error is not null`);
    expect(failed.rows).toEqual([]);

    const countyAdmin = await ctx.newStaff('county_admin', COUNTY);
    const county = await ctx.services.dashboards.view(countyAdmin, COUNTY, {});
    const expected = await independentCount(COUNTY);
    expect(expected).toMatchObject({ submitted: 4, decided: 3, firstTime: 2, counterTrips: 1 });
    expect(expected.certificates).toBeGreaterThan(0);
    expect(county.figures).toMatchObject(expected);
    expect(county.figures.fullyOnline).toBe(2);
    expect(county.figures.onTimeRate).toBe(1);
    expect(county.figures.averageWorkingDays).not.toBeNull();
    expect(county.org).toMatchObject({ code: COUNTY, level: 'county' });

    // Every level above counts the same cases (the row of every ancestor), and the province is the root.
    const province = await ctx.services.dashboards.view(await ctx.newStaff('supervisor', '13'), '13', {});
    expect(province.figures).toEqual(county.figures);
    expect(province.children.reduce((s, c) => s + c.figures.submitted, 0)).toBe(4);

    // Drill-down: the children sum to the parent; the township's villages; a village has no children.
    expect(county.children.reduce((s, c) => s + c.figures.decided, 0)).toBe(county.figures.decided);
    const township = await ctx.services.dashboards.view(countyAdmin, TOWNSHIP, {});
    expect(township.trail.map((o) => o.code)).toEqual([COUNTY]);
    expect(township.children.find((c) => c.code === VILLAGE)).toMatchObject({ leaf: true, figures: await independentCount(VILLAGE) });
    expect(township.children.find((c) => c.code === ctx.otherVillage)?.figures).toMatchObject({
      submitted: 1,
      decided: 1,
      counterTrips: 1,
    });
    const village = await ctx.services.dashboards.view(reviewer, VILLAGE, {});
    expect(village.children).toEqual([]);
    expect(village.figures).toMatchObject({ submitted: 3, decided: 2, firstTime: 1, counterTrips: 0 });
    expect(village.services).toEqual([expect.objectContaining({ code: 'cert.residence', figures: village.figures })]);
    expect(village.queue.link).toBe(`/console?orgCode=${VILLAGE}&overdue=1`);
    expect(village.trend.reduce((s, t) => s + t.submitted, 0)).toBe(3);

    // A second delivery of every event already counted adds nothing.
    const { rows } = await ctx.database.db.execute<{
      id: string | number;
      topic: string;
      payload: Record<string, unknown>;
      created_at: string | Date;
    }>(
      sql`select id, topic, payload, created_at from outbox where topic in ('case.submitted', 'case.decided', 'certificate.issued') order by id`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(8);
    const again = rows.map((r) => ({ id: Number(r.id), topic: r.topic, payload: r.payload, createdAt: new Date(r.created_at) }));
    expect(await countEvents(ctx.database.db, ctx.services.orgs, again)).toBe(0);
    expect(await countEvents(ctx.database.db, ctx.services.orgs, again.slice(0, 1))).toBe(0);
    expect((await ctx.services.dashboards.view(countyAdmin, COUNTY, {})).figures).toEqual(county.figures);
  });

  it('reads a year from its year rows as the sum of its months and as a recount from the cases', async () => {
    const countyAdmin = await ctx.newStaff('county_admin', COUNTY);
    const today = chinaDate(new Date());
    const year = today.slice(0, 4);
    const view = (from: string, to: string) => ctx.services.dashboards.view(countyAdmin, COUNTY, { from, to });
    const whole = await view(`${year}-01-01`, `${year}-12-31`);
    const months = await Promise.all(
      Array.from({ length: 12 }, (_, i) => {
        const from = `${year}-${String(i + 1).padStart(2, '0')}-01`;
        return view(from, shiftDate(`${shiftDate(from, 31).slice(0, 7)}-01`, -1));
      }),
    );
    const counts = [
      'submitted',
      'submittedOnline',
      'decided',
      'onTime',
      'firstTime',
      'fullyOnline',
      'counterTrips',
      'instant',
      'certificates',
      'exchanges',
      'exchangesProvided',
    ] as const;
    expect(whole.figures.submitted).toBeGreaterThan(0);
    for (const key of counts) expect(whole.figures[key]).toBe(months.reduce((sum, m) => sum + m.figures[key], 0));
    for (const child of whole.children)
      expect(child.figures.submitted).toBe(
        months.reduce((sum, m) => sum + m.children.find((c) => c.code === child.code)!.figures.submitted, 0),
      );
    expect(whole.figures).toMatchObject(await independentCount(COUNTY));
    // A rolling year (edge months less their outside days, a year's row less a month's) counts the same cases.
    expect((await view(shiftDate(today, -364), today)).figures).toEqual(whole.figures);
    // Every year row holds what its months' rows hold, column by column.
    const columns = sql.raw(
      ['submitted', 'submitted_online', 'decided', 'on_time', 'first_time', 'instant', 'fully_online', 'counter_trips', 'working_milli']
        .concat(['certificates', 'exchanges_consumed', 'exchanges_provided', 'ratings', 'called_back', 'rectified'])
        .map((c) => `(m.${c} = y.${c})`)
        .join(' and '),
    );
    const { rows } = await ctx.database.db.execute<{ rows: number; equal: number }>(sql`
      with m as (select org_code, service_code, date_trunc('year', month)::date as year, sum(submitted) as submitted,
                   sum(submitted_online) as submitted_online, sum(decided) as decided, sum(on_time) as on_time, sum(first_time) as first_time,
                   sum(instant) as instant, sum(fully_online) as fully_online, sum(counter_trips) as counter_trips,
                   sum(working_milli) as working_milli, sum(certificates) as certificates, sum(exchanges_consumed) as exchanges_consumed,
                   sum(exchanges_provided) as exchanges_provided, sum(ratings) as ratings, sum(called_back) as called_back,
                   sum(rectified) as rectified
                 from dashboard_months group by 1, 2, 3)
      select count(*)::int as rows, count(*) filter (where ${columns})::int as equal
        from m full join dashboard_years y using (org_code, service_code, year)`);
    expect(rows[0]!.rows).toBeGreaterThan(0);
    expect(rows[0]!.equal).toBe(rows[0]!.rows);
  });

  it('sums any period from its signed year, month and day terms exactly as its days add up', async () => {
    // A year of rows (2025) for the village and every org above it, written as the handler writes them.
    const path = (await ctx.services.orgs.getOrg(VILLAGE))!.path;
    const perDay = new Map<string, { submitted: number; decided: number }>();
    const deltas: Deltas = new Map();
    for (let i = 0, day = '2025-01-01'; day <= '2025-12-31'; i++, day = shiftDate(day, 1)) {
      const add = { submitted: (i * 7) % 5, decided: (i * 3) % 4 };
      perDay.set(day, add);
      for (const orgCode of path.split('.'))
        for (const serviceCode of ['cert.residence', '']) {
          const counters = { ...zeroCounters(), ...add, workingMilli: add.decided * 1500 };
          deltas.set(`${orgCode}|${serviceCode}|${day}`, { orgCode, serviceCode, day, counters });
        }
    }
    await applyDeltas(ctx.database.db, deltas);
    const countyAdmin = await ctx.newStaff('county_admin', COUNTY);
    const periods = [
      ['2025-01-01', '2025-12-31'],
      ['2025-01-15', '2025-12-14'],
      ['2025-02-01', '2025-02-28'],
      ['2025-03-02', '2025-04-29'],
      ['2025-06-30', '2025-08-01'],
      ['2025-12-31', '2025-12-31'],
      ['2025-01-20', '2025-11-28'],
      ['2025-02-03', '2025-02-26'],
      ['2024-12-07', '2025-12-06'],
    ] as const;
    for (const [from, to] of periods) {
      let submitted = 0;
      let decided = 0;
      for (const [day, add] of perDay)
        if (day >= from && day <= to) {
          submitted += add.submitted;
          decided += add.decided;
        }
      const view = await ctx.services.dashboards.view(countyAdmin, COUNTY, { from, to });
      expect(view.figures).toMatchObject({ submitted, decided, averageWorkingDays: decided === 0 ? null : 1.5 });
      expect(view.services).toEqual([expect.objectContaining({ code: 'cert.residence', figures: view.figures })]);
      expect(view.children.reduce((sum, c) => sum + c.figures.submitted, 0)).toBe(submitted);
      expect(view.trend.reduce((sum, t) => sum + t.decided, 0)).toBe(decided);
      expect(view.trend.length).toBe([...perDay.keys()].filter((d) => d >= from && d <= to).length);
    }
  });

  it('counts completed data exchanges for the consumer and the provider, every level, once each', async () => {
    const sharing = ctx.services.dataSharing;
    await ctx.services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
    const police = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    const civil = await ctx.newStaff('department_officer', ctx.departments.civil_affairs!);
    const supervisor = await ctx.newStaff('supervisor', COUNTY);
    const resident = await ctx.newResident();
    await ctx.services.sharingAdmin.upsertRecords('civil.marriage_record', [
      {
        residentId: resident.residentId,
        data: {
          maritalStatus: '已婚',
          spouseName: '钱进',
          registeredOn: '2020-05-20',
          certificateNo: 'J2020-77',
          registry: '正定县民政局',
        },
      },
    ]);
    const { case: kase } = await ctx.services.applications.submit(resident, {
      serviceCode: 'birth.household_registration',
      form: { childName: '钱小宝', householdHead: '钱进' },
    });
    const grant = (consentRequired: boolean) =>
      sharing.createGrant(civil, {
        datasetCode: 'civil.marriage_record',
        consumerOrgCode: ctx.departments.public_security!,
        fields: ['maritalStatus'],
        purpose: 'birth.household_registration',
        legalBasis: '《婚姻登记条例》',
        consentRequired,
        validUntil: new Date(Date.now() + 30 * 86_400_000),
        ...(consentRequired ? {} : { legalBasisCode: 'pipl-13-1-3' }),
      });
    const ask = {
      datasetCode: 'civil.marriage_record',
      fields: ['maritalStatus'],
      purpose: 'birth.household_registration',
      caseId: kase.id,
    };
    // With the resident's consent: completed on the retry after it (sharing's `complete`, in a transaction).
    await grant(true);
    const consented = { ...ask, requestKey: 'dash-consent-1' };
    const pending = await sharing.requestExchange(police, consented);
    await sharing.decideConsent(resident, pending.exchange.id, 'approve');
    expect((await sharing.requestExchange(police, consented)).exchange.status).toBe('completed');
    // Under a law-based grant: completed at once (the row and its leaf in one statement, the event beside them).
    const lawful = await grant(false);
    if (lawful.status === 'pending_approval') await sharing.approveGrant(supervisor, lawful.id);
    expect((await sharing.requestExchange(police, { ...ask, requestKey: 'dash-law-1' })).exchange.status).toBe('completed');
    // A replay is the same exchange: no second event.
    await sharing.requestExchange(police, { ...ask, requestKey: 'dash-law-1' });
    await ctx.services.events.drain();

    const dashboards = ctx.services.dashboards;
    const county = await dashboards.view(supervisor, COUNTY, {});
    expect(county.figures).toMatchObject({ exchanges: 2, exchangesProvided: 2 });
    const consumer = county.children.find((c) => c.code === ctx.departments.public_security)!;
    const provider = county.children.find((c) => c.code === ctx.departments.civil_affairs)!;
    expect(consumer.figures).toMatchObject({ exchanges: 2, exchangesProvided: 0 });
    expect(provider.figures).toMatchObject({ exchanges: 0, exchangesProvided: 2 });
    // The consumer's side is counted for the case's service too; the province sees the same.
    const policeView = await dashboards.view(police, ctx.departments.public_security!, {});
    expect(policeView.services.find((s) => s.code === 'birth.household_registration')?.figures.exchanges).toBe(2);
    const province = await dashboards.view(await ctx.newStaff('supervisor', '13'), '13', {});
    expect(province.figures).toMatchObject({ exchanges: 2, exchangesProvided: 2 });
    const csv = (await dashboards.exportTable(supervisor, COUNTY, { table: 'children', format: 'csv' })).body.toString('utf8');
    expect(csv).toContain('数据共享调用次数,数据共享提供次数');
  });

  it('prunes the dedupe marks past the retention whose events are handled, and nothing is counted twice after', async () => {
    const resident = await ctx.newResident();
    const { case: kase } = await ctx.services.applications.submit(resident, { serviceCode: 'cert.residence', form: FORM });
    const { case: second } = await ctx.services.applications.submit(resident, { serviceCode: 'cert.residence', form: FORM });
    await ctx.services.events.drain();
    const db = ctx.database.db;
    const ids = async (where: ReturnType<typeof sql>) =>
      (await db.execute<{ id: string | number }>(sql`select id from outbox where ${where} order by id`)).rows.map((r) => Number(r.id));
    const [submitted] = await ids(sql`topic = 'case.submitted' and payload->>'caseId' = ${kase.id}`);
    expect(submitted).toBeDefined();
    // Marks: this event's, backdated past the retention; one as old whose event is still pending (a claim the worker never
    // recorded done); one recent.
    const old = new Date(Date.now() - APPLIED_RETENTION_MS - 60_000).toISOString();
    await db.execute(sql`update dashboard_applied set applied_at = ${old}::timestamptz where event_id = ${submitted}`);
    const [pending] = (
      await db.execute<{ id: string | number }>(sql`insert into outbox (topic, payload) values ('test.pending', '{}'::jsonb) returning id`)
    ).rows.map((r) => Number(r.id));
    await db.execute(sql`insert into dashboard_applied (event_id, applied_at) values (${pending}, ${old}::timestamptz)`);
    const marks = async () => (await db.execute<{ n: number }>(sql`select count(*)::int as n from dashboard_applied`)).rows[0]!.n;
    const before = await marks();
    const view = async () => (await ctx.services.dashboards.view(await ctx.newStaff('village_reviewer', VILLAGE), VILLAGE, {})).figures;
    const figures = await view();

    // Small pages: the walk goes on past a page with nothing to delete.
    expect(await pruneApplied(db, ctx.services.events, new Date(), { batchSize: 1 })).toBe(1);
    expect(await marks()).toBe(before - 1);
    const left = (
      await db.execute<{ id: string }>(sql`select event_id as id from dashboard_applied where event_id in (${submitted}, ${pending})`)
    ).rows;
    expect(left.map((r) => Number(r.id))).toEqual([pending]);
    // Recent marks stay however done their events are.
    expect(await pruneApplied(db, ctx.services.events, new Date())).toBe(0);
    // The serve loop's sweep: its first prune starts at once, and stopping waits for it.
    const [secondSubmitted] = await ids(sql`topic = 'case.submitted' and payload->>'caseId' = ${second.id}`);
    await db.execute(sql`update dashboard_applied set applied_at = ${old}::timestamptz where event_id = ${secondSubmitted}`);
    const errors: unknown[] = [];
    await startAppliedPrune(db, ctx.services.events, { intervalMs: 3_600_000, onError: (e) => errors.push(e) })();
    expect(errors).toEqual([]);
    expect(await marks()).toBe(before - 2);

    // A handled event is never claimed again (its mark has gone with nothing left to guard): a drain adds nothing.
    expect(await ids(sql`id = ${submitted} and processed_at is not null`)).toEqual([submitted]);
    await ctx.services.events.drain();
    expect(await view()).toEqual(figures);
  });

  it('refuses another county, another village, a resident and unknown orgs; checks the period', async () => {
    const otherCounty = await ctx.newStaff('county_admin', '130102');
    const neighbour = await ctx.newStaff('village_reviewer', ctx.otherVillage);
    const resident = await ctx.newResident();
    expect(await rejection(ctx.services.dashboards.view(otherCounty, COUNTY, {}))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.dashboards.view(otherCounty, VILLAGE, {}))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.dashboards.view(neighbour, VILLAGE, {}))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.dashboards.view(neighbour, TOWNSHIP, {}))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.dashboards.view(resident, VILLAGE, {}))).toBe('FORBIDDEN');
    const countyAdmin = await ctx.newStaff('county_admin', COUNTY);
    expect(await rejection(ctx.services.dashboards.view(countyAdmin, '999999', {}))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.dashboards.view(countyAdmin, COUNTY, { from: '2026-05-02', to: '2026-05-01' }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await rejection(ctx.services.dashboards.view(countyAdmin, COUNTY, { from: '2024-01-01', to: '2026-01-01' }))).toBe(
      'VALIDATION_FAILED',
    );
    // A period with no cases: zero counts, no rates.
    const empty = await ctx.services.dashboards.view(countyAdmin, COUNTY, { from: '2020-01-01', to: '2020-01-31' });
    expect(empty.figures).toMatchObject({ submitted: 0, decided: 0, onTimeRate: null, averageWorkingDays: null });
  });

  it('exports every table as CSV and Excel with Chinese headers and the numbers of the view', async () => {
    const countyAdmin = await ctx.newStaff('county_admin', COUNTY);
    const view = await ctx.services.dashboards.view(countyAdmin, TOWNSHIP, {});
    const csv = await ctx.services.dashboards.exportTable(countyAdmin, TOWNSHIP, { table: 'children', format: 'csv' });
    expect(csv.contentType).toContain('text/csv');
    const text = csv.body.toString('utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const lines = text.slice(1).trim().split('\r\n');
    expect(lines[0]).toMatch(/^机构代码,机构名称,层级,申请件数,/);
    expect(lines.length).toBe(view.children.length + 1);
    const villageLine = lines.find((l) => l.startsWith(`${VILLAGE},`))!.split(',');
    const village = view.children.find((c) => c.code === VILLAGE)!;
    expect(villageLine.slice(3, 6).map(Number)).toEqual([
      village.figures.submitted,
      village.figures.submittedOnline,
      village.figures.decided,
    ]);

    const xlsx = await ctx.services.dashboards.exportTable(countyAdmin, TOWNSHIP, { table: 'services', format: 'xlsx' });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.body as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    expect(sheet.getRow(1).getCell(1).value).toBe('事项编码');
    expect(sheet.getRow(2).getCell(1).value).toBe('cert.residence');
    expect(sheet.getRow(2).getCell(6).value).toBe(view.services[0]!.figures.submitted);
    expect(sheet.rowCount).toBe(view.services.length + 1);

    const trend = await ctx.services.dashboards.exportTable(countyAdmin, TOWNSHIP, { table: 'trend', format: 'csv' });
    expect(trend.body.toString('utf8')).toContain('日期,申请件数,办结件数,按时办结件数');
  });
});
