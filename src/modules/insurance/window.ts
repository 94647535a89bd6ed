/**
 * 医保窗口 (医医合作, 一窗办理): a hospital's insurance window clerk acts for the patient in front
 * of them, for their own hospital only. Coverage, opening an encounter, fees, pre-settlement,
 * settlement and cancellation go through the hospital interface's own transactions
 * (transactions.ts, in process, as the clerk's institution), so the rules are one; the filing is the
 * medsec.offsite_filing case, submitted for the patient and decided by its instant rule.
 *
 * Access first, in every call: the caller is staff holding `insurance.window` (the hospital_window
 * role) at the org the institution names (insurance_institutions.org_code). An encounter or a
 * settlement of another hospital is not found. A person is looked up only by the ID number the
 * patient presents, never searched, and every act, a lookup included, leaves a row in
 * insurance_window_log (who, which hospital, when, the person number and the masked ID). A
 * hospital-interface transaction writes the row in its own database transaction; a filing's row is
 * written once its case is in (the case keeps its own events, the window's actor named on them).
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { AppError, notFound } from '../../core/errors.ts';
import type { Bilingual } from '../../core/messages.ts';
import { chinaDate } from '../../core/values.ts';
import { can, grantsFor, maskResidentId, parseResidentId, systemPrincipal, type Principal } from '../identity/index.ts';
import type { Answer, Envelope, Infno } from './envelope.ts';
import { OFFSITE_FILING_SERVICE } from './filings.ts';
import type { InsuranceContext } from './insurance-context.ts';
import {
  insuranceEncounters,
  insuranceFeeLines,
  insuranceFilings,
  insuranceInstitutions,
  insurancePersons,
  insuranceSettlements,
  insuranceYearTotals,
  type EncounterWhere,
  type MedType,
} from './insurance.tables.ts';
import type { InstitutionRow, ReferenceData } from './reference-data.ts';
import type { Transactions } from './transactions.ts';
import type { RemotePersons } from './cross-province-person.ts';
import { expandSettlement } from './settlement.ts';
import { answerExplanations, settlementFields, whereOf } from './transactions.ts';
import { insuranceWindowLog, type WindowAction } from './window.tables.ts';

type PersonRow = typeof insurancePersons.$inferSelect;
type EncounterRow = typeof insuranceEncounters.$inferSelect;

const SCHEME_NAMES = { employee: '职工基本医疗保险', resident: '城乡居民基本医疗保险' } as const;

export interface WindowFeeLine {
  feedetlSn: string;
  code: string;
  quantity: number;
  unitPriceFen: number;
}

export interface WindowFilingInput {
  residentId: string;
  kind: 'long_term_residence' | 'temporary' | 'emergency';
  /** The county of treatment; by default the hospital's own. */
  destination?: string;
  startDate: string;
  endDate?: string;
  /** A contact phone, when the patient's account has none. */
  phone?: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The ID card the patient presents again at 2303/2304/2305 (as in 1101): a cross-province settlement sends it to the place of insurance. */
const certOf = (residentId: string | undefined) =>
  residentId === undefined ? {} : { mdtrt_cert_type: '02', mdtrt_cert_no: residentId.trim().toUpperCase() };

/** The parts and explanation of a 2303 or 2304 answer, as the window shows them (fen). */
function explainedView(output: Record<string, unknown>) {
  type Line = { feedetl_sn: string; name?: string; det_item_fee_sumamt: number; fulamt_ownpay_amt: number; overlmt_selfpay: number };
  type Rest = {
    preselfpay_amt: number;
    inscp_scp_amt: number;
    why: string[];
  };
  const o = output as Record<string, unknown> & { setldetail: (Line & Rest)[]; why: Rest['why']; policy?: string };
  const words = answerExplanations(o);
  return {
    amounts: {
      medfee_sumamt: o.medfee_sumamt as number,
      fulamt_ownpay_amt: o.fulamt_ownpay_amt as number,
      overlmt_selfpay: o.overlmt_selfpay as number,
      preselfpay_amt: o.preselfpay_amt as number,
      inscp_scp_amt: o.inscp_scp_amt as number,
      act_pay_dedc: o.act_pay_dedc as number,
      hifp_pay: o.hifp_pay as number,
      acct_pay: o.acct_pay as number,
      psn_cash_pay: o.psn_cash_pay as number,
    },
    policy: o.policy ?? '',
    why: words(o.why),
    lines: o.setldetail.map((l) => ({
      id: l.feedetl_sn,
      name: l.name ?? null,
      totalFen: l.det_item_fee_sumamt,
      fulamtOwnpayFen: l.fulamt_ownpay_amt,
      overlmtSelfpayFen: l.overlmt_selfpay,
      preselfpayFen: l.preselfpay_amt,
      inscpFen: l.inscp_scp_amt,
      why: words(l.why),
    })),
  };
}

