import { readFileSync } from 'node:fs';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { appSuite } from './app-suite.ts';
import { testEngines } from './db.ts';
import { freshResidentId } from './factories.ts';
import { seedInsurance } from '../src/modules/insurance/index.ts';
import { createHospitalClient, HospitalCallError, type HospitalClient } from '../src/modules/insurance/hospital-client.ts';
import {
  insuranceMessages,
  insurancePersons,
  insuranceSettlements,
  insuranceYearTotals,
} from '../src/modules/insurance/insurance.tables.ts';
import { sm2SigningKey } from '../src/modules/sharing/index.ts';
import { sm2GenerateKeyPair } from '../src/verify/sm2-keys.ts';
import { injectTransport } from './insurance-fixture.ts';

const NANNING_TERTIARY = 'H45010300001';
const OTHER_HOSPITAL = 'H45010300002';
const GUIGANG = '450800';

/** A 30,000-yuan-class stay: bed, nursing, surgery, a class-B drug, a class-C drug and a prosthesis above its payment standard. */
const STAY = [
  { feedetl_sn: 'L1', med_list_codg: '001102000010000', cnt: 12, pric_fen: 5_000 },
  { feedetl_sn: 'L2', med_list_codg: '001103000010000', cnt: 12, pric_fen: 3_500 },
  { feedetl_sn: 'L3', med_list_codg: '003311000010000', cnt: 1, pric_fen: 780_000 },
  { feedetl_sn: 'L4', med_list_codg: 'XB01ABE005B002010100732', cnt: 20, pric_fen: 4_200 },
  { feedetl_sn: 'L5', med_list_codg: 'XN05CFZ017A001010101333', cnt: 2, pric_fen: 3_000 },
  { feedetl_sn: 'L6', med_list_codg: 'C0311201000000107328', cnt: 1, pric_fen: 880_000 },
];

async function failure(p: Promise<unknown>): Promise<HospitalCallError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HospitalCallError);
  return error as HospitalCallError;
}

