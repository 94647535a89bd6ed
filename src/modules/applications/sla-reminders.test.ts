import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/errors.ts';
import { buildTestApp, createTestContext, PASSWORD, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import type { Principal } from '../identity/index.ts';
import type { Reminder } from './sla-reminders.ts';

const TOWNSHIP = '130123100';
const COUNTY = '130123';
const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};
/** 10:00 in China on a date. */
const at = (date: string) => new Date(`${date}T02:00:00Z`);

describe.each(testEngines())('催办: staff reminders and escalations, by who they are addressed to, on %s', (engine) => {
  let ctx: TestContext;
  let now = at('2026-11-02');
  beforeAll(async () => {
    ctx = await createTestContext(engine, { clock: () => now });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const cases = (items: Reminder[]) => items.map((r) => [r.caseId, r.step]);

  it('shows the handling village its reminders, the township what escalated to it, a resident nothing', async () => {
    const { applications } = ctx.services;
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const otherReviewer = await ctx.newStaff('village_reviewer', ctx.otherVillage);
    const townshipAdmin = await ctx.newStaff('township_admin', TOWNSHIP);
    const countyAdmin = await ctx.newStaff('county_admin', COUNTY);
    const helper = await ctx.newStaff('helper', VILLAGE);
    const resident = await ctx.newResident();

    // Monday 2 November: due Thursday 5th, in each village.
    const own = (await applications.submit(resident, residence)).case;
    const other = (await applications.submit(await ctx.newResident({ homeOrgCode: ctx.otherVillage }), residence)).case;
    expect(own.dueDate).toBe('2026-11-05');
    await applications.escalateOverdue(at('2026-11-05'));
    await applications.escalateOverdue(at('2026-11-06'));
    now = at('2026-11-09');

    const mine = await applications.listReminders(reviewer);
    expect(cases(mine.items)).toEqual([[own.id, 1]]);
    expect(mine.unseen).toBe(1);
    // Due Thursday 5th, Monday 9th: Friday and Monday past it.
    expect(mine.items[0]).toMatchObject({
      kind: 'remind',
      step: 1,
      offset: -1,
      levelsUp: 0,
      toOrgCode: VILLAGE,
      orgCode: VILLAGE,
      dueDate: '2026-11-05',
      overdueWorkingDays: 2,
      state: 'submitted',
      seenAt: null,
    });
    expect(mine.items[0]!.caseNo).toBe(own.caseNo);
    expect(mine.items[0]!.serviceName).toEqual(own.serviceName);
    expect(cases((await applications.listReminders(otherReviewer)).items)).toEqual([[other.id, 1]]);

    // The township sees both villages' escalations (step 2), not their reminders; the county nothing yet.
    const township = await applications.listReminders(townshipAdmin);
    expect(cases(township.items).sort()).toEqual(
      [
        [own.id, 2],
        [other.id, 2],
      ].sort(),
    );
    expect(township.items.every((r) => r.kind === 'escalate' && r.toOrgCode === TOWNSHIP && r.orgName !== r.toOrgName)).toBe(true);
    expect((await applications.listReminders(countyAdmin)).items).toEqual([]);
    // A helper holds no case-viewing role: nothing; a resident may not ask.
    expect((await applications.listReminders(helper)).items).toEqual([]);
    expect(await rejection(applications.listReminders(resident))).toBe('FORBIDDEN');

    // The county's step three working days later: the county sees it, the township still only its own.
    await applications.escalateOverdue(at('2026-11-11'));
    now = at('2026-11-11');
    expect(cases((await applications.listReminders(countyAdmin)).items)).toContainEqual([own.id, 3]);
    expect((await applications.listReminders(townshipAdmin)).items.every((r) => r.step === 2)).toBe(true);
    expect((await applications.listReminders(reviewer)).items[0]!.overdueWorkingDays).toBe(4);
  });

  it('marks a reminder seen for the one who saw it; a step addressed elsewhere is a 404', async () => {
    const { applications } = ctx.services;
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const colleague = await ctx.newStaff('village_reviewer', VILLAGE);
    const townshipAdmin = await ctx.newStaff('township_admin', TOWNSHIP);
    const resident = await ctx.newResident();
    const [reminder] = (await applications.listReminders(reviewer)).items;
    expect(reminder).toBeDefined();
    const before = (await applications.listReminders(reviewer)).unseen;

    expect(await rejection(applications.markReminderSeen(townshipAdmin, reminder!.id))).toBe('NOT_FOUND');
    expect(await rejection(applications.markReminderSeen(reviewer, 999_999_999))).toBe('NOT_FOUND');
    expect(await rejection(applications.markReminderSeen(resident, reminder!.id))).toBe('FORBIDDEN');

    expect(await applications.markReminderSeen(reviewer, reminder!.id)).toEqual({ unseen: before - 1 });
    // Again: no change.
    expect(await applications.markReminderSeen(reviewer, reminder!.id)).toEqual({ unseen: before - 1 });
    const seen = (await applications.listReminders(reviewer)).items.find((r) => r.id === reminder!.id);
    expect(seen?.seenAt).toBe(now.toISOString());
    expect((await applications.listReminders(reviewer, { unseen: true })).items.map((r) => r.id)).not.toContain(reminder!.id);
    // The colleague at the same village has not seen it.
    expect((await applications.listReminders(colleague, { unseen: true })).items.map((r) => r.id)).toContain(reminder!.id);

    expect(await applications.markAllRemindersSeen(colleague)).toEqual({ unseen: 0 });
    expect(await applications.listReminders(colleague, { unseen: true })).toMatchObject({ items: [], unseen: 0 });
    // The township's own steps are untouched by the village's marks.
    expect((await applications.listReminders(townshipAdmin)).unseen).toBeGreaterThan(0);
  });

  it('pages newest first', async () => {
    const { applications } = ctx.services;
    const townshipAdmin = await ctx.newStaff('township_admin', TOWNSHIP);
    const all = (await applications.listReminders(townshipAdmin)).items.map((r) => r.id);
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect([...all].sort((a, b) => b - a)).toEqual(all);
    const first = await applications.listReminders(townshipAdmin, { limit: 1 });
    expect(first.items.map((r) => r.id)).toEqual([all[0]]);
    const second = await applications.listReminders(townshipAdmin, { limit: 1, before: Number(first.next) });
    expect(second.items.map((r) => r.id)).toEqual([all[1]]);
  });

  it("shows the case's clock: its limit and each pause for correction", async () => {
    const { applications } = ctx.services;
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const resident = await ctx.newResident();
    now = at('2026-09-28');
    const { case: c } = await applications.submit(resident, residence);
    now = at('2026-09-30');
    await applications.act(reviewer, c.id, 'return', '请补充居住证明材料');
    now = at('2026-10-09');
    const waiting = (await applications.getCase(reviewer, c.id)).sla;
    expect(waiting.limitWorkingDays).toBeGreaterThan(0);
    expect(waiting.pauses).toEqual([{ from: at('2026-09-30').toISOString(), to: null, workingDays: 2 }]);
    now = at('2026-10-10');
    await applications.applicantAction(resident, c.id, 'resubmit', residence.form);
    const resumed = (await applications.getCase(reviewer, c.id)).sla;
    expect(resumed.pauses).toEqual([{ from: at('2026-09-30').toISOString(), to: at('2026-10-10').toISOString(), workingDays: 3 }]);
    expect(resumed.pausedWorkingDays).toBe(3);
  });

  it('answers over HTTP: staff their own, a resident 403, another org’s step 404', async () => {
    now = at('2026-11-11');
    const app = await buildTestApp(ctx);
    const bearer = async (principal: Principal & { username?: string; residentId?: string }) => {
      const { token } = await ctx.services.identity.login(
        principal.kind === 'staff'
          ? { kind: 'staff', username: principal.username!, password: PASSWORD, channel: 'web' }
          : { kind: 'resident', residentIdOrPhone: principal.residentId!, password: PASSWORD, channel: 'app' },
      );
      return { authorization: `Bearer ${token}` };
    };
    const reviewer = await bearer(await ctx.newStaff('village_reviewer', VILLAGE));
    const township = await bearer(await ctx.newStaff('township_admin', TOWNSHIP));
    const resident = await bearer(await ctx.newResident());

    const list = await app.inject({ method: 'GET', url: '/api/sla/reminders?limit=5', headers: reviewer });
    expect(list.statusCode).toBe(200);
    const page = list.json<{ items: Reminder[]; unseen: number }>();
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((r) => r.toOrgCode === VILLAGE)).toBe(true);
    const id = page.items[0]!.id;

    expect((await app.inject({ method: 'GET', url: '/api/sla/reminders', headers: resident })).statusCode).toBe(403);
    const foreign = await app.inject({ method: 'POST', url: `/api/sla/reminders/${id}/seen`, headers: township });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json<{ error: { code: string } }>().error.code).toBe('NOT_FOUND');
    const seen = await app.inject({ method: 'POST', url: `/api/sla/reminders/${id}/seen`, headers: reviewer });
    expect(seen.statusCode).toBe(200);
    expect(seen.json<{ unseen: number }>().unseen).toBe(page.unseen - 1);
    const bad = await app.inject({ method: 'GET', url: '/api/sla/reminders?before=x', headers: reviewer });
    expect(bad.statusCode).toBe(400);
    await app.close();
    ctx = undefined as unknown as TestContext;
  });
});
