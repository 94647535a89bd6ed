import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleContext, motherIn } from '../../../test/bundle-fixtures.ts';
import { testEngines } from '../../../test/db.ts';
import { rejection } from '../../../test/errors.ts';
import type { TestContext } from '../../../test/factories.ts';
import { makeResidentId } from '../identity/index.ts';
import { seedRules } from '../rules/index.ts';
import { seedBenefits } from './benefits.seed.ts';
import { CHILDCARE_SUBSIDY, DEATH_REGISTRATION, MATERNITY_ALLOWANCE, MATERNITY_MEDICAL, OLD_AGE_ALLOWANCE } from './benefit-defs.ts';

const BIRTH = 'health.birth_record';
const REGISTER = 'ps.household_register';

/** A date `days` before today, as the hospital writes a birth time. */
const daysAgo = (days: number) => `${new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10)}T08:30:00+08:00`;

describe.each(testEngines())('benefits with no application on %s', (engine) => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await bundleContext(engine);
    await seedRules(ctx.database.db, ctx.services.ledger, { civilAffairsOrgCode: ctx.departments.civil_affairs! });
    await seedBenefits(ctx.database.db, ctx.services, ctx.departments);
    // Again: nothing new (grants, rule versions, catalogue rows).
    await seedBenefits(ctx.database.db, ctx.services, ctx.departments);
  }, 120_000);
  afterAll(async () => {
    await ctx?.close();
  });

  async function mother(name: string, birth: Partial<Record<string, string>> = {}) {
    const resident = await motherIn(ctx, name);
    await ctx.services.sharingAdmin.upsertRecords(BIRTH, [
      {
        residentId: resident.residentId,
        data: {
          childName: '张小宝',
          childGender: '男',
          birthTime: daysAgo(10),
          birthPlace: '河北省石家庄市正定县',
          hospital: '正定县人民医院',
          weightGrams: '3350',
          certificateNo: `O${randomUUID().slice(0, 9)}`,
          deliveryMode: '顺产',
          babies: '1',
          ...birth,
        },
      },
    ]);
    return resident;
  }

  async function birthBundle(parent: Awaited<ReturnType<typeof mother>>) {
    await ctx.services.bundles.start(parent, { bundle: 'birth', form: { bankBranch: '农行正定支行' }, consent: true }, randomUUID());
    await ctx.services.events.drain();
  }

  const count = async (query: ReturnType<typeof sql>) => Number((await ctx.database.db.execute<{ n: number }>(query)).rows[0]!.n);

  it('seeds four benefits, their rules in force and their law-based grants, once', async () => {
    const codes = (await ctx.services.benefits.catalogue()).map((b) => b.code).sort();
    expect(codes).toEqual([CHILDCARE_SUBSIDY, MATERNITY_ALLOWANCE, MATERNITY_MEDICAL, OLD_AGE_ALLOWANCE].sort());
    for (const code of [MATERNITY_MEDICAL, MATERNITY_ALLOWANCE, CHILDCARE_SUBSIDY]) {
      expect(await ctx.services.rules.activeInputs(code)).toMatchObject({ version: 1, purpose: code });
    }
    expect(await count(sql`select count(*)::int as n from rule_versions where rule_code = ${MATERNITY_ALLOWANCE}`)).toBe(1);
  });

  it('after a birth bundle grants maternity reimbursement and allowance with no application, offers the childcare subsidy, and pays each once', async () => {
    const parent = await mother('周丽', { deliveryMode: '剖宫产' });
    await birthBundle(parent);
    const mine = await ctx.services.benefits.mine(parent);
    const of = (code: string) => mine.find((g) => g.benefitCode === code)!;

    const medical = of(MATERNITY_MEDICAL);
    expect(medical).toMatchObject({ mode: 'grant', status: 'granted', outcome: 'eligible', amountFen: 300000 });
    expect(medical.rule).toMatchObject({ code: MATERNITY_MEDICAL, version: 1 });
    expect(medical.basis?.titleZh).toContain('社会保险法');
    expect(medical.payments).toEqual([expect.objectContaining({ period: 'once', amountFen: 300000, status: 'sent' })]);

    // 5,600 yuan a month ÷ 30 × (98 + 15 for a caesarean + 60 in Hebei) days, in fen, rounded down.
    const allowance = of(MATERNITY_ALLOWANCE);
    expect(allowance).toMatchObject({ mode: 'process', status: 'granted', amountFen: Math.floor((560000 * (98 + 15 + 60)) / 30) });
    expect(allowance.caseId).not.toBeNull();
    const medsec = await ctx.newStaff('department_officer', ctx.departments.medical_security!);
    const kase = await ctx.services.applications.getCase(medsec, allowance.caseId!);
    expect(kase.serviceCode).toBe('medsec.maternity_allowance');
    // An item with no certificate ends approved.
    expect(kase.state).toBe('approved');
    expect(kase.events.find((e) => e.action === 'approve')?.reason).toContain(`${MATERNITY_ALLOWANCE} v1`);
    expect(allowance.payments).toEqual([expect.objectContaining({ status: 'sent' })]);

    const childcare = of(CHILDCARE_SUBSIDY);
    expect(childcare).toMatchObject({ mode: 'confirm', status: 'offered', amountFen: 360000, payments: [] });
    expect(childcare.actions).toMatchObject({ confirm: true, decline: true });
    const confirmed = await ctx.services.benefits.confirm(parent, childcare.id);
    expect(confirmed.status).toBe('granted');
    await ctx.services.events.drain();
    expect((await ctx.services.benefits.getMine(parent, childcare.id)).payments).toEqual([
      expect.objectContaining({ period: String(new Date().getFullYear()), amountFen: 360000, status: 'sent' }),
    ]);
    expect(await rejection(ctx.services.benefits.confirm(parent, childcare.id))).toBe('CONFLICT');

    // The certificate events again (a worker that died after its work): no second decision or payment.
    const handler = ctx.services.events.handlers().find((h) => h.name === 'benefits.assess')!;
    const { rows } = await ctx.database.db.execute<{ id: number; payload: Record<string, unknown>; created_at: string }>(
      sql`select id, payload, created_at from outbox where topic = 'certificate.issued' and payload->>'holderId' = ${parent.accountId}`,
    );
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      const event = {
        id: Number(row.id),
        topic: 'certificate.issued',
        payload: row.payload,
        attempts: 2,
        createdAt: new Date(row.created_at),
      };
      await handler.handle(event, { markHandled: async () => undefined });
    }
    await ctx.services.events.drain();
    const grants = (await ctx.services.benefits.mine(parent)).filter((g) => g.benefitCode !== OLD_AGE_ALLOWANCE);
    expect(grants).toHaveLength(3);
    expect(grants.flatMap((g) => g.payments).filter((p) => p.status === 'sent')).toHaveLength(3);
    // Each decision is a ledger leaf with digests only.
    const leaves = await count(sql`select count(*)::int as n from ledger_queue where kind = 'benefit.decision'`);
    const entries = await count(sql`select count(*)::int as n from ledger_entries where kind = 'benefit.decision'`);
    expect(leaves + entries).toBeGreaterThanOrEqual(4);
  }, 180_000);

  it('refuses with the clause not met in plain words, and a request for a person opens a case at the payer', async () => {
    const parent = await mother('冯敏');
    // Her employer stopped paying maternity insurance: the allowance is refused, the reimbursement is not.
    await ctx.services.sharingAdmin.upsertRecords('medsec.maternity_insurance', [
      {
        residentId: parent.residentId,
        data: { employer: '某公司', status: '暂停缴费', contributionWageFen: '500000', contributionMonths: '30' },
      },
    ]);
    await birthBundle(parent);
    const refused = (await ctx.services.benefits.mine(parent)).find((g) => g.benefitCode === MATERNITY_ALLOWANCE)!;
    expect(refused).toMatchObject({ status: 'refused', outcome: 'ineligible', amountFen: null, caseId: null, payments: [] });
    expect(refused.why.failed).toEqual([expect.objectContaining({ id: 'contributing', zh: '用人单位正常缴纳生育保险费' })]);
    expect(refused.actions.review).toBe(true);

    const reviewed = await ctx.services.benefits.requestReview(parent, refused.id, '单位已补缴，请人工核实');
    expect(reviewed.reviewCaseId).not.toBeNull();
    expect(reviewed.actions.review).toBe(false);
    const medsec = await ctx.newStaff('department_officer', ctx.departments.medical_security!);
    const kase = await ctx.services.applications.getCase(medsec, reviewed.reviewCaseId!);
    expect(kase).toMatchObject({ serviceCode: 'benefit.review.medical_security', state: 'submitted', form: { decisionId: refused.id } });
    expect(await rejection(ctx.services.benefits.requestReview(parent, refused.id, '再次申请'))).toBe('CONFLICT');
    // Another resident sees nothing of it.
    const stranger = await ctx.newResident({ name: '路人' });
    expect(await rejection(ctx.services.benefits.getMine(stranger, refused.id))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.benefits.requestReview(stranger, refused.id, '看看'))).toBe('NOT_FOUND');
  }, 180_000);

  it('grants 高龄津贴 on the 80th birthday by the sweep, pays monthly once per month, and stops at a death registration', async () => {
    // Turning 80 today; one turning 80 tomorrow is not swept yet.
    const today = new Date(Date.now() + 8 * 3_600_000);
    const eighty = `${today.getUTCFullYear() - 80}-${today.toISOString().slice(5, 10)}`;
    const residentId = makeResidentId('130123', eighty, 777);
    await ctx.services.identity.registerResident({
      name: '赵爷爷',
      residentId,
      phone: `137${String(Date.now()).slice(-8)}`,
      password: 'Yiban-Test-2026!',
      homeOrgCode: '130123100242',
    });
    const tomorrow = new Date(today.getTime() + 86_400_000);
    const almost = `${tomorrow.getUTCFullYear() - 80}-${tomorrow.toISOString().slice(5, 10)}`;
    const almostId = makeResidentId('130123', almost, 779);
    await ctx.services.sharingAdmin.upsertRecords(REGISTER, [
      { residentId, data: { name: '赵爷爷', birthDate: eighty, address: '河北省石家庄市正定县正定镇塔元庄村' } },
      {
        residentId: almostId,
        data: { name: '钱奶奶', birthDate: almost, address: '河北省石家庄市正定县正定镇塔元庄村' },
      },
    ]);
    const first = await ctx.services.benefits.runDue();
    const again = await ctx.services.benefits.runDue();
    await ctx.services.events.drain();
    expect(first.swept.find((s) => s.benefitCode === OLD_AGE_ALLOWANCE)!.decided).toBeGreaterThanOrEqual(1);
    expect(again.swept.find((s) => s.benefitCode === OLD_AGE_ALLOWANCE)!.decided).toBe(0);
    expect(again.paymentsScheduled).toBe(0);

    const almostKey = ctx.services.sharingAdmin.subjectKeyOf(almostId);
    expect(await count(sql`select count(*)::int as n from benefit_grants where subject_key = ${almostKey}`)).toBe(0);
    const subject = ctx.services.sharingAdmin.subjectKeyOf(residentId);
    const grant = (
      await ctx.database.db.execute<{ id: string; status: string; amount_fen: number; account_id: string | null }>(
        sql`select id, status, amount_fen::int as amount_fen, account_id from benefit_grants where subject_key = ${subject} and benefit_code = ${OLD_AGE_ALLOWANCE}`,
      )
    ).rows;
    expect(grant).toEqual([expect.objectContaining({ status: 'granted', amount_fen: 10000 })]);
    expect(grant[0]!.account_id).not.toBeNull();
    expect(await count(sql`select count(*)::int as n from benefit_payments where grant_id = ${grant[0]!.id} and status = 'sent'`)).toBe(1);

    // A relative registers the death: the allowance stops, and next month's run pays nothing.
    const relative = await ctx.newResident({ name: '赵儿子' });
    const { case: death } = await ctx.services.applications.submit(relative, {
      serviceCode: DEATH_REGISTRATION,
      form: { deceasedName: '赵爷爷', deceasedResidentId: residentId, deathDate: today.toISOString().slice(0, 10) },
    });
    const police = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    await ctx.services.applications.act(police, death.id, 'accept');
    await ctx.services.applications.act(police, death.id, 'approve', '死亡登记');
    await ctx.services.events.drain();
    const stopped = (
      await ctx.database.db.execute<{ status: string; stop_reason: string }>(
        sql`select status, stop_reason from benefit_grants where id = ${grant[0]!.id}`,
      )
    ).rows[0]!;
    expect(stopped.status).toBe('stopped');
    expect(stopped.stop_reason).toBe(`death:${death.id}`);
    const nextMonth = new Date(Date.now() + 32 * 86_400_000);
    await ctx.services.benefits.runDue(nextMonth);
    expect(await count(sql`select count(*)::int as n from benefit_payments where grant_id = ${grant[0]!.id}`)).toBe(1);
  }, 180_000);

  it('shows the paying department its grants (payees masked) and figures with take-up; other orgs see nothing', async () => {
    const medsec = await ctx.newStaff('department_officer', ctx.departments.medical_security!);
    const page = await ctx.services.benefits.listGrants(medsec, { benefitCode: MATERNITY_MEDICAL });
    expect(page.items.length).toBeGreaterThan(0);
    for (const g of page.items) expect(g.payeeMasked).toMatch(/^\d{6}\*{8}[\dX]{4}$/);
    const [figures] = await ctx.services.benefits.figures(medsec, MATERNITY_ALLOWANCE);
    expect(figures).toMatchObject({ benefitCode: MATERNITY_ALLOWANCE, refused: 1 });
    expect(figures!.granted).toBeGreaterThanOrEqual(1);
    expect(figures!.takeUp).toBe(figures!.granted / figures!.eligible);
    expect(figures!.triggerToPaymentSeconds.p50).not.toBeNull();
    const civil = await ctx.newStaff('department_officer', ctx.departments.civil_affairs!);
    expect(await ctx.services.benefits.figures(civil, MATERNITY_ALLOWANCE)).toEqual([]);
    expect((await ctx.services.benefits.listGrants(civil, { benefitCode: MATERNITY_MEDICAL })).items).toEqual([]);
  });

  it('lets a parent opt out: the live grant stops, pending payments are cancelled, and no new grant is made', async () => {
    const parent = await mother('韩雪');
    await birthBundle(parent);
    const offer = (await ctx.services.benefits.mine(parent)).find((g) => g.benefitCode === CHILDCARE_SUBSIDY)!;
    expect(offer.status).toBe('offered');
    const after = await ctx.services.benefits.optOut(parent, CHILDCARE_SUBSIDY);
    expect(after.map((g) => g.status)).toEqual(['opted_out']);
    expect(await rejection(ctx.services.benefits.confirm(parent, offer.id))).toBe('CONFLICT');
    expect(await rejection(ctx.services.benefits.optOut(parent, 'benefit.no_such'))).toBe('NOT_FOUND');
  }, 180_000);
});
