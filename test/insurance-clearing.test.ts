import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { insuranceSuite } from './insurance-fixture.ts';
import { testEngines } from './db.ts';
import { freshResidentId, PASSWORD } from './factories.ts';
import { insuranceClearings, insuranceSettlements } from '../src/modules/insurance/insurance.tables.ts';
import { CLEARING_TYPE, monthRange } from '../src/modules/insurance/clearing.ts';
import { parsePayload } from '../src/verify/document.ts';

const GUIGANG = '450800';
const NANNING = '450100';
const STAY = [
  { feedetl_sn: 'L1', med_list_codg: '001102000010000', cnt: 3, pric_fen: 5_000 },
  { feedetl_sn: 'L2', med_list_codg: 'XB01ABE005B002010100732', cnt: 4, pric_fen: 4_200 },
];

describe.each(testEngines())('month-end clearing (清算) on %s', (engine) => {
  const suite = insuranceSuite(engine, [
    { region: GUIGANG, nameZh: '贵港市' },
    { region: NANNING, nameZh: '南宁市' },
  ]);

  it('sums the settled ones per pair (not the cancelled or another month’s), flags a mismatched, a missing and an outdated reconciliation, and seals a verifiable statement per pair that a re-run keeps or replaces', async () => {
    const { ctx, hospital, at } = suite;
    const enrol = (region: string, name: string) =>
      ctx().services.insuranceAdmin.enrol({ residentId: freshResidentId(), name, scheme: 'resident', region, fromDate: '2020-01-01' });
    const guigang = await enrol(GUIGANG, '覃阿婆');
    const nanning = await enrol(NANNING, '黄阿公');
    const settle = async (psnNo: string, region: string) => {
      const r = { insuranceRegion: region };
      const mdtrtId = (await hospital().call('2001', { psn_no: psnNo, med_type: '11', begntime: '2026-11-20' }, r)).answer.output!
        .mdtrt_id as string;
      await hospital().call('2301', { mdtrt_id: mdtrtId, feedetail: STAY }, r);
      const pre = (await hospital().call('2303', { mdtrt_id: mdtrtId }, r)).answer.output!;
      const out = (await hospital().call('2304', { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt }, r)).answer.output!;
      return {
        setlId: out.setl_id as string,
        totals: {
          count: 1,
          totalFen: out.medfee_sumamt as number,
          fundFen: out.hifp_pay as number,
          accountFen: out.acct_pay as number,
          cashFen: out.psn_cash_pay as number,
        },
      };
    };
    type Totals = Awaited<ReturnType<typeof settle>>['totals'];
    const add = (...ts: Totals[]) =>
      ts.reduce((a, t) => ({
        count: a.count + t.count,
        totalFen: a.totalFen + t.totalFen,
        fundFen: a.fundFen + t.fundFen,
        accountFen: a.accountFen + t.accountFen,
        cashFen: a.cashFen + t.cashFen,
      }));
    const reconcile = (region: string, day: string, t: Totals) =>
      hospital().call(
        '3201',
        {
          setl_optins: region,
          stmt_date: day,
          fixmedins_setl_cnt: t.count,
          medfee_sumamt: t.totalFen,
          fund_pay_sumamt: t.fundFen,
          acct_pay: t.accountFen,
          cash_payamt: t.cashFen,
        },
        { insuranceRegion: region },
      );

    // 5 January 2027 (China time): three settlements, both regions reconciled and matched.
    at(new Date('2027-01-05T02:00:00Z'));
    const s1 = await settle(guigang, GUIGANG);
    const s2 = await settle(guigang, GUIGANG);
    const s3 = await settle(nanning, NANNING);
    await reconcile(GUIGANG, '2027-01-05', add(s1.totals, s2.totals));
    await reconcile(NANNING, '2027-01-05', s3.totals);
    // 6 January: one settles, one is cancelled; the hospital counts both: a mismatch.
    at(new Date('2027-01-06T02:00:00Z'));
    const s4 = await settle(guigang, GUIGANG);
    const s5 = await settle(guigang, GUIGANG);
    await hospital().call('2305', { setl_id: s5.setlId }, { insuranceRegion: GUIGANG });
    await reconcile(GUIGANG, '2027-01-06', add(s4.totals, s5.totals));
    // 7 January: never reconciled. 1 February: another month.
    at(new Date('2027-01-07T02:00:00Z'));
    const s6 = await settle(guigang, GUIGANG);
    at(new Date('2027-02-01T02:00:00Z'));
    await settle(guigang, GUIGANG);

    const admin = ctx().services.insuranceAdmin;
    const first = await admin.clearMonth('2027-01');
    const pair = (tr: string, ir: string) => first.pairs.find((p) => p.treatmentRegion === tr && p.insuranceRegion === ir)!;
    expect(first.pairs).toHaveLength(2);
    const away = pair(NANNING, GUIGANG);
    expect(away.totals).toEqual(add(s1.totals, s2.totals, s4.totals, s6.totals));
    expect(away.discrepancies).toEqual([
      { institutionCode: 'H45010300001', day: '2027-01-06', reason: 'mismatch' },
      { institutionCode: 'H45010300001', day: '2027-01-07', reason: 'no_reconciliation' },
    ]);
    expect(pair(NANNING, NANNING)).toMatchObject({ totals: s3.totals, discrepancies: [] });

    // The totals are the sum of the month's settled settlements, read another way.
    const db = ctx().database.db;
    const { from, to } = monthRange('2027-01');
    const [direct] = await db
      .select({ n: sql<number>`count(*)::int`, total: sql<string>`sum(${insuranceSettlements.totalFen})` })
      .from(insuranceSettlements)
      .where(
        and(
          eq(insuranceSettlements.status, 'settled'),
          eq(insuranceSettlements.insuranceRegion, GUIGANG),
          gte(insuranceSettlements.day, from),
          lt(insuranceSettlements.day, to),
        ),
      );
    expect(away.totals.count).toBe(direct!.n);
    expect(away.totals.totalFen).toBe(Number(direct!.total));
    const stored = await db.select().from(insuranceClearings).where(eq(insuranceClearings.month, '2027-01'));
    expect(stored.map((r) => r.certificateId).sort()).toEqual(first.pairs.map((p) => p.certificateId).sort());

    // Each pair's statement is sealed by the place of insurance's office and verifies.
    const officer = await ctx().newStaff('department_officer', ctx().departments.medical_security!);
    const bundle = await ctx().services.certificates.bundle(officer, away.certificateId!);
    expect(parsePayload(bundle.payload)?.type).toBe(CLEARING_TYPE);
    const fields = new Map(bundle.disclosures.map((d) => [d.name, d.value]));
    expect(fields.get('count')).toBe('4');
    expect(fields.get('discrepancyCount')).toBe('2');
    expect(fields.get('discrepancies')).toContain('2027-01-07 H45010300001：未对账');
    expect((await ctx().services.certificates.verify(bundle, { at: new Date('2027-02-01T03:00:00Z') })).verdict).toBe('VALID');

    // The office reads the month over HTTP (the insurance admin's route), as stored.
    const login = await suite.app().inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'staff', username: officer.username, password: PASSWORD, channel: 'web' },
    });
    const listed = await suite.app().inject({
      url: '/api/insurance/clearings?month=2027-01',
      headers: { authorization: `Bearer ${login.json<{ token: string }>().token}` },
    });
    expect(listed.statusCode).toBe(200);
    const byPair = (rows: { treatmentRegion: string; insuranceRegion: string }[]) =>
      [...rows].sort((x, y) => `${x.treatmentRegion}${x.insuranceRegion}`.localeCompare(`${y.treatmentRegion}${y.insuranceRegion}`));
    expect(
      byPair(listed.json<(typeof first.pairs)[number][]>()).map(({ createdAt: _c, ...rest }: Record<string, unknown>) => rest),
    ).toEqual(byPair(first.pairs));

    // Run again: nothing changed, the same statements.
    const again = await admin.clearMonth('2027-01');
    expect(again.pairs.map((p) => p.certificateId)).toEqual(first.pairs.map((p) => p.certificateId));
    // A settlement of a reconciled day is cancelled afterwards: the day no longer matches; a new statement replaces the old, which is revoked.
    at(new Date('2027-02-02T02:00:00Z'));
    await hospital().call('2305', { setl_id: s1.setlId }, { insuranceRegion: GUIGANG });
    const third = await admin.clearMonth('2027-01');
    const changed = third.pairs.find((p) => p.insuranceRegion === GUIGANG)!;
    expect(changed.totals).toEqual(add(s2.totals, s4.totals, s6.totals));
    expect(changed.discrepancies[0]).toEqual({
      institutionCode: 'H45010300001',
      day: '2027-01-05',
      reason: 'changed_after_reconciliation',
    });
    expect(changed.certificateId).not.toBe(away.certificateId);
    expect((await ctx().services.certificates.get(officer, away.certificateId!)).status).toBe('revoked');
    expect(third.pairs.find((p) => p.insuranceRegion === NANNING)!.certificateId).toBe(pair(NANNING, NANNING).certificateId);
    expect(() => monthRange('2027-13')).toThrow();
  });
});
