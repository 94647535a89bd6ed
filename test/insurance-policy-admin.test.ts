import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { appSuite } from './app-suite.ts';
import { testEngines } from './db.ts';
import { freshResidentId, PASSWORD } from './factories.ts';
import { SEED_POLICIES, seedInsurance } from '../src/modules/insurance/index.ts';
import { chinaDay } from '../src/modules/insurance/insurance-context.ts';
import {
  insuranceEncounters,
  insuranceFeeLines,
  insurancePolicies,
  insuranceSettlements,
} from '../src/modules/insurance/insurance.tables.ts';
import { resolvePolicy } from '../src/modules/insurance/policies.ts';
import { settle } from '../src/modules/insurance/settlement.ts';
import { connectTestHospital } from './insurance-fixture.ts';

const GUIGANG = '450800';
/** Next year: the proposal's version starts on its 1 March (never in the past, whenever this runs). */
const NEXT = String(new Date().getUTCFullYear() + 1);
const CURRENT = SEED_POLICIES.find((p) => p.region === GUIGANG && p.effectiveTo === null)!;

const STAY = [
  { feedetl_sn: 'L1', med_list_codg: '001102000010000', cnt: 12, pric_fen: 5_000 },
  { feedetl_sn: 'L3', med_list_codg: '003311000010000', cnt: 1, pric_fen: 780_000 },
  { feedetl_sn: 'L4', med_list_codg: 'XB01ABE005B002010100732', cnt: 20, pric_fen: 4_200 },
  { feedetl_sn: 'L5', med_list_codg: 'XN05CFZ017A001010101333', cnt: 2, pric_fen: 3_000 },
];

/** A proposal: the current version with the residents' tertiary share raised from 70 % to 75 % and a lower deductible. */
function proposal(overrides: Record<string, unknown> = {}) {
  const { effectiveTo: _to, ...current } = CURRENT;
  return {
    ...current,
    version: NEXT,
    effectiveFrom: `${NEXT}-03-01`,
    legalBasis: `贵港市医疗保障局关于调整居民医保住院待遇的通知（${NEXT} 年）`,
    deductibleFen: { ...current.deductibleFen, resident: { 1: 20_000, 2: 40_000, 3: 60_000 } },
    ratioPermille: { ...current.ratioPermille, resident: { 1: 900, 2: 820, 3: 750 } },
    ...overrides,
  };
}

