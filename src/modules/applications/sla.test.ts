import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/errors.ts';
import { buildTestApp, createTestContext, PASSWORD, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import type { App } from '../../http/server.ts';
import { caseEscalations, type CaseState } from './applications.tables.ts';
import { importCaseHistory } from './case-history.ts';
import type { CaseAction } from './case-state.ts';
import { readCaseClocks } from './sla-clock.ts';
import { latestFiringDue, SLA_ACTOR_ID, stepDay } from './sla-escalation.ts';
import { DEFAULT_LADDER, parseLadder } from './sla-ladders.ts';

const TOWNSHIP = '130123100';
const COUNTY = '130123';
const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};
/** 10:00 in China on a date. */
const at = (date: string) => new Date(`${date}T02:00:00Z`);

describe('the escalation ladder: when a step fires, and what a ladder may be', () => {
  it('counts step days on the working-day calendar, around the 2026 National Day holiday', () => {
    // Due Thursday 8 October 2026: the working day before is 30 September (1–7 October are holidays).
    expect(stepDay('2026-10-08', -1)).toBe('2026-09-30');
    // Saturday 10 October is a make-up workday.
    expect(stepDay('2026-10-08', 2)).toBe('2026-10-10');
    // The reminder (−1) fires on the due day itself, the first overdue step the day after the due date.
    expect(latestFiringDue('2026-10-08', -1)).toBe('2026-10-08');
    expect(latestFiringDue('2026-10-09', 0)).toBe('2026-10-08');
    expect(latestFiringDue('2026-10-12', 2)).toBe('2026-10-08');
    // On Saturday 10th, a case due on the 8th has not passed its +2 step (the 10th itself); one due before the holiday has.
    expect(latestFiringDue('2026-10-10', 2)).toBe('2026-10-07');
  });

  it('accepts the default ladder and refuses bad ones with SLA_LADDER_INVALID', () => {
    expect(parseLadder(DEFAULT_LADDER)).toEqual(DEFAULT_LADDER);
    const bad: unknown[] = [
      [],
      'ladder',
      [{ offset: 0 }],
      [{ offset: 0, levelsUp: 1, extra: true }],
      [{ offset: 0.5, levelsUp: 1 }],
      [
        { offset: 1, levelsUp: 0 },
        { offset: 1, levelsUp: 1 },
      ],
      [
        { offset: 2, levelsUp: 0 },
        { offset: 1, levelsUp: 1 },
      ],
      [
        { offset: 0, levelsUp: 2 },
        { offset: 1, levelsUp: 1 },
      ],
      [{ offset: -11, levelsUp: 0 }],
      [{ offset: 61, levelsUp: 0 }],
      [{ offset: 0, levelsUp: 5 }],
      Array.from({ length: 9 }, (_, i) => ({ offset: i, levelsUp: 0 })),
    ];
    for (const ladder of bad) {
      let code: string | undefined;
      try {
        parseLadder(ladder);
      } catch (error) {
        code = (error as { code?: string }).code;
      }
      expect(code, JSON.stringify(ladder)).toBe('SLA_LADDER_INVALID');
    }
  });
});