export function createInsuranceWindow(
  ctx: InsuranceContext,
  reference: ReferenceData,
  handle: Transactions['handle'],
  /** The copies of persons insured in another province (cross-province-person.ts): fetched when not held, refreshed when stale, as at 1101. */
  remotePersons?: Pick<RemotePersons, 'fetch' | 'refresh'>,
) {
  const { db, deps, clock } = ctx;

  /** The institution the caller serves at, or FORBIDDEN (no window role) / NOT_FOUND (another hospital's). */
  async function institutionFor(principal: Principal, code: string): Promise<InstitutionRow> {
    if (principal.kind !== 'staff' || principal.actingFor) throw new AppError('FORBIDDEN');
    if (grantsFor(principal, 'insurance.window').length === 0) throw new AppError('FORBIDDEN');
    // Read fresh, not from the reference cache: a hospital suspended or relinked a second ago is so now.
    const [institution] = await db.select().from(insuranceInstitutions).where(eq(insuranceInstitutions.code, code));
    const org = institution?.orgCode ? await deps.orgs.byCode(institution.orgCode) : null;
    if (!institution || !org || !can(principal, 'insurance.window', { orgPath: org.path })) throw notFound('institution');
    if (institution.status !== 'active') throw new AppError('FORBIDDEN');
    return institution;
  }

  async function log(
    ex: Executor,
    principal: Principal,
    institution: InstitutionRow,
    action: WindowAction,
    row: Partial<Omit<typeof insuranceWindowLog.$inferInsert, 'id' | 'at' | 'actorId' | 'institutionCode' | 'action'>> = {},
  ): Promise<void> {
    await ex
      .insert(insuranceWindowLog)
      .values({ ...row, at: clock(), actorId: principal.accountId, institutionCode: institution.code, action });
  }

  /** Runs one hospital-interface transaction as the institution, the clerk as its operator, the log row in its transaction. */
  async function transact(
    principal: Principal,
    institution: InstitutionRow,
    infno: Exclude<Infno, '1101'>,
    insuranceRegion: string,
    input: Record<string, unknown>,
    logRow: (output: Record<string, unknown>) => { action: WindowAction } & Parameters<typeof log>[4],
    idempotencyKey?: string,
  ): Promise<Record<string, unknown>> {
    const now = clock();
    // With the clerk's Idempotency-Key, a retried click is the same msgid (the clerk's, this
    // transaction's): it gets the first answer, and the same key for another request is refused.
    const msgid =
      idempotencyKey === undefined
        ? `W${institution.code}${now.getTime().toString(36)}${randomUUID().replaceAll('-', '').slice(0, 10)}`
        : `W${institution.code}${sha256(`${principal.accountId}|${infno}|${idempotencyKey}`).slice(0, 17)}`;
    const env: Envelope = {
      infno,
      msgid,
      mdtrtarea_admvs: institution.region,
      insuplc_admdvs: insuranceRegion,
      fixmedins_code: institution.code,
      inf_time: now.toISOString(),
      opter: principal.accountId,
      input,
    };
    // The request's digest leaves out when it was sent (a retry at another time is the same request),
    // and has the ID number keyed, never in clear (a digest of a few million candidates is no secret).
    const id = typeof input.mdtrt_cert_no === 'string' ? input.mdtrt_cert_no : undefined;
    const digestOf = { ...env, inf_time: '', ...(id ? { input: { ...input, mdtrt_cert_no: deps.subjectKeyOf(id) } } : {}) };
    const answer: Answer = await handle(institution, env, sha256(JSON.stringify(digestOf)), async (tx, out) => {
      const { action, ...row } = logRow(out.output ?? {});
      await log(tx, principal, institution, action, { ...row, msgid: env.msgid });
    });
    return answer.output ?? {};
  }

  /**
   * The insured person with this ID number, or null; the number itself is kept nowhere. As in 1101:
   * not held here, the place of insurance in another province (the ID number's) answers; a copy it
   * has not confirmed lately is asked for again, and when it cannot be asked the copy answers with
   * `warning` saying so. Its refusal (it no longer insures the person) is thrown, nothing written.
   */
  async function personById(residentId: string): Promise<{ id: string; person: PersonRow | null; warning: Bilingual | null }> {
    const parsed = parseResidentId(residentId, chinaDate(clock()));
    if (!parsed.ok) throw new AppError('VALIDATION_FAILED', { detail: { zh: '身份证号码有误', en: 'The ID number is not valid' } });
    const byKey = () =>
      db
        .select()
        .from(insurancePersons)
        .where(eq(insurancePersons.subjectKey, deps.subjectKeyOf(parsed.value.id)));
    let [person] = await byKey();
    let warning: Bilingual | null = null;
    if (!person) {
      if (remotePersons && (await remotePersons.fetch(parsed.value.id, null)) !== null) [person] = await byKey();
    } else if (remotePersons) {
      const copy = await remotePersons.refresh(parsed.value.id, person);
      if (copy === 'refreshed') [person] = await byKey();
      else if (copy !== 'held') warning = copy;
    }
    return { id: parsed.value.id, person: person ?? null, warning };
  }

  async function encounterAt(institution: InstitutionRow, mdtrtId: string): Promise<EncounterRow> {
    const [row] = await db.select().from(insuranceEncounters).where(eq(insuranceEncounters.mdtrtId, mdtrtId));
    if (!row || row.institutionCode !== institution.code) throw notFound('encounter');
    return row;
  }

  async function personOf(psnNo: string): Promise<PersonRow> {
    const [p] = await db.select().from(insurancePersons).where(eq(insurancePersons.psnNo, psnNo));
    if (!p) throw notFound('insuredPerson');
    return p;
  }

  /** The encounters with their person (masked) and fee totals. */
  async function encounterViews(rows: EncounterRow[]) {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.mdtrtId);
    const [people, fees, settled] = await Promise.all([
      db
        .select({ psnNo: insurancePersons.psnNo, name: insurancePersons.name, idMasked: insurancePersons.idMasked })
        .from(insurancePersons)
        .where(inArray(insurancePersons.psnNo, [...new Set(rows.map((r) => r.psnNo))])),
      db
        .select({
          mdtrtId: insuranceFeeLines.mdtrtId,
          lines: sql<number>`count(*)::int`,
          totalFen: sql<string>`coalesce(sum(${insuranceFeeLines.quantity} * ${insuranceFeeLines.unitPriceFen}), 0)`,
        })
        .from(insuranceFeeLines)
        .where(inArray(insuranceFeeLines.mdtrtId, ids))
        .groupBy(insuranceFeeLines.mdtrtId),
      db
        .select({ mdtrtId: insuranceSettlements.mdtrtId, setlId: insuranceSettlements.setlId })
        .from(insuranceSettlements)
        .where(and(inArray(insuranceSettlements.mdtrtId, ids), eq(insuranceSettlements.status, 'settled'))),
    ]);
    const personBy = new Map(people.map((p) => [p.psnNo, p]));
    const feesBy = new Map(fees.map((f) => [f.mdtrtId, f]));
    const setlBy = new Map(settled.map((s) => [s.mdtrtId, s.setlId]));
    return rows.map((e) => ({
      mdtrtId: e.mdtrtId,
      psnNo: e.psnNo,
      name: personBy.get(e.psnNo)?.name ?? '',
      idMasked: personBy.get(e.psnNo)?.idMasked ?? '',
      medType: e.medType,
      beginDate: e.beginDate,
      emergency: e.emergency,
      where: e.where,
      filed: e.filed,
      status: e.status,
      presettled: e.presettleDigest !== null,
      presettleTotalFen: e.presettleTotalFen,
      lines: feesBy.get(e.mdtrtId)?.lines ?? 0,
      feeTotalFen: Number(feesBy.get(e.mdtrtId)?.totalFen ?? 0),
      setlId: setlBy.get(e.mdtrtId) ?? null,
      createdAt: e.createdAt.toISOString(),
    }));
  }

  return {
    /** The hospitals whose window the caller serves at. */
    async hospitals(principal: Principal) {
      if (principal.kind !== 'staff' || principal.actingFor) throw new AppError('FORBIDDEN');
      const orgCodes = [...new Set(grantsFor(principal, 'insurance.window').map((g) => g.orgCode))];
      if (orgCodes.length === 0) throw new AppError('FORBIDDEN');
      const rows = await db.select().from(insuranceInstitutions).where(inArray(insuranceInstitutions.orgCode, orgCodes));
      return rows
        .filter((r) => r.status === 'active')
        .map((r) => ({ code: r.code, nameZh: r.nameZh, nameEn: r.nameEn, level: r.level, region: r.region, orgCode: r.orgCode! }));
    },

    /**
     * 参保信息 (1101 at the window): the person with the ID number the patient presents, masked, with
     * the scheme, status, this year's totals, their filings and their open encounters here. Logged,
     * found or not.
     */
    async coverage(principal: Principal, code: string, residentId: string) {
      const institution = await institutionFor(principal, code);
      const { id, person, warning } = await personById(residentId);
      await log(db, principal, institution, 'coverage', {
        psnNo: person?.psnNo ?? null,
        idMasked: maskResidentId(id),
        // Answered from a copy the place of insurance could not confirm: the log says so.
        detail: { found: person !== null, ...(warning ? { unconfirmedCopy: true } : {}) },
      });
      if (!person) throw new AppError('INSURANCE_NOT_INSURED', { reason: { zh: '未查到参保信息', en: 'no coverage found' } });
      const year = Number(chinaDate(clock()).slice(0, 4));
      const [[totals], filings, open] = await Promise.all([
        db
          .select()
          .from(insuranceYearTotals)
          .where(and(eq(insuranceYearTotals.psnNo, person.psnNo), eq(insuranceYearTotals.year, year))),
        db.select().from(insuranceFilings).where(eq(insuranceFilings.psnNo, person.psnNo)).orderBy(desc(insuranceFilings.startDate)),
        db
          .select()
          .from(insuranceEncounters)
          .where(
            and(
              eq(insuranceEncounters.psnNo, person.psnNo),
              eq(insuranceEncounters.institutionCode, institution.code),
              eq(insuranceEncounters.status, 'open'),
            ),
          )
          .orderBy(desc(insuranceEncounters.createdAt)),
      ]);
      const region = await reference.region(person.region);
      return {
        psnNo: person.psnNo,
        name: person.name,
        idMasked: maskResidentId(id),
        gender: person.gender,
        birthDate: person.birthDate,
        scheme: person.scheme,
        region: person.region,
        regionName: region?.nameZh ?? null,
        status: person.status,
        accountBalanceFen: person.accountBalanceFen,
        /** Where this hospital is, seen from the place of insurance. */
        where: whereOf(institution.region, person.region),
        year: {
          year,
          deductibleUsedFen: totals?.deductibleUsedFen ?? 0,
          fundPaidFen: totals?.fundPaidFen ?? 0,
          accountPaidFen: totals?.accountPaidFen ?? 0,
          stays: totals?.stays ?? 0,
        },
        filings: filings.map((f) => ({ kind: f.kind, destination: f.destination, startDate: f.startDate, endDate: f.endDate })),
        openEncounters: await encounterViews(open),
        /** The place of insurance could not be asked: this is the copy held here, as last confirmed. */
        warning,
      };
    },

    /**
     * 异地就医备案 at the window: the medsec.offsite_filing case, submitted for the patient (who
     * presents their ID card) by the window as a system actor acting for them, and decided by its
     * instant rule like one filed in the app.
     */
    async file(principal: Principal, code: string, input: WindowFilingInput, idempotencyKey?: string) {
      const institution = await institutionFor(principal, code);
      const { id, person } = await personById(input.residentId);
      if (!person) throw new AppError('INSURANCE_NOT_INSURED', { reason: { zh: '未查到参保信息', en: 'no coverage found' } });
      const resident = await deps.residents.findResidentByResidentId(id);
      if (!resident) throw notFound('resident');
      const phone = (await deps.residents.residentPhone(resident.accountId)) ?? input.phone;
      const form: Record<string, unknown> = {
        name: person.name,
        insuredRegion: person.region,
        insuranceType: SCHEME_NAMES[person.scheme],
        ...(phone ? { phone } : {}),
        kind: input.kind,
        destination: input.destination ?? institution.region,
        startDate: input.startDate,
        ...(input.endDate ? { endDate: input.endDate } : {}),
      };
      const actor = {
        ...systemPrincipal({
          actor: `insurance-window:${institution.code}:${principal.accountId}`,
          forResident: { residentId: resident.accountId, scopes: ['applications.submit'] },
        }),
        sessionChannel: 'window',
      };
      // The clerk's key, scoped to the clerk and the patient: a retried click files one case.
      const key = idempotencyKey === undefined ? undefined : `window-${sha256(`${principal.accountId}|${idempotencyKey}`).slice(0, 40)}`;
      const { case: kase, replayed } = await deps.applications.submit(actor, { serviceCode: OFFSITE_FILING_SERVICE, form }, key);
      if (replayed) return { caseId: kase.id, caseNo: kase.caseNo, state: kase.state };
      await log(db, principal, institution, 'filing', {
        psnNo: person.psnNo,
        idMasked: maskResidentId(id),
        caseId: kase.id,
        detail: { kind: input.kind, destination: form.destination, startDate: input.startDate },
      });
      return { caseId: kase.id, caseNo: kase.caseNo, state: kase.state };
    },

    /** 就诊登记 (2001): opens an encounter for the patient presenting this ID number. */
    async open(
      principal: Principal,
      code: string,
      input: { residentId: string; medType: MedType; beginDate: string; emergency?: boolean },
      idempotencyKey?: string,
    ) {
      const institution = await institutionFor(principal, code);
      const { id, person } = await personById(input.residentId);
      if (!person) throw new AppError('INSURANCE_NOT_INSURED', { reason: { zh: '未查到参保信息', en: 'no coverage found' } });
      const out = await transact(
        principal,
        institution,
        '2001',
        person.region,
        { psn_no: person.psnNo, med_type: input.medType, begntime: input.beginDate, emergency: input.emergency ? '1' : '0' },
        (o) => ({ action: 'open', psnNo: person.psnNo, idMasked: maskResidentId(id), mdtrtId: o.mdtrt_id as string }),
        idempotencyKey,
      );
      return { mdtrtId: out.mdtrt_id as string, where: out.where as EncounterWhere, filed: out.filed === '1' };
    },

    /** The encounters of this hospital, open ones by default, newest first. */
    async encounters(principal: Principal, code: string, query: { status?: 'open' | 'settled'; limit?: number }) {
      const institution = await institutionFor(principal, code);
      const rows = await db
        .select()
        .from(insuranceEncounters)
        .where(and(eq(insuranceEncounters.institutionCode, institution.code), eq(insuranceEncounters.status, query.status ?? 'open')))
        .orderBy(desc(insuranceEncounters.createdAt))
        .limit(Math.min(query.limit ?? 100, 200));
      return encounterViews(rows);
    },

    /** One encounter of this hospital, with its fee lines. */
    async encounter(principal: Principal, code: string, mdtrtId: string) {
      const institution = await institutionFor(principal, code);
      const e = await encounterAt(institution, mdtrtId);
      const [view] = await encounterViews([e]);
      const lines = await db
        .select()
        .from(insuranceFeeLines)
        .where(eq(insuranceFeeLines.mdtrtId, mdtrtId))
        .orderBy(insuranceFeeLines.feedetlSn);
      return {
        ...view!,
        feeLines: lines.map((l) => ({
          feedetlSn: l.feedetlSn,
          code: l.code,
          name: l.nameZh,
          itemClass: l.itemClass,
          quantity: l.quantity,
          unitPriceFen: l.unitPriceFen,
          totalFen: l.quantity * l.unitPriceFen,
        })),
      };
    },

    /** 费用明细上传 (2301). */
    async uploadFees(principal: Principal, code: string, mdtrtId: string, lines: WindowFeeLine[], idempotencyKey?: string) {
      const institution = await institutionFor(principal, code);
      const e = await encounterAt(institution, mdtrtId);
      const p = await personOf(e.psnNo);
      const out = await transact(
        principal,
        institution,
        '2301',
        p.region,
        {
          mdtrt_id: mdtrtId,
          feedetail: lines.map((l) => ({ feedetl_sn: l.feedetlSn, med_list_codg: l.code, cnt: l.quantity, pric_fen: l.unitPriceFen })),
        },
        () => ({ action: 'fees', psnNo: p.psnNo, idMasked: p.idMasked, mdtrtId, detail: { lines: lines.length } }),
        idempotencyKey,
      );
      return { uploaded: out.uploaded as number };
    },

    /** 预结算 (2303): the parts and each line's explanation, nothing settled yet. */
    async presettle(principal: Principal, code: string, mdtrtId: string, options: { useAccount?: boolean; residentId?: string } = {}) {
      const institution = await institutionFor(principal, code);
      const e = await encounterAt(institution, mdtrtId);
      const p = await personOf(e.psnNo);
      const out = await transact(
        principal,
        institution,
        '2303',
        p.region,
        { mdtrt_id: mdtrtId, acct_used_flag: options.useAccount === false ? '0' : '1', ...certOf(options.residentId) },
        (o) => ({ action: 'presettle', psnNo: p.psnNo, idMasked: p.idMasked, mdtrtId, detail: { totalFen: o.medfee_sumamt } }),
      );
      return { mdtrtId, ...explainedView(out) };
    },

    /** 结算 (2304): settles what was pre-settled (the total must match it); answers the settlement and its statement. */
    async settle(
      principal: Principal,
      code: string,
      mdtrtId: string,
      input: { medfeeSumamt: number; useAccount?: boolean; diagCode?: string; diagName?: string; deptName?: string; residentId?: string },
      idempotencyKey?: string,
    ) {
      const institution = await institutionFor(principal, code);
      const e = await encounterAt(institution, mdtrtId);
      const p = await personOf(e.psnNo);
      const list = Object.fromEntries(
        (['diagCode', 'diagName', 'deptName'] as const).flatMap((k) => (input[k] !== undefined ? [[k, input[k]]] : [])),
      );
      const out = await transact(
        principal,
        institution,
        '2304',
        p.region,
        {
          mdtrt_id: mdtrtId,
          medfee_sumamt: input.medfeeSumamt,
          acct_used_flag: input.useAccount === false ? '0' : '1',
          ...(Object.keys(list).length > 0 ? { setl_list: list } : {}),
          ...certOf(input.residentId),
        },
        (o) => ({
          action: 'settle',
          psnNo: p.psnNo,
          idMasked: p.idMasked,
          mdtrtId,
          setlId: o.setl_id as string,
          detail: { totalFen: o.medfee_sumamt, fundFen: o.hifp_pay, cashFen: o.psn_cash_pay },
        }),
        idempotencyKey,
      );
      return { setlId: out.setl_id as string, mdtrtId, settledAt: out.setl_time as string, ...explainedView(out) };
    },

    /** 结算撤销 (2305): the settlement is taken back exactly and the encounter opens again. */
    async cancel(principal: Principal, code: string, setlId: string, idempotencyKey?: string, patient: { residentId?: string } = {}) {
      const institution = await institutionFor(principal, code);
      const [s] = await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, setlId));
      if (!s || s.institutionCode !== institution.code) throw notFound('settlement');
      const p = await personOf(s.psnNo);
      const out = await transact(
        principal,
        institution,
        '2305',
        s.insuranceRegion,
        { setl_id: setlId, ...certOf(patient.residentId) },
        () => ({ action: 'cancel', psnNo: s.psnNo, idMasked: p.idMasked, mdtrtId: s.mdtrtId, setlId }),
        idempotencyKey,
      );
      return { setlId, mdtrtId: s.mdtrtId, status: out.status as string };
    },

    /** 结算单: a settlement of this hospital as the printed statement shows it, each line with its name and why. Logged. */
    async statement(principal: Principal, code: string, setlId: string) {
      const institution = await institutionFor(principal, code);
      const [s] = await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, setlId));
      if (!s || s.institutionCode !== institution.code) throw notFound('settlement');
      const [p, lines, region] = await Promise.all([
        personOf(s.psnNo),
        db.select().from(insuranceFeeLines).where(eq(insuranceFeeLines.mdtrtId, s.mdtrtId)),
        reference.region(s.insuranceRegion),
      ]);
      await log(db, principal, institution, 'statement', { psnNo: s.psnNo, idMasked: p.idMasked, mdtrtId: s.mdtrtId, setlId });
      const names = new Map(lines.map((l) => [l.feedetlSn, l.nameZh]));
      const result = expandSettlement(s.result);
      return {
        setlId: s.setlId,
        mdtrtId: s.mdtrtId,
        institutionCode: institution.code,
        institutionName: institution.nameZh,
        name: p.name,
        idMasked: p.idMasked,
        psnNo: p.psnNo,
        scheme: p.scheme,
        insuranceRegion: s.insuranceRegion,
        insuranceRegionName: region?.nameZh ?? null,
        status: s.status,
        policyVersion: s.policyVersion,
        settledAt: s.settledAt.toISOString(),
        cancelledAt: s.cancelledAt?.toISOString() ?? null,
        certificateId: s.certificateId,
        amounts: settlementFields(result),
        why: result.why,
        lines: result.lines.map((l) => ({ ...l, name: names.get(l.id) ?? null })),
      };
    },
  };
}