describe.each(testEngines())('the insurance office’s policy versions, dry run and clearing on %s', (engine) => {
  const suite = appSuite(engine);
  const tokens: Record<string, string> = {};

  async function token(username: string): Promise<string> {
    const res = await suite.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'staff', username, password: PASSWORD, channel: 'web' },
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ token: string }>().token;
  }
  const call = (who: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    suite.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload ? { payload } : {}) });

  it('sets up a stay of a 贵港 resident in a Nanning hospital, and the staff who may and may not', async () => {
    const { ctx } = suite;
    const medsec = ctx.departments.medical_security!;
    await seedInsurance(ctx.database.db, [{ region: GUIGANG, nameZh: '贵港市', officeOrgCode: medsec }]);
    tokens.officer = await token((await ctx.newStaff('department_officer', medsec)).username);
    tokens.supervisor = await token((await ctx.newStaff('supervisor', '130123')).username);
    tokens.civil = await token((await ctx.newStaff('department_officer', ctx.departments.civil_affairs!)).username);

    const hospital = await connectTestHospital(ctx, suite.app);
    const psnNo = await ctx.services.insuranceAdmin.enrol({
      residentId: freshResidentId(),
      name: '覃阿公',
      scheme: 'resident',
      region: GUIGANG,
      fromDate: '2020-01-01',
    });
    const region = { insuranceRegion: GUIGANG };
    const opened = await hospital.call('2001', { psn_no: psnNo, med_type: '21', begntime: '2026-08-10' }, region);
    const mdtrtId = opened.answer.output!.mdtrt_id as string;
    await hospital.call('2301', { mdtrt_id: mdtrtId, feedetail: STAY }, region);
    const pre = (await hospital.call('2303', { mdtrt_id: mdtrtId }, region)).answer.output!;
    await hospital.call('2304', { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt }, region);
    const [s] = await ctx.database.db.select().from(insuranceSettlements).where(eq(insuranceSettlements.mdtrtId, mdtrtId));
    expect(s?.status).toBe('settled');
  });

  it('refuses staff of another bureau, a viewer who may not manage and a resident (403), and a bad policy with a message naming the field (400)', async () => {
    const month = chinaDay(new Date()).slice(0, 7);
    for (const who of ['civil', 'supervisor']) {
      expect((await call(who, 'POST', '/api/insurance/policies', proposal())).statusCode).toBe(403);
      expect((await call(who, 'POST', '/api/insurance/policies/dry-run', { policy: proposal(), month })).statusCode).toBe(403);
    }
    expect((await call('civil', 'GET', '/api/insurance/clearings')).statusCode).toBe(403);
    // The supervisor of the bureau sees the clearing (empty until clearing runs).
    const clearings = await call('supervisor', 'GET', `/api/insurance/clearings?month=${month}`);
    expect(clearings.statusCode).toBe(200);
    expect(clearings.json()).toEqual([]);
    const resident = await suite.ctx.newResident();
    const res = await suite.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'resident', residentIdOrPhone: resident.residentId, password: PASSWORD, channel: 'app' },
    });
    tokens.resident = res.json<{ token: string }>().token;
    expect((await call('resident', 'POST', '/api/insurance/policies', proposal())).statusCode).toBe(403);

    const overShare = await call('officer', 'POST', '/api/insurance/policies', proposal({ classBSelfPayPermille: 1200 }));
    expect(overShare.statusCode).toBe(400);
    expect(overShare.json<{ error: { message: string } }>().error.message).toContain('classBSelfPayPermille');
    const notFen = await call('officer', 'POST', '/api/insurance/policies', proposal({ yearCapFen: { employee: 100.5, resident: 1 } }));
    expect(notFen.statusCode).toBe(400);
    expect(notFen.json<{ error: { message: string } }>().error.message).toContain('yearCapFen');
    const notDate = await call('officer', 'POST', '/api/insurance/policies', proposal({ effectiveFrom: `${NEXT}-02-30` }));
    expect(notDate.statusCode).toBe(400);
    expect(notDate.json<{ error: { message: string } }>().error.message).toContain(`${NEXT}-02-30`);
    const early = await call('officer', 'POST', '/api/insurance/policies', proposal({ effectiveFrom: CURRENT.effectiveFrom }));
    expect(early.statusCode).toBe(400);
    expect(early.json<{ error: { message: string } }>().error.message).toContain('新版本不能追溯适用');
    // Nothing was written.
    const rows = await suite.ctx.database.db.select().from(insurancePolicies).where(eq(insurancePolicies.region, GUIGANG));
    expect(rows.map((r) => r.version).sort()).toEqual(['2025', '2026-07']);
  });

  it('dry-runs a proposal over the month’s settlements: the same figures as settle() directly, the current policy changes nothing, and nothing is written', async () => {
    const db = suite.ctx.database.db;
    const month = chinaDay(new Date()).slice(0, 7);
    const [s] = await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.insuranceRegion, GUIGANG));
    const [e] = await db.select().from(insuranceEncounters).where(eq(insuranceEncounters.mdtrtId, s!.mdtrtId));
    const lines = await db.select().from(insuranceFeeLines).where(eq(insuranceFeeLines.mdtrtId, s!.mdtrtId));

    const res = await call('officer', 'POST', '/api/insurance/policies/dry-run', { policy: proposal(), month });
    expect(res.statusCode).toBe(200);
    const run = res.json<{
      count: number;
      version: string;
      fundFen: { then: number; proposed: number };
      cashFen: { then: number; proposed: number };
      changes: { setlId: string; fundThenFen: number; fundProposedFen: number }[];
    }>();
    const direct = settle(
      lines.map((l) => ({
        id: l.feedetlSn,
        code: l.code,
        itemClass: l.itemClass,
        quantity: l.quantity,
        unitPriceFen: l.unitPriceFen,
        priceLimitFen: l.priceLimitFen,
      })),
      resolvePolicy([{ ...proposal(), effectiveTo: null }], {
        region: GUIGANG,
        scheme: 'resident',
        level: 3,
        where: e!.where,
        filed: e!.filed,
        emergency: e!.emergency,
        stayNumber: 1,
        date: `${NEXT}-03-01`,
      }),
      { deductibleUsedFen: 0, fundPaidFen: 0 },
    );
    expect(run).toMatchObject({ count: 1, version: `450800-${NEXT}` });
    expect(run.fundFen).toEqual({ then: s!.hifpPayFen, proposed: direct.hifpPayFen });
    expect(run.cashFen).toEqual({ then: s!.cashPayFen, proposed: direct.cashPayFen });
    expect(direct.hifpPayFen).toBeGreaterThan(s!.hifpPayFen);
    expect(run.changes).toEqual([
      expect.objectContaining({ setlId: s!.setlId, fundThenFen: s!.hifpPayFen, fundProposedFen: direct.hifpPayFen }),
    ]);

    // The version in force, proposed again, pays exactly what was paid.
    const { effectiveTo: _to, ...current } = CURRENT;
    const same = (
      await call('officer', 'POST', '/api/insurance/policies/dry-run', { policy: { ...current, version: 'same' }, month })
    ).json<{
      fundFen: { then: number; proposed: number };
      cashFen: { then: number; proposed: number };
    }>();
    expect(same.fundFen.proposed).toBe(same.fundFen.then);
    expect(same.cashFen.proposed).toBe(same.cashFen.then);
    // Another month has none.
    expect(
      (await call('officer', 'POST', '/api/insurance/policies/dry-run', { policy: proposal(), month: '2020-01' })).json(),
    ).toMatchObject({
      count: 0,
      fundFen: { then: 0, proposed: 0 },
    });
    const rows = await db.select().from(insurancePolicies).where(eq(insurancePolicies.region, GUIGANG));
    expect(rows).toHaveLength(2);
  });

  it('publishes the version: the previous one closes the day before, a ledger leaf is written, the next settlement reads it at once; the same version again is a conflict', async () => {
    const { ctx } = suite;
    const res = await call('officer', 'POST', '/api/insurance/policies', proposal());
    expect(res.statusCode).toBe(201);
    const published = res.json<{ closed: { version: string; effectiveTo: string }; ledgerEntryId: number }>();
    expect(published.closed).toEqual({ version: '2026-07', effectiveTo: `${NEXT}-02-28` });
    const entry = await ctx.services.ledger.lookup(published.ledgerEntryId);
    expect(entry?.kind).toBe('insurance.policy');

    const [previous] = await ctx.database.db
      .select()
      .from(insurancePolicies)
      .where(and(eq(insurancePolicies.region, GUIGANG), eq(insurancePolicies.version, '2026-07')));
    expect(previous?.effectiveTo).toBe(`${NEXT}-02-28`);
    expect(previous?.data.effectiveTo).toBe(`${NEXT}-02-28`);
    // The reference data was cleared: the new version is what a stay from its first day resolves to.
    const policies = await ctx.services.insurance.reference.policies();
    const resolved = resolvePolicy(policies, {
      region: GUIGANG,
      scheme: 'resident',
      level: 3,
      where: 'local',
      filed: false,
      emergency: false,
      stayNumber: 1,
      date: `${NEXT}-03-01`,
    });
    expect(resolved).toMatchObject({ version: `450800-${NEXT}`, fundRatioPermille: 750, deductibleFen: 60_000 });
    expect(
      resolvePolicy(policies, {
        region: GUIGANG,
        scheme: 'resident',
        level: 3,
        where: 'local',
        filed: false,
        emergency: false,
        stayNumber: 1,
        date: `${NEXT}-02-28`,
      }).version,
    ).toBe('450800-2026-07');

    const listed = (await call('supervisor', 'GET', '/api/insurance/policies')).json<
      { region: string; version: string; createdBy: string }[]
    >();
    expect(listed.filter((p) => p.region === GUIGANG).map((p) => p.version)).toEqual([NEXT, '2026-07', '2025']);

    expect((await call('officer', 'POST', '/api/insurance/policies', proposal({ effectiveFrom: `${NEXT}-06-01` }))).statusCode).toBe(409);
    const before = await call(
      'officer',
      'POST',
      '/api/insurance/policies',
      proposal({ version: `${NEXT}-02`, effectiveFrom: `${NEXT}-02-01` }),
    );
    expect(before.statusCode).toBe(400);
    expect(before.json<{ error: { message: string } }>().error.message).toContain(`须晚于现行版本 ${NEXT} 的施行日期 ${NEXT}-03-01`);
  });
});
