import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { chinaDate } from '../src/core/values.ts';
import { seedInsurance } from '../src/modules/insurance/index.ts';
import {
  insuranceEncounters,
  insuranceFilings,
  insuranceSettlements,
  insuranceYearTotals,
} from '../src/modules/insurance/insurance.tables.ts';
import { insuranceWindowLog } from '../src/modules/insurance/window.tables.ts';
import { makeCreditCode } from '../src/modules/orgs/credit-code.ts';
import { seedInsuranceServices } from '../src/modules/rules/insurance-rules.seed.ts';
import { sm2SigningKey } from '../src/modules/sharing/index.ts';
import { seedDatasets } from '../src/modules/sharing/sharing.seed.ts';
import { sm2GenerateKeyPair } from '../src/verify/sm2-keys.ts';
import { appSuite } from './app-suite.ts';
import { testEngines } from './db.ts';
import { freshResidentId, PASSWORD, VILLAGE } from './factories.ts';

/** Two hospitals of 正定县 (Hebei); the patients are insured in 贵港市 (Guangxi): treatment in another province. */
const HOSPITAL_A = 'H13012300001';
const HOSPITAL_B = 'H13012300002';
const COUNTY = '130123';
const GUIGANG = '450800';
const INSURED = 'medsec.insured_person';

/** A stay: bed, nursing, a class-B drug and a class-C drug (codes of the seed catalogue). */
const STAY = [
  { feedetlSn: 'L1', code: '001102000010000', quantity: 5, unitPriceFen: 5_000 },
  { feedetlSn: 'L2', code: '001103000010000', quantity: 5, unitPriceFen: 3_500 },
  { feedetlSn: 'L3', code: 'XB01ABE005B002010100732', quantity: 10, unitPriceFen: 4_200 },
  { feedetlSn: 'L4', code: 'XN05CFZ017A001010101333', quantity: 2, unitPriceFen: 3_000 },
];

interface Amounts {
  medfee_sumamt: number;
  fulamt_ownpay_amt: number;
  overlmt_selfpay: number;
  preselfpay_amt: number;
  inscp_scp_amt: number;
  hifp_pay: number;
  acct_pay: number;
  psn_cash_pay: number;
}
interface Explained {
  amounts: Amounts;
  policy: string;
  lines: { id: string; name: string | null; totalFen: number; why: { policy: string; basis: string }[] }[];
}

