import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { buildTestApp, createTestContext, PASSWORD, VILLAGE, type TestContext } from '../../../test/factories.ts';
import type { App } from '../../http/server.ts';
import { importCaseHistory, type HistoricalCase } from '../applications/index.ts';
import { INSURANCE_ITEMS, INSURANCE_SERVICE_CODES } from '../catalog/index.ts';
import { systemPrincipal, type Principal } from '../identity/index.ts';
import { computeServiceFigures } from './service-figures.ts';
import type { ServiceFiguresDto } from './service-figures.schemas.ts';
import { createWorkingClock } from './working-clock.ts';

/** An instant given in China time. */
const cn = (local: string) => new Date(`${local}+08:00`);

describe('the working-day clock', () => {
  // 2026: 国庆 1–7 October (Thursday to Wednesday), 20 September (a Sunday) and 10 October (a Saturday) worked in lieu.
  const clock = createWorkingClock('2026-09-01', '2026-10-31');
  const between = (a: string, b: string) => clock.at(cn(b)) - clock.at(cn(a));

  it('runs on working days only, 24 hours of each, and stops on weekends and public holidays', () => {
    expect(between('2026-09-11T16:00:00', '2026-09-14T10:00:00')).toBeCloseTo(0.75, 10); // Friday → Monday
    // 中秋 is Friday 25 September 2026: Thursday 16:00 → Monday 10:00 is 8 h + 10 h too.
    expect(between('2026-09-24T16:00:00', '2026-09-28T10:00:00')).toBeCloseTo(0.75, 10);
    expect(between('2026-09-30T10:00:00', '2026-10-08T10:00:00')).toBeCloseTo(1, 10); // across 国庆
    expect(between('2026-09-26T10:00:00', '2026-09-28T09:00:00')).toBeCloseTo(0.375, 10); // from a Saturday
    expect(between('2026-09-19T12:00:00', '2026-09-21T12:00:00')).toBeCloseTo(1.5, 10); // the Sunday worked in lieu counts
    expect(between('2026-10-09T17:00:00', '2026-10-12T09:00:00')).toBeCloseTo(7 / 24 + 1 + 9 / 24, 10); // and the Saturday
    expect(between('2026-09-14T09:00:00', '2026-09-14T13:00:00')).toBeCloseTo(1 / 6, 10); // the same working day: a fraction
  });

  it('finds the instant a working time is reached, on a working day', () => {
    for (const local of ['2026-09-11T16:00:00', '2026-10-08T00:30:00', '2026-09-20T23:00:00']) {
      expect(clock.instantAt(clock.at(cn(local))).getTime()).toBe(cn(local).getTime());
    }
    // One working day after Wednesday 30 September 10:00 is Thursday 8 October 10:00.
    expect(clock.instantAt(clock.at(cn('2026-09-30T10:00:00')) + 1).toISOString()).toBe(cn('2026-10-08T10:00:00').toISOString());
    expect(() => clock.at(cn('2026-11-01T10:00:00'))).toThrow(RangeError);
  });
});

