import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, PASSWORD, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { addWorkingDays, chinaDate } from '../catalog/working-days.ts';
import { caseDecisions, caseEvents, cases } from './applications.tables.ts';
import { createApplicationsService } from './applications.service.ts';

const residenceForm = { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' };
const residence = { serviceCode: 'cert.residence', form: residenceForm };

describe.each(testEngines())('applications on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('routes a residence proof to the village, with a due date in working days and the audit trail', async () => {
    const resident = await ctx.newResident();
    const before = new Date();
    const { case: c, replayed } = await ctx.services.applications.submit(resident, residence);
    expect(replayed).toBe(false);
    expect(c.state).toBe('submitted');
    expect(c.orgCode).toBe(VILLAGE);
    expect(c.channel).toBe('app');
    expect(c.caseNo).toMatch(/^YB\d{10}$/);
    expect(c.dueDate).toBe(addWorkingDays(chinaDate(before), 3).dueDate);
    const detail = await ctx.services.applications.getCase(resident, c.id);
    expect(detail.orgName).toBe('塔元庄村民委员会');
    expect(detail.events.map((e) => `${e.fromState ?? '-'}>${e.toState}`)).toEqual(['->draft', 'draft>submitted']);
    expect(detail.events.every((e) => e.actorId === resident.accountId)).toBe(true);
  });

  it('routes a no-criminal-record proof to the county public security department', async () => {
    const resident = await ctx.newResident();
    const { case: c } = await ctx.services.applications.submit(resident, {
      serviceCode: 'cert.no_criminal_record',
      form: { purpose: 'employment' },
    });
    expect(c.orgCode).toBe(ctx.departments.public_security);
  });

  it('refuses bad forms and unknown services, and writes nothing', async () => {
    const resident = await ctx.newResident();
    const count = async () =>
      (
        await ctx.database.db
          .select({ n: sql<number>`count(*)::int` })
          .from(cases)
          .where(eq(cases.applicantId, resident.accountId))
      )[0]!.n;
    expect(
      await rejection(
        ctx.services.applications.submit(resident, { serviceCode: 'cert.residence', form: { ...residenceForm, purpose: 'bribe' } }),
      ),
    ).toBe('VALIDATION_FAILED');
    expect(
      await rejection(
        ctx.services.applications.submit(resident, {
          serviceCode: 'cert.residence',
          form: { ...residenceForm, residentSince: '2015-02-30' },
        }),
      ),
    ).toBe('VALIDATION_FAILED');
    expect(
      await rejection(
        ctx.services.applications.submit(resident, { serviceCode: 'cert.residence', form: { ...residenceForm, extra: 'x' } }),
      ),
    ).toBe('VALIDATION_FAILED');
    expect(await rejection(ctx.services.applications.submit(resident, { serviceCode: 'no.such', form: {} }))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.applications.submit(resident, { ...residence, orgCode: '130123100' }))).toBe(
      'INVALID_DIVISION_CODE',
    );
    expect(await count()).toBe(0);
  });

  it('gives the first result for a retried Idempotency-Key and refuses the key with another body', async () => {
    const resident = await ctx.newResident();
    const first = await ctx.services.applications.submit(resident, residence, 'retry-key-0001');
    const again = await ctx.services.applications.submit(resident, residence, 'retry-key-0001');
    expect(again.replayed).toBe(true);
    expect(again.case.id).toBe(first.case.id);
    expect(
      await rejection(
        ctx.services.applications.submit(resident, { ...residence, form: { ...residenceForm, purpose: 'other' } }, 'retry-key-0001'),
      ),
    ).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await rejection(ctx.services.applications.submit(resident, residence, 'bad key'))).toBe('IDEMPOTENCY_KEY_INVALID');
  });

  it('runs concurrent submissions with one Idempotency-Key once', async () => {
    const resident = await ctx.newResident();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => ctx.services.applications.submit(resident, residence, 'concurrent-key-1')),
    );
    expect(new Set(results.map((r) => r.case.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    const rows = await ctx.database.db.select().from(cases).where(eq(cases.applicantId, resident.accountId));
    expect(rows).toHaveLength(1);
  });

  it('lets exactly one of 50 concurrent approvals win', async () => {
    const resident = await ctx.newResident();
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: c } = await ctx.services.applications.submit(resident, residence);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => ctx.services.applications.act(reviewer, c.id, i % 2 === 0 ? 'approve' : 'reject', '并发测试')),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected') expect((o.reason as { code: string }).code).toBe('ALREADY_DECIDED');
    }
    const decisions = await ctx.database.db.select().from(caseDecisions).where(eq(caseDecisions.caseId, c.id));
    expect(decisions).toHaveLength(1);
    const decidingEvents = await ctx.database.db
      .select()
      .from(caseEvents)
      .where(and(eq(caseEvents.caseId, c.id), sql`${caseEvents.action} in ('approve','reject')`));
    expect(decidingEvents).toHaveLength(1);
  });

  it('walks the full life: accept, review, return, resubmit, approve, complete; refuses wrong states', async () => {
    const resident = await ctx.newResident();
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const apps = ctx.services.applications;
    const { case: c } = await apps.submit(resident, residence);
    expect(await rejection(apps.act(reviewer, c.id, 'complete'))).toBe('INVALID_STATE');
    await apps.act(reviewer, c.id, 'accept');
    await apps.act(reviewer, c.id, 'start_review');
    expect(await rejection(apps.act(reviewer, c.id, 'return'))).toBe('VALIDATION_FAILED');
    const returned = await apps.act(reviewer, c.id, 'return', '请补充居住起始日期证明');
    expect(returned.state).toBe('returned');
    expect(returned.returnReason).toBe('请补充居住起始日期证明');
    const resubmitted = await apps.applicantAction(resident, c.id, 'resubmit', { ...residenceForm, residentSince: '2014-01-01' });
    expect(resubmitted.state).toBe('submitted');
    expect(resubmitted.form.residentSince).toBe('2014-01-01');
    // Approval issues the residence proof in the same transaction, which completes the case.
    const done = await apps.act(reviewer, c.id, 'approve');
    expect(done.state).toBe('completed');
    expect(done.completedAt).not.toBeNull();
    expect(await rejection(apps.act(reviewer, c.id, 'approve'))).toBe('ALREADY_DECIDED');
    expect(await rejection(apps.act(reviewer, c.id, 'complete'))).toBe('INVALID_STATE');
    const detail = await apps.getCase(resident, c.id);
    expect(detail.events.map((e) => e.action)).toEqual([
      'submit',
      'submit',
      'accept',
      'start_review',
      'return',
      'resubmit',
      'approve',
      'complete',
    ]);
    expect(detail.events.at(-1)?.reason).toMatch(/1\.2\.156\.3005\.2\./);
    expect(detail.events.find((e) => e.action === 'return')?.reason).toBe('请补充居住起始日期证明');
  });

  it('keeps drafts out of the queue until submitted', async () => {
    const resident = await ctx.newResident();
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: draft } = await ctx.services.applications.submit(resident, { ...residence, draft: true });
    expect(draft.state).toBe('draft');
    expect(draft.dueDate).toBeNull();
    const queued = async () => {
      const ids: string[] = [];
      let after: string | undefined;
      do {
        const page = await ctx.services.applications.queue(reviewer, { orgCode: VILLAGE, limit: 200, ...(after ? { after } : {}) });
        ids.push(...page.items.map((i) => i.id));
        after = page.next ?? undefined;
      } while (after);
      return ids;
    };
    expect(await queued()).not.toContain(draft.id);
    await ctx.services.applications.applicantAction(resident, draft.id, 'submit');
    expect(await queued()).toContain(draft.id);
  });

  it('hides cases from those who may not see them', async () => {
    const alice = await ctx.newResident();
    const bob = await ctx.newResident();
    const otherReviewer = await ctx.newStaff('village_reviewer', ctx.otherVillage);
    const supervisor = await ctx.newStaff('supervisor', '130123');
    const apps = ctx.services.applications;
    const { case: c } = await apps.submit(alice, residence);
    expect(await rejection(apps.getCase(bob, c.id))).toBe('NOT_FOUND');
    expect(await rejection(apps.getCase(otherReviewer, c.id))).toBe('NOT_FOUND');
    expect(await rejection(apps.act(otherReviewer, c.id, 'approve'))).toBe('NOT_FOUND');
    expect(await rejection(apps.getCase(alice, 'not-a-uuid'))).toBe('NOT_FOUND');
    expect(await rejection(apps.queue(otherReviewer, { orgCode: VILLAGE }))).toBe('NOT_FOUND');
    expect(await rejection(apps.act(alice, c.id, 'approve'))).toBe('NOT_FOUND');
    // A supervisor sees the county's cases but does not decide them.
    expect((await apps.getCase(supervisor, c.id)).applicant?.residentIdMasked).toMatch(/^130123\*{8}\d{3}[\dX]$/);
    expect(await rejection(apps.act(supervisor, c.id, 'approve'))).toBe('FORBIDDEN');
    expect((await apps.listMine(bob, {})).items.map((i) => i.id)).not.toContain(c.id);
  });

  it('gives administrators the subtree queue with keyset pages and an overdue filter', async () => {
    const resident = await ctx.newResident();
    const countyAdmin = await ctx.newStaff('county_admin', '130123');
    const past = new Date(Date.now() - 30 * 86_400_000);
    const oldApps = createApplicationsService({
      db: ctx.database.db,
      catalog: ctx.services.catalog,
      orgs: ctx.services.orgs,
      residents: ctx.services.identity,
      events: ctx.services.events,
      clock: () => past,
    });
    const overdue = await oldApps.submit(resident, residence);
    expect(overdue.case.overdue).toBe(false);
    const fresh = await ctx.services.applications.submit(resident, residence);
    const seen: string[] = [];
    let after: string | undefined;
    let lastDue = '';
    do {
      const page = await ctx.services.applications.queue(countyAdmin, { orgCode: '130123', limit: 3, ...(after ? { after } : {}) });
      for (const item of page.items) {
        expect(item.dueDate! >= lastDue).toBe(true);
        lastDue = item.dueDate!;
      }
      seen.push(...page.items.map((i) => i.id));
      after = page.next ?? undefined;
    } while (after);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain(overdue.case.id);
    expect(seen).toContain(fresh.case.id);
    const overduePage = await ctx.services.applications.queue(countyAdmin, { orgCode: '130123', overdue: true, limit: 200 });
    expect(overduePage.items.map((i) => i.id)).toContain(overdue.case.id);
    expect(overduePage.items.map((i) => i.id)).not.toContain(fresh.case.id);
    expect(overduePage.items.every((i) => i.overdue)).toBe(true);
  });

  it('records both identities when a helper acts for a resident', async () => {
    const resident = await ctx.newResident();
    const helper = await ctx.newStaff('helper', VILLAGE);
    await ctx.services.identity.createDelegation(resident, {
      helperUsername: helper.username,
      scopes: ['applications.submit', 'applications.view'],
      validUntil: new Date(Date.now() + 7 * 86_400_000),
    });
    const acting = await ctx.login({ kind: 'staff', username: helper.username, password: PASSWORD, channel: 'web' }, resident.accountId);
    const { case: c } = await ctx.services.applications.submit(acting, residence);
    expect(c.applicantId).toBe(resident.accountId);
    expect(c.helperId).toBe(helper.accountId);
    expect(c.channel).toBe('helper');
    const detail = await ctx.services.applications.getCase(resident, c.id);
    expect(detail.events[0]).toMatchObject({ actorId: helper.accountId, onBehalfOf: resident.accountId, channel: 'helper' });
    // Without acting for anyone, the helper is not the resident and cannot see the case.
    expect(await rejection(ctx.services.applications.getCase(helper, c.id))).toBe('NOT_FOUND');
  });
});