describe.each(testEngines())('the hospital insurance window on %s', (engine) => {
  const suite = appSuite(engine);
  let ready: Promise<{ clerkA: string; clerkB: string; officer: string; reviewer: string }> | null = null;

  async function token(login: Record<string, string>): Promise<string> {
    const res = await suite.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { ...login, password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ token: string }>().token;
  }
  const staffToken = async (role: Parameters<typeof suite.ctx.newStaff>[0], orgCode: string) =>
    token({ kind: 'staff', username: (await suite.ctx.newStaff(role, orgCode)).username, channel: 'web' });

  /** Once per engine: the insurance seed, the filing rule, two hospitals (orgs of kind hospital, linked institutions) and their clerks. */
  function setup() {
    ready ??= (async () => {
      const { ctx } = suite;
      const bureau = ctx.departments.medical_security!;
      await seedInsurance(ctx.database.db, [{ region: GUIGANG, nameZh: '贵港市', officeOrgCode: bureau }]);
      await ctx.services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
      await seedInsuranceServices(ctx.services, { medicalSecurityOrgCode: bureau });
      const admin = await ctx.newStaff('county_admin', COUNTY);
      const orgOf: Record<string, string> = {};
      for (const [i, code] of [HOSPITAL_A, HOSPITAL_B].entries()) {
        const org = await ctx.services.orgs.createDepartment(admin, {
          name: i === 0 ? '正定县人民医院' : '正定县中医院',
          kind: 'hospital',
          creditCode: makeCreditCode(`12${COUNTY}YBH00000${i + 1}`),
          parentCode: COUNTY,
        });
        const key = sm2SigningKey(`${code}-key`, sm2GenerateKeyPair().privateKey);
        await ctx.services.insuranceAdmin.registerInstitution({
          code,
          nameZh: org.name,
          nameEn: `Zhengding hospital ${i + 1}`,
          level: 2,
          region: COUNTY,
          keyId: key.keyId,
          publicKey: key.publicKey,
          orgCode: org.code,
        });
        orgOf[code] = org.code;
      }
      ctx.services.insurance.reference.clear();
      return {
        clerkA: await staffToken('hospital_window', orgOf[HOSPITAL_A]!),
        clerkB: await staffToken('hospital_window', orgOf[HOSPITAL_B]!),
        officer: await staffToken('department_officer', bureau),
        reviewer: await staffToken('village_reviewer', VILLAGE),
      };
    })();
    return ready;
  }

  /** A registered resident of the village, insured in 贵港市 (the registry and the bureau's dataset agree). */
  async function patient() {
    const { ctx } = suite;
    const resident = await ctx.newResident({ homeOrgCode: VILLAGE, name: '覃阿婆' });
    const psnNo = await ctx.services.insuranceAdmin.enrol({
      residentId: resident.residentId,
      name: '覃阿婆',
      scheme: 'resident',
      region: GUIGANG,
      fromDate: '2020-01-01',
      accountId: resident.accountId,
    });
    await ctx.services.sharingAdmin.upsertRecords(INSURED, [
      {
        residentId: resident.residentId,
        data: { name: '覃阿婆', insuranceType: '城乡居民基本医疗保险', insuredRegion: '广西壮族自治区贵港市平南县', status: '正常参保' },
      },
    ]);
    return { ...resident, psnNo };
  }

  const call = (t: string | null, method: 'GET' | 'POST', url: string, payload?: object) =>
    suite.app.inject({
      method,
      url: `/api/insurance/window${url}`,
      headers: t ? { authorization: `Bearer ${t}` } : {},
      ...(payload ? { payload } : {}),
    });

  async function openStay(clerk: string, hospital: string, residentId: string) {
    const opened = await call(clerk, 'POST', `/${hospital}/encounters`, { residentId, medType: '21', beginDate: chinaDate(new Date()) });
    expect(opened.statusCode).toBe(200);
    const { mdtrtId } = opened.json<{ mdtrtId: string }>();
    expect((await call(clerk, 'POST', `/${hospital}/encounters/${mdtrtId}/fees`, { lines: STAY })).json()).toEqual({ uploaded: 4 });
    return mdtrtId;
  }

  it('lets a clerk check coverage by the ID presented, open, upload, pre-settle, settle and print for their hospital, logging each act without the ID number', async () => {
    const { clerkA } = await setup();
    const p = await patient();
    const hospitals = await call(clerkA, 'GET', '/hospitals');
    expect(hospitals.json()).toEqual([expect.objectContaining({ code: HOSPITAL_A, region: COUNTY })]);

    const coverage = await call(clerkA, 'POST', `/${HOSPITAL_A}/coverage`, { residentId: p.residentId });
    expect(coverage.statusCode).toBe(200);
    const c = coverage.json<{
      psnNo: string;
      idMasked: string;
      scheme: string;
      status: string;
      where: string;
      year: { fundPaidFen: number };
    }>();
    expect(c).toMatchObject({ psnNo: p.psnNo, scheme: 'resident', status: 'active', where: 'other_province', year: { fundPaidFen: 0 } });
    expect(c.idMasked).toBe(`${p.residentId.slice(0, 6)}********${p.residentId.slice(14)}`);
    expect(coverage.body).not.toContain(p.residentId);

    // A number that is not an ID, and one of nobody insured: refused, the second logged (masked) like any lookup.
    const wrongCheck = `${p.residentId.slice(0, 17)}${p.residentId.endsWith('1') ? '2' : '1'}`;
    const notAnId = await call(clerkA, 'POST', `/${HOSPITAL_A}/coverage`, { residentId: wrongCheck });
    expect(notAnId.json<{ error: { code: string } }>().error.code).toBe('VALIDATION_FAILED');
    const stranger = freshResidentId();
    const missing = await call(clerkA, 'POST', `/${HOSPITAL_A}/coverage`, { residentId: stranger });
    expect(missing.json<{ error: { code: string } }>().error.code).toBe('INSURANCE_NOT_INSURED');
    const strangerMasked = `${stranger.slice(0, 6)}********${stranger.slice(14)}`;
    const [lookup] = await suite.ctx.database.db.select().from(insuranceWindowLog).where(eq(insuranceWindowLog.idMasked, strangerMasked));
    expect(lookup).toMatchObject({ action: 'coverage', psnNo: null, institutionCode: HOSPITAL_A, detail: { found: false } });

    const mdtrtId = await openStay(clerkA, HOSPITAL_A, p.residentId);
    const open = (await call(clerkA, 'GET', `/${HOSPITAL_A}/encounters`)).json<{ mdtrtId: string; lines: number; feeTotalFen: number }[]>();
    const total = STAY.reduce((s, l) => s + l.quantity * l.unitPriceFen, 0);
    expect(open.find((e) => e.mdtrtId === mdtrtId)).toMatchObject({ lines: 4, feeTotalFen: total });

    const pre = await call(clerkA, 'POST', `/${HOSPITAL_A}/encounters/${mdtrtId}/presettle`, {});
    expect(pre.statusCode).toBe(200);
    const presettled = pre.json<Explained>();
    expect(presettled.amounts.medfee_sumamt).toBe(total);
    expect(presettled.amounts.fulamt_ownpay_amt).toBe(6_000); // the class-C drug

    const settled = await call(clerkA, 'POST', `/${HOSPITAL_A}/encounters/${mdtrtId}/settle`, {
      medfeeSumamt: total,
      diagCode: 'S72.001',
      diagName: '股骨颈骨折',
    });
    expect(settled.statusCode).toBe(200);
    const s = settled.json<Explained & { setlId: string }>();
    const a = s.amounts;
    expect(a.hifp_pay + a.acct_pay + a.psn_cash_pay).toBe(total);
    expect(a.fulamt_ownpay_amt + a.overlmt_selfpay + a.preselfpay_amt + a.inscp_scp_amt).toBe(total);
    expect(s.policy).toMatch(/^450800-/);
    expect(s.lines.map((l) => l.name)).toEqual(['床位费（三人间）', '一级护理', '依诺肝素钠注射液', '酒石酸唑吡坦片']);
    for (const line of s.lines) expect(line.why.length).toBeGreaterThan(0);

    const statement = await call(clerkA, 'GET', `/${HOSPITAL_A}/settlements/${s.setlId}`);
    expect(statement.statusCode).toBe(200);
    expect(statement.json()).toMatchObject({
      setlId: s.setlId,
      status: 'settled',
      institutionCode: HOSPITAL_A,
      amounts: a,
      idMasked: c.idMasked,
    });

    const db = suite.ctx.database.db;
    const [row] = await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, s.setlId));
    expect(row).toMatchObject({ institutionCode: HOSPITAL_A, psnNo: p.psnNo, hifpPayFen: a.hifp_pay, list: { diagCode: 'S72.001' } });
    const [year] = await db.select().from(insuranceYearTotals).where(eq(insuranceYearTotals.psnNo, p.psnNo));
    expect(year).toMatchObject({ fundPaidFen: a.hifp_pay, stays: 1 });
    // Settled: no longer among the open encounters.
    expect((await call(clerkA, 'GET', `/${HOSPITAL_A}/encounters`)).json<{ mdtrtId: string }[]>().map((e) => e.mdtrtId)).not.toContain(
      mdtrtId,
    );

    const logged = await db.select().from(insuranceWindowLog).where(eq(insuranceWindowLog.psnNo, p.psnNo)).orderBy(insuranceWindowLog.id);
    expect(logged.map((l) => l.action)).toEqual(['coverage', 'open', 'fees', 'presettle', 'settle', 'statement']);
    expect(new Set(logged.map((l) => l.institutionCode))).toEqual(new Set([HOSPITAL_A]));
    expect(new Set(logged.map((l) => l.actorId)).size).toBe(1);
    expect(logged.find((l) => l.action === 'settle')).toMatchObject({ mdtrtId, setlId: s.setlId });
    expect(JSON.stringify(logged)).not.toContain(p.residentId);
    expect(JSON.stringify(logged)).not.toContain(p.residentId.slice(6, 14));
  });

  it('never lets the clerk of another hospital see, settle, cancel or print an encounter of this one', async () => {
    const { clerkA, clerkB } = await setup();
    const p = await patient();
    const mdtrtId = await openStay(clerkA, HOSPITAL_A, p.residentId);
    const pre = (await call(clerkA, 'POST', `/${HOSPITAL_A}/encounters/${mdtrtId}/presettle`, {})).json<Explained>();

    // Through A's address: not B's hospital.
    for (const [method, url, body] of [
      ['GET', `/${HOSPITAL_A}/encounters`, undefined],
      ['GET', `/${HOSPITAL_A}/encounters/${mdtrtId}`, undefined],
      ['POST', `/${HOSPITAL_A}/encounters/${mdtrtId}/settle`, { medfeeSumamt: pre.amounts.medfee_sumamt }],
      ['POST', `/${HOSPITAL_A}/coverage`, { residentId: p.residentId }],
    ] as const) {
      const res = await call(clerkB, method, url, body);
      expect(res.statusCode, url).toBe(404);
    }
    // Through B's own address: A's encounter is not there.
    for (const [method, url, body] of [
      ['GET', `/${HOSPITAL_B}/encounters/${mdtrtId}`, undefined],
      ['POST', `/${HOSPITAL_B}/encounters/${mdtrtId}/fees`, { lines: [STAY[0]!] }],
      ['POST', `/${HOSPITAL_B}/encounters/${mdtrtId}/presettle`, {}],
      ['POST', `/${HOSPITAL_B}/encounters/${mdtrtId}/settle`, { medfeeSumamt: pre.amounts.medfee_sumamt }],
    ] as const) {
      const res = await call(clerkB, method, url, body);
      expect(res.statusCode, url).toBe(404);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('NOT_FOUND');
    }
    expect((await call(clerkB, 'GET', `/${HOSPITAL_B}/encounters`)).json<{ mdtrtId: string }[]>().map((e) => e.mdtrtId)).not.toContain(
      mdtrtId,
    );

    const settled = await call(clerkA, 'POST', `/${HOSPITAL_A}/encounters/${mdtrtId}/settle`, { medfeeSumamt: pre.amounts.medfee_sumamt });
    const { setlId } = settled.json<{ setlId: string }>();
    expect((await call(clerkB, 'GET', `/${HOSPITAL_B}/settlements/${setlId}`)).statusCode).toBe(404);
    expect((await call(clerkB, 'POST', `/${HOSPITAL_B}/settlements/${setlId}/cancel`)).statusCode).toBe(404);
    const db = suite.ctx.database.db;
    expect((await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, setlId)))[0]!.status).toBe('settled');

    // A cancels its own: the encounter opens again and the year's totals come back.
    const cancelled = await call(clerkA, 'POST', `/${HOSPITAL_A}/settlements/${setlId}/cancel`);
    expect(cancelled.json()).toMatchObject({ setlId, status: 'cancelled' });
    const [year] = await db.select().from(insuranceYearTotals).where(eq(insuranceYearTotals.psnNo, p.psnNo));
    expect(year).toMatchObject({ fundPaidFen: 0, deductibleUsedFen: 0, stays: 0 });
    expect((await call(clerkA, 'GET', `/${HOSPITAL_A}/encounters/${mdtrtId}`)).json()).toMatchObject({ status: 'open', presettled: false });
  });

  it('refuses the window to a village reviewer, the insurance office, a resident and anyone signed out', async () => {
    const { officer, reviewer } = await setup();
    const p = await patient();
    const resident = await token({ kind: 'resident', residentIdOrPhone: p.residentId, channel: 'app' });
    for (const t of [reviewer, officer, resident]) {
      expect((await call(t, 'GET', '/hospitals')).statusCode).toBe(403);
      expect((await call(t, 'POST', `/${HOSPITAL_A}/coverage`, { residentId: p.residentId })).statusCode).toBe(403);
      expect((await call(t, 'GET', `/${HOSPITAL_A}/encounters`)).statusCode).toBe(403);
    }
    expect((await call(null, 'GET', '/hospitals')).statusCode).toBe(401);
    expect((await call(null, 'POST', `/${HOSPITAL_A}/coverage`, { residentId: p.residentId })).statusCode).toBe(401);
    const db = suite.ctx.database.db;
    expect(await db.select().from(insuranceWindowLog).where(eq(insuranceWindowLog.psnNo, p.psnNo))).toEqual([]);
  });

  it('files treatment here for the patient at the window, decided at once by the rule, and the next entitlement check says filed', async () => {
    const { clerkA } = await setup();
    const p = await patient();
    const before = await openStayless(clerkA, p.residentId);
    expect(before).toMatchObject({ where: 'other_province', filed: false });

    const filed = await call(clerkA, 'POST', `/${HOSPITAL_A}/filings`, {
      residentId: p.residentId,
      kind: 'temporary',
      startDate: chinaDate(new Date()),
    });
    expect(filed.statusCode).toBe(200);
    const { caseId } = filed.json<{ caseId: string; state: string }>();
    await suite.ctx.services.events.drain();

    const db = suite.ctx.database.db;
    const [filing] = await db.select().from(insuranceFilings).where(eq(insuranceFilings.caseId, caseId));
    expect(filing).toMatchObject({ psnNo: p.psnNo, kind: 'temporary', destination: COUNTY });
    // The case is the patient's own, taken at the window, approved by the rule.
    const mine = await suite.ctx.services.applications.getCase(p, caseId);
    expect(mine).toMatchObject({ applicantId: p.accountId, channel: 'window' });
    expect(['approved', 'completed']).toContain(mine.state);

    // Someone insured with no account on the platform cannot have a case filed in their name.
    const unregistered = freshResidentId();
    await suite.ctx.services.insuranceAdmin.enrol({
      residentId: unregistered,
      name: '韦阿公',
      scheme: 'resident',
      region: GUIGANG,
      fromDate: '2020-01-01',
    });
    const refused = await call(clerkA, 'POST', `/${HOSPITAL_A}/filings`, {
      residentId: unregistered,
      kind: 'temporary',
      startDate: chinaDate(new Date()),
    });
    expect(refused.statusCode).toBe(404);

    const after = await openStayless(clerkA, p.residentId);
    expect(after).toMatchObject({ where: 'other_province', filed: true });
    const coverage = (await call(clerkA, 'POST', `/${HOSPITAL_A}/coverage`, { residentId: p.residentId })).json<{ filings: unknown[] }>();
    expect(coverage.filings).toEqual([expect.objectContaining({ kind: 'temporary', destination: COUNTY })]);
    const [logged] = await db.select().from(insuranceWindowLog).where(eq(insuranceWindowLog.caseId, caseId));
    expect(logged).toMatchObject({ action: 'filing', institutionCode: HOSPITAL_A, psnNo: p.psnNo });
  });

  it('answers a clerk’s retried click (the same Idempotency-Key) with the first answer and changes nothing more; the key for another request is refused', async () => {
    const { clerkA } = await setup();
    const p = await patient();
    const db = suite.ctx.database.db;
    const keyed = (key: string, url: string, payload: object) =>
      suite.app.inject({
        method: 'POST',
        url: `/api/insurance/window/${HOSPITAL_A}${url}`,
        headers: { authorization: `Bearer ${clerkA}`, 'idempotency-key': key },
        payload,
      });
    const openBody = { residentId: p.residentId, medType: '21', beginDate: chinaDate(new Date()) };
    const opened = await Promise.all([keyed('open-key-0001', '/encounters', openBody), keyed('open-key-0001', '/encounters', openBody)]);
    expect(
      opened.map((r) => r.statusCode),
      opened[0].body,
    ).toEqual([200, 200]);
    const { mdtrtId } = opened[0].json<{ mdtrtId: string }>();
    expect(opened[1].json<{ mdtrtId: string }>().mdtrtId).toBe(mdtrtId);
    expect(await db.select().from(insuranceEncounters).where(eq(insuranceEncounters.psnNo, p.psnNo))).toHaveLength(1);

    for (let i = 0; i < 2; i++)
      expect((await keyed('fees-key-0001', `/encounters/${mdtrtId}/fees`, { lines: STAY })).json()).toEqual({ uploaded: 4 });
    const pre = (await call(clerkA, 'POST', `/${HOSPITAL_A}/encounters/${mdtrtId}/presettle`, {})).json<Explained>();
    const settleBody = { medfeeSumamt: pre.amounts.medfee_sumamt };
    const first = await keyed('settle-key-0001', `/encounters/${mdtrtId}/settle`, settleBody);
    const again = await keyed('settle-key-0001', `/encounters/${mdtrtId}/settle`, settleBody);
    expect([first.statusCode, again.statusCode], first.body).toEqual([200, 200]);
    const { setlId } = first.json<{ setlId: string }>();
    expect(again.json<{ setlId: string }>().setlId).toBe(setlId);
    expect(await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.mdtrtId, mdtrtId))).toHaveLength(1);

    // The same key for another request: refused, nothing written.
    const reused = await keyed('settle-key-0001', `/encounters/${mdtrtId}/settle`, { medfeeSumamt: pre.amounts.medfee_sumamt + 1 });
    expect(reused.statusCode).toBe(409);
    expect(reused.json<{ error: { code: string } }>().error.code).toBe('INSURANCE_MSGID_REUSED');

    // Cancelled twice by a retried click: one cancellation, the same answer; a second click without the key is refused.
    const cancels = [
      await keyed('cancel-key-0001', `/settlements/${setlId}/cancel`, {}),
      await keyed('cancel-key-0001', `/settlements/${setlId}/cancel`, {}),
    ];
    expect(cancels.map((r) => r.json<{ status: string }>().status)).toEqual(['cancelled', 'cancelled']);
    expect((await call(clerkA, 'POST', `/${HOSPITAL_A}/settlements/${setlId}/cancel`, {})).statusCode).toBe(409);
    const acts = await db.select().from(insuranceWindowLog).where(eq(insuranceWindowLog.mdtrtId, mdtrtId));
    expect(acts.map((a) => a.action).sort()).toEqual(['cancel', 'fees', 'open', 'presettle', 'settle']);

    // A filing retried with its key: one case.
    const fileBody = { residentId: p.residentId, kind: 'temporary', startDate: chinaDate(new Date()) };
    const filed = [await keyed('file-key-0001', '/filings', fileBody), await keyed('file-key-0001', '/filings', fileBody)];
    expect(
      filed.map((r) => r.statusCode),
      filed[0]!.body,
    ).toEqual([200, 200]);
    expect(filed[1]!.json<{ caseId: string }>().caseId).toBe(filed[0]!.json<{ caseId: string }>().caseId);
    const filingLogs = await db
      .select()
      .from(insuranceWindowLog)
      .where(eq(insuranceWindowLog.caseId, filed[0]!.json<{ caseId: string }>().caseId));
    expect(filingLogs).toHaveLength(1);
  });

  async function openStayless(clerk: string, residentId: string) {
    const res = await call(clerk, 'POST', `/${HOSPITAL_A}/encounters`, { residentId, medType: '11', beginDate: chinaDate(new Date()) });
    expect(res.statusCode).toBe(200);
    return res.json<{ where: string; filed: boolean }>();
  }
});