describe.each(testEngines())('medical insurance service figures on %s', (engine) => {
  let ctx: TestContext;
  let app: App;
  let bureau: { code: string; path: string };
  let officer: Principal;
  const FROM = '2026-09-01';
  const TO = '2026-10-31';

  /** A decided case of the bureau with its events; `returned` puts a return and a resubmission between. */
  function decidedCase(input: {
    service: string;
    submitted: string;
    decided: string;
    by?: string;
    decision?: 'approved' | 'rejected';
    returned?: { at: string; resubmitted: string };
    org?: { code: string; path: string };
  }): HistoricalCase {
    const applicantId = randomUUID();
    const by = input.by ?? officer.accountId;
    const decision = input.decision ?? 'approved';
    const first = cn(input.submitted);
    const events: HistoricalCase['events'] = [
      { action: 'submit', from: null, to: 'draft', actorId: applicantId, channel: 'app', at: first },
      { action: 'submit', from: 'draft', to: 'submitted', actorId: applicantId, channel: 'app', at: first },
    ];
    if (input.returned) {
      events.push(
        {
          action: 'return',
          from: 'submitted',
          to: 'returned',
          actorId: officer.accountId,
          channel: 'app',
          reason: '请补充材料',
          at: cn(input.returned.at),
        },
        { action: 'resubmit', from: 'returned', to: 'submitted', actorId: applicantId, channel: 'app', at: cn(input.returned.resubmitted) },
      );
    }
    const reason = decision === 'rejected' ? '不符合条件' : null;
    events.push({
      action: decision === 'approved' ? 'approve' : 'reject',
      from: 'submitted',
      to: decision,
      actorId: by,
      channel: 'app',
      reason,
      at: cn(input.decided),
    });
    const org = input.org ?? bureau;
    return {
      serviceCode: input.service,
      applicantId,
      orgCode: org.code,
      orgPath: org.path,
      channel: 'app',
      form: {},
      submittedAt: input.returned ? cn(input.returned.resubmitted) : first,
      dueDate: null,
      decision: { decision, by, at: cn(input.decided), reason },
      events,
    };
  }

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    app = await buildTestApp(ctx);
    const org = (await ctx.services.orgs.getOrg(ctx.departments.medical_security!))!;
    bureau = { code: org.code, path: org.path };
    officer = await ctx.newStaff('department_officer', bureau.code);
    const rule = systemPrincipal({
      actor: 'rule:instant.medsec_offsite_filing',
      at: { orgCode: bureau.code, orgPath: bureau.path, actions: ['case.view', 'case.handle'] },
    });
    const otherCounty = (await ctx.services.orgs.getOrg('130102'))!;
    await importCaseHistory(ctx.database.db, [
      // Wednesday 30 September 10:00 → Thursday 8 October 10:00, over 国庆: 14 h + 10 h = 1 working day.
      decidedCase({ service: 'medsec.employer_enrolment', submitted: '2026-09-30T10:00:00', decided: '2026-10-08T10:00:00' }),
      // Thursday 24 September 16:00 → Monday 10:00, over 中秋 (Friday 25th) and the weekend, refused: 8 h + 10 h = 0.75.
      decidedCase({
        service: 'medsec.employer_enrolment',
        submitted: '2026-09-24T16:00:00',
        decided: '2026-09-28T10:00:00',
        decision: 'rejected',
      }),
      // Decided by the filing rule three seconds after a Friday-evening submission.
      decidedCase({
        service: 'medsec.offsite_filing',
        submitted: '2026-10-09T20:00:00',
        decided: '2026-10-09T20:00:03',
        by: rule.accountId,
      }),
      // Monday 14 September 09:00, returned Tuesday 09:00 (1 day), resubmitted Saturday 12:00, decided Monday 21st
      // 12:00: the Sunday in between was worked in lieu (1) and Monday's morning (0.5): 2.5; the days returned do not count.
      decidedCase({
        service: 'medsec.back_payment',
        submitted: '2026-09-14T09:00:00',
        decided: '2026-09-21T12:00:00',
        returned: { at: '2026-09-15T09:00:00', resubmitted: '2026-09-19T12:00:00' },
      }),
      // Submitted online on a Saturday, decided Monday 09:00: 0.375.
      decidedCase({ service: 'medsec.e_voucher', submitted: '2026-09-26T10:00:00', decided: '2026-09-28T09:00:00' }),
      // Not counted: decided after the period; another county's case; a service not among the 43.
      decidedCase({ service: 'medsec.e_voucher', submitted: '2026-10-30T10:00:00', decided: '2026-11-02T09:00:00' }),
      decidedCase({
        service: 'medsec.e_voucher',
        submitted: '2026-09-08T10:00:00',
        decided: '2026-09-09T10:00:00',
        org: { code: otherCounty.code, path: otherCounty.path },
      }),
      decidedCase({ service: 'cert.residence', submitted: '2026-09-08T10:00:00', decided: '2026-09-09T10:00:00' }),
    ]);
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  it('tells a rule from a person by the actor id: system actors are name-based (version 5), accounts random (version 4)', () => {
    const rule = systemPrincipal({ actor: 'rule:x', at: { orgCode: bureau.code, orgPath: bureau.path, actions: [] } });
    expect(rule.accountId[14]).toBe('5');
    expect(officer.accountId[14]).toBe('4');
  });

  it('computes the hand-made cases’ figures: weekends, a holiday, a day worked in lieu, an instant decision, a returned case', async () => {
    const county = (await ctx.services.orgs.getOrg('130123'))!;
    const figures = await computeServiceFigures(ctx.database.db, { items: INSURANCE_ITEMS, orgPath: county.path, from: FROM, to: TO });
    const row = (code: string) => figures.services.find((s) => s.code === code)!;
    expect(figures.services).toHaveLength(43);
    expect(row('medsec.employer_enrolment')).toMatchObject({ decided: 2, averageWorkingDays: 0.875, instant: 0, returned: 0 });
    expect(row('medsec.employer_enrolment')).toMatchObject({ promisedDays: 1, legalDays: 5, fullyOnline: true });
    expect(row('medsec.offsite_filing')).toMatchObject({ decided: 1, averageWorkingDays: 0, instant: 1, instantShare: 1 });
    expect(row('medsec.back_payment')).toMatchObject({ decided: 1, averageWorkingDays: 2.5, returned: 1, promisedDays: 5, legalDays: 20 });
    expect(row('medsec.e_voucher')).toMatchObject({ decided: 1, averageWorkingDays: 0.375 });
    expect(row('medsec.referral')).toMatchObject({ decided: 0, averageWorkingDays: null, instantShare: null });
    // The maternity allowance is not in INSURANCE_ITEMS (it is a benefit item): counted, but not online.
    expect(row('medsec.maternity_allowance')).toMatchObject({ fullyOnline: false, promisedDays: null });
    expect(figures.online).toEqual({ services: 43, fullyOnline: 42, rate: 42 / 43 });
    expect(figures.overall).toEqual({
      decided: 5,
      instant: 1,
      instantShare: 0.2,
      returned: 1,
      servicesWithCases: 4,
      // (0.875 + 3/86400 + 2.5 + 0.375) / 4 and (1 + 0.75 + 3/86400 + 2.5 + 0.375) / 5, to four places.
      averageWorkingDays: 0.9375,
      averageWorkingDaysPerCase: 0.925,
    });
  });

  it('counts only the org subtree asked for, and the cases decided in the period', async () => {
    const other = (await ctx.services.orgs.getOrg('130102'))!;
    const elsewhere = await computeServiceFigures(ctx.database.db, { items: INSURANCE_ITEMS, orgPath: other.path, from: FROM, to: TO });
    expect(elsewhere.overall).toMatchObject({ decided: 1, averageWorkingDays: 1 });
    const november = await computeServiceFigures(ctx.database.db, {
      items: INSURANCE_ITEMS,
      orgPath: bureau.path,
      from: '2026-11-01',
      to: '2026-11-30',
    });
    expect(november.overall).toMatchObject({ decided: 1, averageWorkingDays: 0.9583 }); // Friday 10:00 → Monday 09:00: 14 h + 9 h
    const empty = await computeServiceFigures(ctx.database.db, {
      items: INSURANCE_ITEMS,
      orgPath: bureau.path,
      from: '2025-01-01',
      to: '2025-01-31',
    });
    expect(empty.overall).toEqual({
      decided: 0,
      instant: 0,
      instantShare: null,
      returned: 0,
      servicesWithCases: 0,
      averageWorkingDays: null,
      averageWorkingDaysPerCase: null,
    });
  });

  it('computes the online rate of the catalogue it is given: six counter-only services of 43', async () => {
    const counter = new Set(INSURANCE_SERVICE_CODES.slice(0, 6));
    const items = INSURANCE_ITEMS.map((i) => (counter.has(i.code) ? { ...i, online: false, channels: ['window' as const] } : i));
    const allowance = await ctx.services.catalog.requireItem('medsec.maternity_allowance');
    const figures = await computeServiceFigures(ctx.database.db, {
      items: [...items, allowance],
      orgPath: bureau.path,
      from: FROM,
      to: TO,
    });
    expect(figures.online).toEqual({ services: 43, fullyOnline: 37, rate: 37 / 43 });
  });

  async function token(role: Parameters<TestContext['newStaff']>[0], org: string): Promise<string> {
    const s = await ctx.newStaff(role, org);
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'staff', username: s.username, password: PASSWORD, channel: 'web' },
    });
    return res.json<{ token: string }>().token;
  }
  const get = (t: string, query: string) =>
    app.inject({
      method: 'GET',
      url: `/api/insurance/figures?${query}`,
      headers: { authorization: `Bearer ${t}`, 'accept-language': 'en' },
    });

  it('answers GET /api/insurance/figures to the bureau and the county above it, with the catalogue in force', async () => {
    const res = await get(await token('department_officer', bureau.code), `from=${FROM}&to=${TO}`);
    expect(res.statusCode).toBe(200);
    const body = res.json<ServiceFiguresDto>();
    expect(body.org.code).toBe(bureau.code);
    expect(body.online).toEqual({ services: 43, fullyOnline: 43, rate: 1 });
    expect(body.overall).toMatchObject({ decided: 5, instant: 1, averageWorkingDays: 0.9375 });
    const county = await get(await token('county_admin', '130123'), `from=${FROM}&to=${TO}&orgCode=130123`);
    expect(county.statusCode).toBe(200);
    expect(county.json<ServiceFiguresDto>().overall.decided).toBe(5);
  });

  it('refuses those without insurance.view, hides other subtrees, and checks the period', async () => {
    expect((await get(await token('village_reviewer', VILLAGE), `from=${FROM}&to=${TO}`)).statusCode).toBe(403);
    const elsewhere = await get(await token('county_admin', '130102'), `from=${FROM}&to=${TO}&orgCode=${bureau.code}`);
    expect(elsewhere.statusCode).toBe(404);
    const officerToken = await token('department_officer', bureau.code);
    const backwards = await get(officerToken, `from=${TO}&to=${FROM}`);
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json<{ error: { message: string } }>().error.message).toMatch(/from must not be after to/);
    expect((await get(officerToken, `from=2026-02-30&to=${TO}`)).statusCode).toBe(400);
    expect((await get(officerToken, `from=1999-12-31&to=${TO}`)).statusCode).toBe(400);
    expect((await get(officerToken, `from=2020-01-01&to=${TO}`)).statusCode).toBe(400);
    expect((await get(officerToken, `from=${FROM}`)).statusCode).toBe(400);
  });
});