describe.each(testEngines())('the SLA clock and the escalation ladder on %s', (engine) => {
  let ctx: TestContext;
  let now = at('2026-09-28');
  beforeAll(async () => {
    ctx = await createTestContext(engine, { clock: () => now });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('pauses while returned for correction and moves the due date by exactly the working days paused', async () => {
    const resident = await ctx.newResident();
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const countyAdmin = await ctx.newStaff('county_admin', COUNTY);
    const { applications, overview } = ctx.services;
    // Monday 28 September; three working days: 29, 30 September, then 8 October after the holiday.
    const { case: c } = await applications.submit(resident, residence);
    expect(c.dueDate).toBe('2026-10-08');

    now = at('2026-09-30');
    await applications.act(reviewer, c.id, 'return', '请补充居住证明材料');
    expect((await applications.getCase(reviewer, c.id)).sla).toMatchObject({ workingDays: 2, pausedWorkingDays: 0, paused: true });

    // Past the original due date while the applicant is correcting: paused, not overdue.
    now = at('2026-10-09');
    const waiting = await applications.getCase(reviewer, c.id);
    expect(waiting.sla).toMatchObject({ workingDays: 2, pausedWorkingDays: 2, paused: true, overdue: false, dueDate: '2026-10-08' });
    expect(waiting.overdue).toBe(false);
    expect((await overview.overview(countyAdmin, VILLAGE)).totals).toEqual({ open: 0, overdue: 0 });

    // Resubmitted on Saturday 10 October, a make-up workday: paused 8, 9 and 10 October (12 calendar days, 3 working days).
    now = at('2026-10-10');
    const resumed = await applications.applicantAction(resident, c.id, 'resubmit', residence.form);
    expect(resumed.dueDate).toBe('2026-10-12');
    const detail = await applications.getCase(reviewer, c.id);
    expect(detail.sla).toMatchObject({ workingDays: 2, pausedWorkingDays: 3, paused: false, overdue: false, dueDate: '2026-10-12' });

    // Due Monday 12 October: overdue from Tuesday, by the moved due date, in the overview and the queue too.
    now = at('2026-10-12');
    expect((await overview.overview(countyAdmin, VILLAGE)).totals).toEqual({ open: 1, overdue: 0 });
    expect((await applications.queue(reviewer, { orgCode: VILLAGE, overdue: true })).items.map((i) => i.id)).not.toContain(c.id);
    now = at('2026-10-13');
    expect((await overview.overview(countyAdmin, VILLAGE)).totals).toEqual({ open: 1, overdue: 1 });
    expect((await applications.queue(reviewer, { orgCode: VILLAGE, overdue: true })).items.map((i) => i.id)).toContain(c.id);
    const clocks = await readCaseClocks(ctx.database.db, [c.id], now);
    expect(clocks.get(c.id)).toMatchObject({ workingDays: 4, pausedWorkingDays: 3, overdue: true, onTime: null });

    // Decided on the 14th: the clock stops there, late.
    now = at('2026-10-14');
    await applications.act(reviewer, c.id, 'reject', '材料不符');
    now = at('2026-10-20');
    expect((await readCaseClocks(ctx.database.db, [c.id], now)).get(c.id)).toMatchObject({ workingDays: 5, overdue: false, onTime: false });
  });

  it('takes each step of the default ladder once, also when two sweeps run at once', async () => {
    now = at('2026-11-02');
    const resident = await ctx.newResident();
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const countyAdmin = await ctx.newStaff('county_admin', COUNTY);
    const { applications } = ctx.services;
    const { case: c } = await applications.submit(resident, residence);
    expect(c.dueDate).toBe('2026-11-05');
    const mine = (steps: { caseId: string; step: number }[]) => steps.filter((s) => s.caseId === c.id).map((s) => s.step);

    expect(mine(await applications.escalateOverdue(at('2026-11-04')))).toEqual([]);
    // The due day: a reminder to the handling village.
    const first = (await applications.escalateOverdue(at('2026-11-05'))).filter((s) => s.caseId === c.id);
    expect(first).toMatchObject([{ step: 1, offset: -1, levelsUp: 0, toOrgCode: VILLAGE, dueDate: '2026-11-05' }]);
    expect(mine(await applications.escalateOverdue(at('2026-11-05')))).toEqual([]);
    // Overdue (Friday 6th): the township.
    expect((await applications.escalateOverdue(at('2026-11-06'))).filter((s) => s.caseId === c.id)).toMatchObject([
      { step: 2, toOrgCode: TOWNSHIP },
    ]);
    // Three working days later (10 November has ended): the county, once, with two sweeps at the same time.
    const [a, b] = await Promise.all([applications.escalateOverdue(at('2026-11-11')), applications.escalateOverdue(at('2026-11-11'))]);
    expect([...mine(a), ...mine(b)]).toEqual([3]);
    expect(mine(await applications.escalateOverdue(at('2026-12-30')))).toEqual([]);

    const rows = await ctx.database.db
      .select()
      .from(caseEscalations)
      .where(sql`${caseEscalations.caseId} = ${c.id}`);
    expect(rows.map((r) => [r.step, r.toOrgCode]).sort()).toEqual([
      [1, VILLAGE],
      [2, TOWNSHIP],
      [3, COUNTY],
    ]);
    const detail = await applications.getCase(reviewer, c.id);
    expect(detail.sla.escalations.map((e) => e.toOrgCode)).toEqual([VILLAGE, TOWNSHIP, COUNTY]);
    const escalated = detail.events.filter((e) => e.action === 'escalate');
    expect(escalated).toHaveLength(3);
    expect(escalated.every((e) => e.actorId === SLA_ACTOR_ID && e.fromState === 'submitted' && e.toState === 'submitted')).toBe(true);
    expect(escalated[2]!.reason).toContain(`（${COUNTY}）`);
    const { rows: outbox } = await ctx.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from outbox where topic = 'case.escalated' and payload->>'caseId' = ${c.id}`,
    );
    expect(Number(outbox[0]!.n)).toBe(3);
    // The county sees what was escalated to it; a decided case is never escalated again.
    expect((await applications.escalationsTo(countyAdmin, COUNTY)).map((e) => [e.caseId, e.step])).toContainEqual([c.id, 3]);
    expect(await rejection(applications.escalationsTo(reviewer, COUNTY))).toBe('NOT_FOUND');
  });

  it('uses the ladder of the nearest jurisdiction that set one, and refuses bad ladders and callers', async () => {
    const { applications } = ctx.services;
    const countyAdmin = await ctx.newStaff('county_admin', COUNTY);
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    expect(await applications.getLadder(countyAdmin, VILLAGE)).toEqual({ orgCode: VILLAGE, steps: DEFAULT_LADDER, setAt: null });

    // Bad ladders and a caller who may not set one: refused, nothing written.
    expect(
      await rejection(
        applications.setLadder(countyAdmin, VILLAGE, [
          { offset: 3, levelsUp: 1 },
          { offset: 2, levelsUp: 2 },
        ]),
      ),
    ).toBe('SLA_LADDER_INVALID');
    expect(await rejection(applications.setLadder(countyAdmin, VILLAGE, []))).toBe('SLA_LADDER_INVALID');
    expect(await rejection(applications.setLadder(reviewer, VILLAGE, [{ offset: 0, levelsUp: 1 }]))).toBe('NOT_FOUND');
    expect(await rejection(applications.setLadder(countyAdmin, '130124', [{ offset: 0, levelsUp: 1 }]))).toBe('NOT_FOUND');
    expect((await applications.getLadder(countyAdmin, VILLAGE)).setAt).toBeNull();

    // 塔元庄村 gets its own: straight to the county two working days after the due date.
    expect(await applications.setLadder(countyAdmin, VILLAGE, [{ offset: 2, levelsUp: 2 }])).toEqual({
      orgCode: VILLAGE,
      steps: [{ offset: 2, levelsUp: 2 }],
      setAt: VILLAGE,
    });
    expect((await applications.getLadder(countyAdmin, ctx.otherVillage)).setAt).toBeNull();

    now = at('2027-01-04');
    const own = (await applications.submit(await ctx.newResident(), residence)).case;
    const other = (await applications.submit(await ctx.newResident({ homeOrgCode: ctx.otherVillage }), residence)).case;
    const steps = await applications.escalateOverdue(at('2027-02-26'));
    expect(steps.filter((s) => s.caseId === own.id)).toMatchObject([{ step: 1, offset: 2, levelsUp: 2, toOrgCode: COUNTY }]);
    expect(steps.filter((s) => s.caseId === other.id).map((s) => s.toOrgCode)).toEqual([ctx.otherVillage, TOWNSHIP, COUNTY]);
  });

  it('gives imported history the same clock, from its events', async () => {
    const village = (await ctx.services.orgs.getOrg(VILLAGE))!;
    const applicant = await ctx.newResident();
    const id = randomUUID();
    const cn = (t: string) => new Date(`${t}+08:00`);
    const ev = (action: CaseAction, from: CaseState | null, to: CaseState, t: string) => ({
      action,
      from,
      to,
      actorId: applicant.accountId,
      channel: 'app',
      at: cn(t),
    });
    // Monday 14 September, returned Tuesday, resubmitted Saturday 19th (a rest day), decided Monday 21st;
    // Sunday 20th was worked in lieu. Paused 16–18 September: 3 working days; run 15, 20, 21: 3.
    await importCaseHistory(ctx.database.db, [
      {
        id,
        serviceCode: 'cert.residence',
        applicantId: applicant.accountId,
        orgCode: village.code,
        orgPath: village.path,
        channel: 'app',
        form: residence.form,
        submittedAt: cn('2026-09-19T12:00:00'),
        dueDate: '2026-09-22',
        decision: { decision: 'approved', by: applicant.accountId, at: cn('2026-09-21T12:00:00'), reason: null },
        events: [
          ev('submit', null, 'draft', '2026-09-14T09:00:00'),
          ev('submit', 'draft', 'submitted', '2026-09-14T09:00:00'),
          ev('return', 'submitted', 'returned', '2026-09-15T09:00:00'),
          ev('resubmit', 'returned', 'submitted', '2026-09-19T12:00:00'),
          ev('approve', 'submitted', 'approved', '2026-09-21T12:00:00'),
        ],
      },
    ]);
    expect((await readCaseClocks(ctx.database.db, [id], at('2026-12-01'))).get(id)).toEqual({
      workingDays: 3,
      pausedWorkingDays: 3,
      paused: false,
      dueDate: '2026-09-22',
      overdue: false,
      onTime: true,
    });
  });

  it('sets and reads a ladder over HTTP; a bad one gets 400 SLA_LADDER_INVALID', async () => {
    now = new Date();
    const app: App = await buildTestApp(ctx);
    const admin = await ctx.newStaff('county_admin', COUNTY);
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'staff', username: admin.username, password: PASSWORD, channel: 'web' },
    });
    const headers = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
    const bad = await app.inject({
      method: 'PUT',
      url: `/api/sla/ladders/${TOWNSHIP}`,
      headers,
      payload: { steps: [{ offset: 'soon', levelsUp: 1 }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { code: string } }>().error.code).toBe('SLA_LADDER_INVALID');
    const put = await app.inject({
      method: 'PUT',
      url: `/api/sla/ladders/${TOWNSHIP}`,
      headers,
      payload: {
        steps: [
          { offset: 0, levelsUp: 1 },
          { offset: 5, levelsUp: 2 },
        ],
      },
    });
    expect(put.statusCode).toBe(200);
    const got = await app.inject({ method: 'GET', url: `/api/sla/ladders/${ctx.otherVillage}`, headers });
    expect(got.json()).toEqual({
      orgCode: ctx.otherVillage,
      steps: [
        { offset: 0, levelsUp: 1 },
        { offset: 5, levelsUp: 2 },
      ],
      setAt: TOWNSHIP,
    });
    const escalations = await app.inject({ method: 'GET', url: `/api/sla/escalations?orgCode=${COUNTY}`, headers });
    expect(escalations.statusCode).toBe(200);
    expect(escalations.json<{ items: unknown[] }>().items.length).toBeGreaterThan(0);
    // Closing the app closes the context: the last test of the file.
    await app.close();
    ctx = undefined as unknown as TestContext;
  });
});