describe.each(testEngines())('the hospital interface on %s', (engine) => {
  const suite = appSuite(engine);

  async function setup() {
    const { ctx, app } = suite;
    await seedInsurance(ctx.database.db, [{ region: GUIGANG, nameZh: '贵港市', officeOrgCode: ctx.departments.medical_security! }]);
    const clients: Record<string, HospitalClient> = {};
    const keyRes = await app.inject({ method: 'GET', url: '/api/insurance/hsa/v1/interface-key' });
    expect(keyRes.statusCode).toBe(200);
    const platformKey = keyRes.json<{ keyId: string; publicKeySpki: string }>();
    for (const [code, level] of [
      [NANNING_TERTIARY, 3],
      [OTHER_HOSPITAL, 2],
    ] as const) {
      const pair = sm2GenerateKeyPair();
      const key = sm2SigningKey(`${code}-key`, pair.privateKey);
      await ctx.services.insuranceAdmin.registerInstitution({
        code,
        nameZh: `南宁测试医院${level}`,
        nameEn: `Test hospital ${level}`,
        level,
        region: '450103',
        keyId: key.keyId,
        publicKey: key.publicKey,
      });
      clients[code] = createHospitalClient({
        baseUrl: 'http://yiban.test',
        hospital: { code, region: '450103', key },
        platformKey,
        transport: injectTransport(() => suite.app),
      });
    }
    ctx.services.insurance.reference.clear();
    const residentId = freshResidentId();
    const psnNo = await ctx.services.insuranceAdmin.enrol({
      residentId,
      name: '覃阿婆',
      scheme: 'resident',
      region: GUIGANG,
      fromDate: '2020-01-01',
    });
    return { hospital: clients[NANNING_TERTIARY]!, other: clients[OTHER_HOSPITAL]!, residentId, psnNo };
  }

  it('runs a stay through person info, entitlement, fee upload, pre-settlement and settlement, explains every line, and answers a retried msgid with its first answer', async () => {
    const { hospital, residentId, psnNo } = await setup();
    const region = { insuranceRegion: GUIGANG };
    const info = await hospital.call('1101', { mdtrt_cert_type: '02', mdtrt_cert_no: residentId }, region);
    const baseinfo = info.answer.output!.baseinfo as { psn_no: string; certno: string };
    expect(baseinfo.psn_no).toBe(psnNo);
    expect(baseinfo.certno).not.toContain(residentId.slice(6, 14));

    const opened = await hospital.call('2001', { psn_no: psnNo, med_type: '21', begntime: '2026-08-10' }, region);
    expect(opened.answer.output).toMatchObject({ where: 'province', filed: '0' });
    const mdtrtId = opened.answer.output!.mdtrt_id as string;
    await hospital.call('2301', { mdtrt_id: mdtrtId, feedetail: STAY }, region);
    const pre = (await hospital.call('2303', { mdtrt_id: mdtrtId }, region)).answer.output!;
    const settled = await hospital.call(
      '2304',
      { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt, setl_list: { diagCode: 'S72.001', diagName: '股骨颈骨折' } },
      region,
    );
    const out = settled.answer.output!;
    const parts = ['fulamt_ownpay_amt', 'overlmt_selfpay', 'preselfpay_amt', 'inscp_scp_amt'].reduce((s, k) => s + (out[k] as number), 0);
    expect(parts).toBe(out.medfee_sumamt);
    expect((out.hifp_pay as number) + (out.acct_pay as number) + (out.psn_cash_pay as number)).toBe(out.medfee_sumamt);
    expect(out.fulamt_ownpay_amt).toBe(6_000); // the class-C drug
    // The prosthesis 1,800 yuan above its 7,000-yuan standard, the drug 7 yuan × 20 above its 35.
    expect(out.overlmt_selfpay).toBe(180_000 + 14_000);
    expect(out.policy).toBe('450800-2026-07');
    // Each line names its rules; the answer says each rule once, under the policy and its legal basis.
    const lines = out.setldetail as { feedetl_sn: string; why: string[] }[];
    const rules = out.rules as Record<string, { zh: string; en: string }>;
    expect(out.basis).toMatch(/\S/);
    expect(lines).toHaveLength(STAY.length);
    for (const l of lines) {
      expect(l.why.length).toBeGreaterThan(0);
      for (const id of l.why) expect(rules[id]?.zh).toMatch(/\S/);
    }
    expect(lines.find((l) => l.why.includes('over-limit'))).toBeDefined();
    expect((out.why as string[]).every((id) => rules[id])).toBe(true);

    const again = await hospital.call(
      '2304',
      { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt, setl_list: { diagCode: 'S72.001', diagName: '股骨颈骨折' } },
      { ...region, msgid: settled.msgid },
    );
    expect(again.answer).toEqual(settled.answer);
    const db = suite.ctx.database.db;
    expect(await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.mdtrtId, mdtrtId))).toHaveLength(1);
    const [year] = await db.select().from(insuranceYearTotals).where(eq(insuranceYearTotals.psnNo, psnNo));
    expect(year).toMatchObject({ fundPaidFen: out.hifp_pay, deductibleUsedFen: out.act_pay_dedc, stays: 1 });

    // A msgid reused for another request is refused, not answered with the first.
    const reused = await failure(hospital.call('2303', { mdtrt_id: mdtrtId }, { ...region, msgid: settled.msgid }));
    expect(reused.answer.err_code).toBe('INSURANCE_MSGID_REUSED');
  });

  it('answers a retried msgid with its first answer across migration 0039 (answers kept as jsonb before are kept as text after)', async () => {
    const { hospital, psnNo } = await setup();
    const region = { insuranceRegion: GUIGANG };
    const db = suite.ctx.database.db;
    const mdtrtId = (await hospital.call('2001', { psn_no: psnNo, med_type: '21', begntime: '2026-07-01' }, region)).answer.output!
      .mdtrt_id as string;
    await hospital.call('2301', { mdtrt_id: mdtrtId, feedetail: STAY }, region);
    const pre = (await hospital.call('2303', { mdtrt_id: mdtrtId }, region)).answer.output!;
    const settled = await hospital.call('2304', { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt }, region);
    // The table as it was before 0039, then 0039's statements.
    await db.execute(sql`alter table insurance_messages alter column response type jsonb using response::jsonb`);
    const migration = readFileSync(new URL('../drizzle/0039_messages_text.sql', import.meta.url), 'utf8');
    for (const statement of migration.split('--> statement-breakpoint')) await db.execute(sql.raw(statement));
    const type = await db.execute<{ t: string }>(
      sql`select data_type as t from information_schema.columns where table_name = 'insurance_messages' and column_name = 'response'`,
    );
    expect(type.rows[0]!.t).toBe('text');
    const again = await hospital.call('2304', { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt }, { ...region, msgid: settled.msgid });
    expect(again.answer).toEqual(settled.answer);
    expect(await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.mdtrtId, mdtrtId))).toHaveLength(1);
  });

  it('cancels, reverses and settles again to the same result, and the year’s totals come back exactly; a reversal of a reversal or of an unknown message is refused', async () => {
    const { hospital, psnNo } = await setup();
    const region = { insuranceRegion: GUIGANG };
    const mdtrtId = (await hospital.call('2001', { psn_no: psnNo, med_type: '21', begntime: '2026-09-01' }, region)).answer.output!
      .mdtrt_id as string;
    await hospital.call('2301', { mdtrt_id: mdtrtId, feedetail: STAY }, region);
    const settleOnce = async () => {
      const pre = (await hospital.call('2303', { mdtrt_id: mdtrtId }, region)).answer.output!;
      return hospital.call('2304', { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt }, region);
    };
    const first = await settleOnce();
    const db = suite.ctx.database.db;
    const totals = async () => (await db.select().from(insuranceYearTotals).where(eq(insuranceYearTotals.psnNo, psnNo)))[0]!;
    const afterFirst = await totals();

    await hospital.call('2305', { setl_id: first.answer.output!.setl_id }, region);
    expect(await totals()).toMatchObject({ fundPaidFen: 0, deductibleUsedFen: 0, stays: 0 });
    const second = await settleOnce();
    const strip = (o: Record<string, unknown>) => ({ ...o, setl_id: undefined, setl_time: undefined });
    expect(strip(second.answer.output!)).toEqual(strip(first.answer.output!));
    expect(await totals()).toEqual(afterFirst);

    const reversal = await hospital.call('2601', { omsgid: second.msgid, oinfno: '2304' }, region);
    expect(reversal.answer.output).toMatchObject({ status: 'reversed' });
    expect(await totals()).toMatchObject({ fundPaidFen: 0, deductibleUsedFen: 0, stays: 0 });
    expect((await failure(hospital.call('2601', { omsgid: reversal.msgid, oinfno: '2601' }, region))).answer.err_code).toBe(
      'INSURANCE_REVERSAL_REFUSED',
    );
    expect((await failure(hospital.call('2601', { omsgid: second.msgid, oinfno: '2304' }, region))).answer.err_code).toBe(
      'INSURANCE_REVERSAL_REFUSED',
    );
    expect((await failure(hospital.call('2601', { omsgid: 'H45010300001UNKNOWN0001', oinfno: '2304' }, region))).answer.err_code).toBe(
      'INSURANCE_REVERSAL_REFUSED',
    );
    const third = await settleOnce();
    expect(strip(third.answer.output!)).toEqual(strip(first.answer.output!));
  });

  it('settles two stays of one patient sent at once without a lost update, one msgid sent twice at once once, and a line uploaded after the pre-settlement is caught', async () => {
    const { hospital, psnNo } = await setup();
    const region = { insuranceRegion: GUIGANG };
    const db = suite.ctx.database.db;
    const open = async (day: string) => {
      const id = (await hospital.call('2001', { psn_no: psnNo, med_type: '21', begntime: day }, region)).answer.output!.mdtrt_id as string;
      await hospital.call('2301', { mdtrt_id: id, feedetail: STAY }, region);
      return id;
    };
    const [a, b] = [await open('2026-10-01'), await open('2026-10-20')];
    const presettle = async (id: string) => (await hospital.call('2303', { mdtrt_id: id }, region)).answer.output!.medfee_sumamt;
    const [totalA, totalB] = [await presettle(a), await presettle(b)];
    // Both computed from the same year's totals: the one written second finds them changed and is
    // refused as unlike its pre-settlement (never settled on stale totals); pre-settled again, it settles.
    const results = await Promise.allSettled([
      hospital.call('2304', { mdtrt_id: a, medfee_sumamt: totalA }, region),
      hospital.call('2304', { mdtrt_id: b, medfee_sumamt: totalB }, region),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    for (const [i, r] of results.entries()) {
      if (r.status === 'fulfilled') continue;
      expect((r.reason as HospitalCallError).answer.err_code).toBe('INSURANCE_SETTLEMENT_MISMATCH');
      const id = i === 0 ? a : b;
      await hospital.call('2304', { mdtrt_id: id, medfee_sumamt: await presettle(id) }, region);
    }
    const settled = await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.psnNo, psnNo));
    expect(
      settled
        .filter((s) => s.status === 'settled')
        .map((s) => s.mdtrtId)
        .sort(),
    ).toEqual([a, b].sort());
    const [year] = await db.select().from(insuranceYearTotals).where(eq(insuranceYearTotals.psnNo, psnNo));
    expect(year).toMatchObject({
      fundPaidFen: settled.reduce((t, s) => t + s.hifpPayFen, 0),
      deductibleUsedFen: settled.reduce((t, s) => t + s.deductibleFen, 0),
      stays: 2,
    });

    // The same settlement message sent twice at once: one settlement, both answered alike.
    const c = await open('2026-11-02');
    const totalC = await presettle(c);
    const msgid = `${NANNING_TERTIARY}20261102000000c0ffee`;
    const twice = await Promise.all([0, 1].map(() => hospital.call('2304', { mdtrt_id: c, medfee_sumamt: totalC }, { ...region, msgid })));
    expect(twice[1]!.answer).toEqual(twice[0]!.answer);
    expect(await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.mdtrtId, c))).toHaveLength(1);

    // A line uploaded after the pre-settlement: the settlement recomputes and refuses, writing nothing.
    const d = await open('2026-11-20');
    const totalD = await presettle(d);
    await hospital.call(
      '2301',
      { mdtrt_id: d, feedetail: [{ feedetl_sn: 'L7', med_list_codg: '001102000010000', cnt: 1, pric_fen: 5_000 }] },
      region,
    );
    const late = await failure(hospital.call('2304', { mdtrt_id: d, medfee_sumamt: totalD }, region));
    expect(late.answer.err_code).toBe('INSURANCE_SETTLEMENT_MISMATCH');
    expect(await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.mdtrtId, d))).toHaveLength(0);
    // The same line number again is refused whole: no line of that upload is kept.
    const dup = await failure(
      hospital.call(
        '2301',
        { mdtrt_id: d, feedetail: [{ feedetl_sn: 'L8', med_list_codg: '001102000010000', cnt: 1, pric_fen: 5_000 }, STAY[0]] },
        region,
      ),
    );
    expect(dup.answer.err_code).toBe('CONFLICT');
    const lines = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from insurance_fee_lines where mdtrt_id = ${d} and feedetl_sn = 'L8'`,
    );
    expect(Number(lines.rows[0]!.n)).toBe(0);
  });

  it('settles from the pre-settlement this process computed only while what it was computed from stands: coverage suspended, another stay settled or a reused msgid in between is caught, writing nothing', async () => {
    const { hospital, psnNo } = await setup();
    const region = { insuranceRegion: GUIGANG };
    const db = suite.ctx.database.db;
    const stay = async (day: string) => {
      const id = (await hospital.call('2001', { psn_no: psnNo, med_type: '21', begntime: day }, region)).answer.output!.mdtrt_id as string;
      await hospital.call('2301', { mdtrt_id: id, feedetail: STAY }, region);
      const pre = await hospital.call('2303', { mdtrt_id: id }, region);
      return { id, total: pre.answer.output!.medfee_sumamt as number, msgid: pre.msgid };
    };
    const settlementsOf = async (id: string) => db.select().from(insuranceSettlements).where(eq(insuranceSettlements.mdtrtId, id));

    // Coverage suspended after the pre-settlement: refused as not insured.
    const a = await stay('2026-08-01');
    await db.update(insurancePersons).set({ status: 'suspended' }).where(eq(insurancePersons.psnNo, psnNo));
    const suspended = await failure(hospital.call('2304', { mdtrt_id: a.id, medfee_sumamt: a.total }, region));
    expect(suspended.answer.err_code).toBe('INSURANCE_NOT_INSURED');
    expect(await settlementsOf(a.id)).toHaveLength(0);
    await db.update(insurancePersons).set({ status: 'active' }).where(eq(insurancePersons.psnNo, psnNo));

    // Another stay settled after this one's pre-settlement: the year's totals moved, so it is unlike its pre-settlement.
    const b = await stay('2026-08-10');
    const c = await stay('2026-08-20');
    await hospital.call('2304', { mdtrt_id: c.id, medfee_sumamt: c.total }, region);
    const moved = await failure(hospital.call('2304', { mdtrt_id: b.id, medfee_sumamt: b.total }, region));
    expect(moved.answer.err_code).toBe('INSURANCE_SETTLEMENT_MISMATCH');
    expect(await settlementsOf(b.id)).toHaveLength(0);

    // The settlement sent under the msgid of its own pre-settlement: refused, nothing written.
    const d = await stay('2026-09-01');
    const reused = await failure(hospital.call('2304', { mdtrt_id: d.id, medfee_sumamt: d.total }, { ...region, msgid: d.msgid }));
    expect(reused.answer.err_code).toBe('INSURANCE_MSGID_REUSED');
    expect(await settlementsOf(d.id)).toHaveLength(0);
    // Pre-settled again, each settles, once.
    for (const s of [a, b, d]) {
      const pre = await hospital.call('2303', { mdtrt_id: s.id }, region);
      await hospital.call('2304', { mdtrt_id: s.id, medfee_sumamt: pre.answer.output!.medfee_sumamt }, region);
      expect(await settlementsOf(s.id)).toHaveLength(1);
    }
    const [year] = await db.select().from(insuranceYearTotals).where(eq(insuranceYearTotals.psnNo, psnNo));
    expect(year!.stays).toBe(4);
  });

  it('pre-settles from what its own fee upload left only while that stands: a reversed upload, another stay settled or coverage suspended in between is caught, and the answer is the one a fresh read gives', async () => {
    const { hospital, psnNo } = await setup();
    const region = { insuranceRegion: GUIGANG };
    const db = suite.ctx.database.db;
    const open = async (day: string) =>
      (await hospital.call('2001', { psn_no: psnNo, med_type: '21', begntime: day }, region)).answer.output!.mdtrt_id as string;
    // The first 2303 after this process's own 2301 computes without a read; the second reads.
    const presettleTwice = async (id: string) => {
      const first = (await hospital.call('2303', { mdtrt_id: id }, region)).answer.output!;
      const again = (await hospital.call('2303', { mdtrt_id: id }, region)).answer.output!;
      expect(first).toEqual(again);
      return first;
    };
    const stayTotal = STAY.reduce((t, l) => t + l.cnt * l.pric_fen, 0);

    // The year's first stay settled between this one's upload and its pre-settlement: this one is
    // the second stay of the year, with the later stays' lower deductible.
    const b = await open('2026-07-10');
    await hospital.call('2301', { mdtrt_id: b, feedetail: STAY }, region);
    const c = await open('2026-07-20');
    await hospital.call('2301', { mdtrt_id: c, feedetail: STAY }, region);
    const preC = (await hospital.call('2303', { mdtrt_id: c }, region)).answer.output!;
    await hospital.call('2304', { mdtrt_id: c, medfee_sumamt: preC.medfee_sumamt }, region);
    const preB = await presettleTwice(b);
    expect(preB.act_pay_dedc as number).toBeLessThan(preC.act_pay_dedc as number);
    const settledB = await hospital.call('2304', { mdtrt_id: b, medfee_sumamt: preB.medfee_sumamt }, region);
    expect(settledB.answer.output).toMatchObject({ hifp_pay: preB.hifp_pay, act_pay_dedc: preB.act_pay_dedc });

    // An upload reversed (2601) between the last upload and the pre-settlement: its line is not counted.
    const a = await open('2026-07-01');
    await hospital.call('2301', { mdtrt_id: a, feedetail: STAY }, region);
    const late = await hospital.call(
      '2301',
      { mdtrt_id: a, feedetail: [{ feedetl_sn: 'L7', med_list_codg: '001102000010000', cnt: 3, pric_fen: 5_000 }] },
      region,
    );
    await hospital.call('2601', { omsgid: late.msgid, oinfno: '2301' }, region);
    const preA = await presettleTwice(a);
    expect(preA.medfee_sumamt).toBe(stayTotal);
    expect((preA.setldetail as { feedetl_sn: string }[]).map((l) => l.feedetl_sn).sort()).toEqual(STAY.map((l) => l.feedetl_sn).sort());
    await hospital.call('2304', { mdtrt_id: a, medfee_sumamt: preA.medfee_sumamt }, region);

    // Coverage suspended between the upload and the pre-settlement: refused, nothing written.
    const d = await open('2026-08-01');
    await hospital.call('2301', { mdtrt_id: d, feedetail: STAY }, region);
    await db.update(insurancePersons).set({ status: 'suspended' }).where(eq(insurancePersons.psnNo, psnNo));
    const refused = await failure(hospital.call('2303', { mdtrt_id: d }, region));
    expect(refused.answer.err_code).toBe('INSURANCE_NOT_INSURED');
    const digest = await db.execute<{ presettle_digest: string | null }>(
      sql`select presettle_digest from insurance_encounters where mdtrt_id = ${d}`,
    );
    expect(digest.rows[0]!.presettle_digest).toBeNull();
    await db.update(insurancePersons).set({ status: 'active' }).where(eq(insurancePersons.psnNo, psnNo));
    const preD = await presettleTwice(d);
    await hospital.call('2304', { mdtrt_id: d, medfee_sumamt: preD.medfee_sumamt }, region);
    const [year] = await db.select().from(insuranceYearTotals).where(eq(insuranceYearTotals.psnNo, psnNo));
    const settled = await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.psnNo, psnNo));
    expect(year).toMatchObject({ stays: 4, deductibleUsedFen: settled.reduce((t, s) => t + s.deductibleFen, 0) });
  });

  it('reconciles a hospital day (3201): the same totals match, a different count or amount is flagged and kept', async () => {
    const { hospital, psnNo } = await setup();
    const region = { insuranceRegion: GUIGANG };
    const mdtrtId = (await hospital.call('2001', { psn_no: psnNo, med_type: '11', begntime: '2026-09-03' }, region)).answer.output!
      .mdtrt_id as string;
    await hospital.call('2301', { mdtrt_id: mdtrtId, feedetail: STAY.slice(3, 5) }, region);
    const pre = (await hospital.call('2303', { mdtrt_id: mdtrtId }, region)).answer.output!;
    const out = (await hospital.call('2304', { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt }, region)).answer.output!;
    const [row] = await suite.ctx.database.db
      .select()
      .from(insuranceSettlements)
      .where(eq(insuranceSettlements.setlId, out.setl_id as string));
    const day = row!.day;
    const all = await suite.ctx.database.db.select().from(insuranceSettlements).where(eq(insuranceSettlements.day, day));
    const mine = all.filter((s) => s.institutionCode === NANNING_TERTIARY && s.status === 'settled' && s.insuranceRegion === GUIGANG);
    const sum = (pick: (s: (typeof mine)[number]) => number) => mine.reduce((t, s) => t + pick(s), 0);
    const totals = {
      setl_optins: GUIGANG,
      stmt_date: day,
      fixmedins_setl_cnt: mine.length,
      medfee_sumamt: sum((s) => s.totalFen),
      fund_pay_sumamt: sum((s) => s.hifpPayFen),
      acct_pay: sum((s) => s.acctPayFen),
      cash_payamt: sum((s) => s.cashPayFen),
    };
    expect((await hospital.call('3201', totals, region)).answer.output).toMatchObject({ stmt_rslt: '0' });
    const differs = (await hospital.call('3201', { ...totals, fixmedins_setl_cnt: mine.length + 1 }, region)).answer.output!;
    expect(differs).toMatchObject({ stmt_rslt: '1' });
    expect(differs.stmt_rslt_dscr).toContain('count');
  });

  it('refuses an unknown code, a price over the highest allowed, another hospital’s encounter, an uninsured person, a settlement unlike its pre-settlement, and a bad signature, writing nothing', async () => {
    const { hospital, other, psnNo } = await setup();
    const region = { insuranceRegion: GUIGANG };
    const db = suite.ctx.database.db;
    const messages = async () => (await db.select({ n: sql<number>`count(*)::int` }).from(insuranceMessages))[0]!.n;
    const mdtrtId = (await hospital.call('2001', { psn_no: psnNo, med_type: '21', begntime: '2026-09-02' }, region)).answer.output!
      .mdtrt_id as string;
    const before = await messages();

    const unknown = await failure(
      hospital.call('2301', { mdtrt_id: mdtrtId, feedetail: [{ ...STAY[0], med_list_codg: '999999999999999' }] }, region),
    );
    expect(unknown.answer).toMatchObject({ err_code: 'INSURANCE_UNKNOWN_CODE' });
    expect(unknown.answer.err_msg).toContain('999999999999999');
    const over = await failure(hospital.call('2301', { mdtrt_id: mdtrtId, feedetail: [{ ...STAY[0], pric_fen: 6_001 }] }, region));
    expect(over.answer.err_code).toBe('INSURANCE_PRICE_OVER_LIMIT');
    expect(over.answer.err_msg).toMatch(/60\.01.*60\.00/);
    expect((await failure(other.call('2301', { mdtrt_id: mdtrtId, feedetail: STAY }, region))).answer.err_code).toBe(
      'INSURANCE_OTHER_INSTITUTION',
    );
    expect(
      (await failure(hospital.call('1101', { mdtrt_cert_type: '02', mdtrt_cert_no: freshResidentId() }, region))).answer.err_code,
    ).toBe('INSURANCE_NOT_INSURED');
    expect(
      (await failure(hospital.call('2001', { psn_no: '450800000000000001', med_type: '21', begntime: '2026-09-02' }, region))).answer
        .err_code,
    ).toBe('INSURANCE_NOT_INSURED');
    expect(await messages()).toBe(before);

    await hospital.call('2301', { mdtrt_id: mdtrtId, feedetail: STAY }, region);
    const pre = (await hospital.call('2303', { mdtrt_id: mdtrtId }, region)).answer.output!;
    const mismatch = await failure(hospital.call('2304', { mdtrt_id: mdtrtId, medfee_sumamt: (pre.medfee_sumamt as number) + 1 }, region));
    expect(mismatch.answer.err_code).toBe('INSURANCE_SETTLEMENT_MISMATCH');
    // A line added after the pre-settlement makes it stale.
    await hospital.call(
      '2301',
      { mdtrt_id: mdtrtId, feedetail: [{ feedetl_sn: 'L9', med_list_codg: '002201000010000', cnt: 1, pric_fen: 2_000 }] },
      region,
    );
    expect((await failure(hospital.call('2304', { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt }, region))).answer.err_code).toBe(
      'INSURANCE_SETTLEMENT_MISMATCH',
    );
    expect(await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.mdtrtId, mdtrtId))).toHaveLength(0);
    // The next pre-settlement (computed from what that upload's statement returned, without a
    // read) counts the lines uploaded before it too.
    const again = (await hospital.call('2303', { mdtrt_id: mdtrtId }, region)).answer.output!;
    expect(again.medfee_sumamt).toBe((pre.medfee_sumamt as number) + 2_000);
    expect(again.setldetail as unknown[]).toHaveLength(STAY.length + 1);

    // Signed by a key the platform does not know: refused before anything is read.
    const stranger = createHospitalClient({
      baseUrl: 'http://yiban.test',
      hospital: {
        code: NANNING_TERTIARY,
        region: '450103',
        key: sm2SigningKey(`${NANNING_TERTIARY}-key`, sm2GenerateKeyPair().privateKey),
      },
      platformKey: (await suite.app.inject({ method: 'GET', url: '/api/insurance/hsa/v1/interface-key' })).json(),
      transport: injectTransport(() => suite.app),
    });
    const forged = await failure(stranger.call('2303', { mdtrt_id: mdtrtId }, region));
    expect(forged.status).toBe(401);
    expect(forged.answer).toMatchObject({ err_code: 'HOSPITAL_SIGNATURE_INVALID' });
  });
});
