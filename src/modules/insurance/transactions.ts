/**
 * The hospital interface's transactions (1101 … 3201) over the insurance tables. Each runs in one
 * database transaction with the message row that answers its msgid: a retried msgid gets the first
 * answer, and a transaction killed half-way left nothing. Bad input is refused before anything is
 * written, with a stable code (src/core/errors.ts INSURANCE_*).
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/pg-errors.ts';
import { AppError } from '../../core/errors.ts';
import type { Bilingual } from '../../core/messages.ts';
import { maskResidentId, parseResidentId } from '../identity/index.ts';
import type { Answer, Envelope, Infno } from './envelope.ts';
import { chinaDay, type InsuranceContext } from './insurance-context.ts';
import {
  insuranceEncounters,
  insuranceFeeLines,
  insuranceFilings,
  insuranceMessages,
  insurancePersons,
  insuranceReconciliations,
  insuranceSettlements,
  insuranceYearTotals,
  type EncounterWhere,
  type MedType,
  type ReconTotals,
  type SettlementListFields,
} from './insurance.tables.ts';
import { NoPolicyError, resolvePolicy } from './policies.ts';
import type { InstitutionRow, ReferenceData } from './reference-data.ts';
import type { CrossProvince } from './cross-province.ts';
import type { RemotePersons } from './cross-province-person.ts';
import { compactSettlement, settle, type FeeLine, type Settlement } from './settlement.ts';
import {
  createWindowStatements,
  type EncounterJson,
  type EncounterState,
  type LineTuple,
  type PersonJson,
  type PriorMessage,
  type YearJson,
  stateOf,
} from './window-statements.ts';

export const SETTLEMENT_LEAF = 'insurance.settlement';
export const SETTLED_TOPIC = 'insurance.settled';

const INPATIENT: ReadonlySet<MedType> = new Set(['21', '52']);
const MED_TYPES: ReadonlySet<string> = new Set(['11', '14', '21', '52']);
const MAX_LINES = 2_000;

type PersonRow = typeof insurancePersons.$inferSelect;
type EncounterRow = typeof insuranceEncounters.$inferSelect;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const bad = (detail: string) => new AppError('INSURANCE_BAD_ENVELOPE', { detail });

function str(input: Record<string, unknown>, name: string, pattern?: RegExp): string {
  const v = input[name];
  if (typeof v !== 'string' || (pattern && !pattern.test(v))) throw bad(name);
  return v;
}

function fen(input: Record<string, unknown>, name: string): number {
  const v = input[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`${name} (integer fen ≥ 0)`);
  return v;
}

/** Where the treatment is, seen from the place of insurance: the same city, the same province, or another. */
export function whereOf(treatment: string, insurance: string): EncounterWhere {
  if (treatment.slice(0, 4) === insurance.slice(0, 4)) return 'local';
  return treatment.slice(0, 2) === insurance.slice(0, 2) ? 'province' : 'other_province';
}

/** Whether a filing's destination (a province, city or county code) covers the division of treatment. */
export function destinationCovers(destination: string, treatment: string): boolean {
  if (destination.endsWith('0000')) return destination.slice(0, 2) === treatment.slice(0, 2);
  if (destination.endsWith('00')) return destination.slice(0, 4) === treatment.slice(0, 4);
  return destination === treatment;
}

const yuan = (f: number) => (f / 100).toFixed(2);

/** The parts of a settlement the answer and the statement show, in the interface's names (fen). */
export function settlementFields(s: Settlement) {
  return {
    medfee_sumamt: s.totalFen,
    fulamt_ownpay_amt: s.fulamtOwnpayFen,
    overlmt_selfpay: s.overlmtSelfpayFen,
    preselfpay_amt: s.preselfpayFen,
    inscp_scp_amt: s.inscpFen,
    act_pay_dedc: s.deductibleFen,
    hifp_pay: s.hifpPayFen,
    acct_pay: s.acctPayFen,
    psn_cash_pay: s.cashPayFen,
  };
}

/** What a settlement must match of its pre-settlement: the parts and each line's (in the order of the line ids). */
export function digestOf(s: Settlement): string {
  const lines = s.lines.map((l) => [l.id, l.totalFen, l.inscpFen] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return sha256(JSON.stringify({ ...settlementFields(s), lines }));
}

/**
 * The parts and explanation of a 2303 or 2304 answer: each line and total names its rules by id;
 * `rules` says each once, with the policy version and its legal basis (`expandAnswer` gives each
 * line its explanations back).
 */
export function explainedAnswer(s: Settlement, names: ReadonlyMap<string, string>) {
  const c = compactSettlement(s);
  return {
    ...settlementFields(s),
    policy: c.explain.policy,
    basis: c.explain.basis,
    rules: c.explain.rules,
    why: c.why,
    setldetail: c.lines.map((l) => ({
      feedetl_sn: l.id,
      name: names.get(l.id),
      det_item_fee_sumamt: l.totalFen,
      fulamt_ownpay_amt: l.fulamtOwnpayFen,
      overlmt_selfpay: l.overlmtSelfpayFen,
      preselfpay_amt: l.preselfpayFen,
      inscp_scp_amt: l.inscpFen,
      why: l.why,
    })),
  };
}

export interface AnswerExplanation {
  rule: string;
  zh: string;
  en: string;
  policy: string;
  basis: string;
}

/** A 2303 or 2304 answer's rule ids as explanations (what `explainedAnswer` said once per rule). */
export function answerExplanations(output: { policy?: unknown; basis?: unknown; rules?: unknown }) {
  const rules = (output.rules ?? {}) as Record<string, { zh: string; en: string }>;
  const policy = typeof output.policy === 'string' ? output.policy : '';
  const basis = typeof output.basis === 'string' ? output.basis : '';
  return (ids: readonly string[]): AnswerExplanation[] =>
    ids.map((rule) => ({ rule, ...(rules[rule] ?? { zh: rule, en: rule }), policy, basis }));
}

/**
 * Takes a settlement's parts back from the person's year's totals and, when `account` (the
 * account is held here), from the personal account: a cancel, a reversal, a cancel for another
 * province's window.
 */
export async function takeBackParts(
  tx: Tx,
  s: { psnNo: string; year: number; deductibleFen: number; hifpPayFen: number; acctPayFen: number; countsStay: boolean },
  now: Date,
  account = true,
): Promise<void> {
  const acct = account ? s.acctPayFen : 0;
  await tx
    .update(insuranceYearTotals)
    .set({
      deductibleUsedFen: sql`${insuranceYearTotals.deductibleUsedFen} - ${s.deductibleFen}`,
      fundPaidFen: sql`${insuranceYearTotals.fundPaidFen} - ${s.hifpPayFen}`,
      accountPaidFen: sql`${insuranceYearTotals.accountPaidFen} - ${acct}`,
      stays: sql`${insuranceYearTotals.stays} - ${s.countsStay ? 1 : 0}`,
    })
    .where(and(eq(insuranceYearTotals.psnNo, s.psnNo), eq(insuranceYearTotals.year, s.year)));
  if (acct > 0)
    await tx
      .update(insurancePersons)
      .set({ accountBalanceFen: sql`${insurancePersons.accountBalanceFen} + ${acct}`, updatedAt: now })
      .where(eq(insurancePersons.psnNo, s.psnNo));
}

/** How often a window transaction reads again when its write found the data changed since its read. */
const HOT_ATTEMPTS = 5;

/** Whether a database error is a unique violation of this table's key (the message names the constraint). */
function violates(error: unknown, table: string): boolean {
  if (!isUniqueViolation(error)) return false;
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { constraint, message } = e as { constraint?: unknown; message?: unknown };
    if ((typeof constraint === 'string' && constraint.includes(table)) || (typeof message === 'string' && message.includes(table)))
      return true;
  }
  return false;
}

/** A deadlock PostgreSQL broke by failing this statement: safe to run again when nothing else was in its transaction. */
function isDeadlock(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++)
    if ((e as { code?: unknown }).code === '40P01') return true;
  return false;
}

/** What a 2303 computed, kept for the 2304 that usually follows it in the same process. */
interface Presettled {
  institutionCode: string;
  /** The reference data (policies, institutions) it was computed with: another snapshot, another computation. */
  snapshot: unknown;
  useAccount: boolean;
  digest: string;
  computed: { result: Settlement; year: number; inpatient: boolean; names: ReadonlyMap<string, string> };
  person: { psnNo: string; scheme: PersonRow['scheme']; region: string; accountBalanceFen: number };
  before: { deductibleUsedFen: number; fundPaidFen: number; stays: number };
}

const KEPT_PRESETTLEMENTS = 10_000;
const KEPT_FOR_MS = 10 * 60_000;

const KNOWN_ENCOUNTERS = 10_000;

/** What this process knows of an encounter: whose it is and when it began (neither ever changes), and what a 2303 computes from. */
interface KnownEncounter {
  institutionCode: string;
  beginDate: string;
  /** The encounter as this process's own 2301 left it (committed), taken by the next 2303; null when not known whole. */
  state: EncounterState | null;
}

/**
 * The encounters of this process, by id: at most KNOWN_ENCOUNTERS, the least recently used dropped
 * first. A 2301 of an encounter known here needs no read (its write's guard checks it is still
 * open and the institution's, and the msgid unanswered), and the 2303 after it computes from what
 * that write returned (its guard checks the lines' version, the person and the year's totals):
 * three statements for 2301 + 2303 + 2304 instead of five. Anything the guards refuse is read.
 */
function encounterCache() {
  const known = new Map<string, KnownEncounter>();
  return {
    get(mdtrtId: string): KnownEncounter | null {
      const hit = known.get(mdtrtId);
      if (!hit) return null;
      known.delete(mdtrtId);
      known.set(mdtrtId, hit);
      return hit;
    },
    remember(mdtrtId: string, institutionCode: string, beginDate: string, state: EncounterState | null = null): void {
      known.delete(mdtrtId);
      known.set(mdtrtId, { institutionCode, beginDate, state });
      if (known.size > KNOWN_ENCOUNTERS) known.delete(known.keys().next().value!);
    },
    drop(mdtrtId: string): void {
      known.delete(mdtrtId);
    },
  };
}

/**
 * The pre-settlements of this process, by encounter: at most KEPT_PRESETTLEMENTS (the oldest
 * dropped first), each for KEPT_FOR_MS, each taken once. A settlement whose pre-settlement is
 * here needs no read (one statement instead of two, and no second computation); the guarded
 * write still checks everything it was computed from.
 */
function presettlementCache() {
  const kept = new Map<string, { value: Presettled; at: number }>();
  return {
    keep(mdtrtId: string, value: Presettled): void {
      kept.delete(mdtrtId);
      kept.set(mdtrtId, { value, at: Date.now() });
      if (kept.size > KEPT_PRESETTLEMENTS) kept.delete(kept.keys().next().value!);
    },
    take(mdtrtId: string): Presettled | null {
      const hit = kept.get(mdtrtId);
      if (!hit) return null;
      kept.delete(mdtrtId);
      return Date.now() - hit.at <= KEPT_FOR_MS ? hit.value : null;
    },
  };
}

export function createTransactions(
  ctx: InsuranceContext,
  reference: ReferenceData,
  crossProvince?: CrossProvince,
  remotePersons?: RemotePersons,
) {
  const { db, deps, clock } = ctx;
  const ws = createWindowStatements(deps);

  async function person(ex: Executor, psnNo: string, forUpdate = false): Promise<PersonRow> {
    const q = ex.select().from(insurancePersons).where(eq(insurancePersons.psnNo, psnNo));
    const [row] = forUpdate ? await q.for('update') : await q;
    if (!row) throw new AppError('INSURANCE_NOT_INSURED', { reason: { zh: '无此人员编号', en: 'no such person number' } });
    return row;
  }

  function checkActive(p: PersonRow): void {
    if (p.status !== 'active')
      throw new AppError('INSURANCE_NOT_INSURED', { reason: { zh: `参保状态为${p.status}`, en: `coverage is ${p.status}` } });
  }

  async function encounterOf(ex: Executor, institution: InstitutionRow, mdtrtId: string, forUpdate = false): Promise<EncounterRow> {
    const q = ex.select().from(insuranceEncounters).where(eq(insuranceEncounters.mdtrtId, mdtrtId));
    const [row] = forUpdate ? await q.for('update') : await q;
    if (!row) throw new AppError('NOT_FOUND', { what: 'encounter' });
    if (row.institutionCode !== institution.code) throw new AppError('INSURANCE_OTHER_INSTITUTION', { mdtrtId });
    return row;
  }

  async function yearOf(ex: Executor, psnNo: string, year: number, forUpdate = false) {
    if (forUpdate) await ex.insert(insuranceYearTotals).values({ psnNo, year }).onConflictDoNothing();
    const q = ex
      .select()
      .from(insuranceYearTotals)
      .where(and(eq(insuranceYearTotals.psnNo, psnNo), eq(insuranceYearTotals.year, year)));
    const [row] = forUpdate ? await q.for('update') : await q;
    return row ?? { psnNo, year, deductibleUsedFen: 0, fundPaidFen: 0, accountPaidFen: 0, stays: 0 };
  }

  /**
   * Settles an encounter's uploaded lines as they stand, under the policy of the place of insurance
   * in force on its first day, with the year's totals before it.
   */
  async function compute(
    encounter: {
      mdtrtId: string;
      institutionCode: string;
      beginDate: string;
      medType: MedType;
      where: EncounterWhere;
      filed: boolean;
      emergency: boolean;
    },
    p: { region: string; scheme: PersonRow['scheme']; accountBalanceFen: number },
    totals: { deductibleUsedFen: number; fundPaidFen: number; stays: number },
    lines: readonly LineTuple[] | null,
    useAccount: boolean,
  ) {
    if (!lines || lines.length === 0)
      throw new AppError('INSURANCE_ENCOUNTER_STATE', { mdtrtId: encounter.mdtrtId, state: '无费用明细', action: '结算' });
    const year = Number(encounter.beginDate.slice(0, 4));
    const inpatient = INPATIENT.has(encounter.medType);
    let policy;
    try {
      policy = resolvePolicy(await reference.policies(), {
        region: p.region,
        scheme: p.scheme,
        level: (await reference.institution(encounter.institutionCode))!.level,
        where: encounter.where,
        filed: encounter.filed,
        emergency: encounter.emergency,
        stayNumber: inpatient ? totals.stays + 1 : 1,
        date: encounter.beginDate,
      });
    } catch (error) {
      if (error instanceof NoPolicyError) throw new AppError('INSURANCE_NO_POLICY', { region: p.region, date: encounter.beginDate });
      throw error;
    }
    if (!inpatient) policy = { ...policy, deductibleFen: Math.max(0, policy.deductibleFen - totals.deductibleUsedFen) };
    const feeLines: FeeLine[] = lines.map(([id, code, itemClass, quantity, unitPriceFen, priceLimitFen]) => ({
      id,
      code,
      itemClass,
      quantity: Number(quantity),
      unitPriceFen: Number(unitPriceFen),
      priceLimitFen: priceLimitFen === null ? null : Number(priceLimitFen),
    }));
    const balance = p.scheme === 'employee' && useAccount ? p.accountBalanceFen : 0;
    const result = settle(feeLines, policy, { deductibleUsedFen: totals.deductibleUsedFen, fundPaidFen: totals.fundPaidFen }, balance);
    return { result, year, inpatient, names: new Map(lines.map((l) => [l[0], l[6]])) };
  }

  function answer(env: Envelope, output: Record<string, unknown>): Answer {
    return { infcode: 0, inf_refmsgid: `YB${randomUUID().replaceAll('-', '').slice(0, 24)}`, respond_time: clock().toISOString(), output };
  }

  // ---- the transactions -------------------------------------------------------------------

  /** 1101: this node's person, or (federated) its copy fetched from the place of insurance in another province. */
  async function personInfo(env: Envelope) {
    const input = env.input;
    if (input.mdtrt_cert_type !== '02') throw bad('mdtrt_cert_type (02: resident ID card)');
    const parsed = parseResidentId(str(input, 'mdtrt_cert_no'));
    if (!parsed.ok) throw bad('mdtrt_cert_no');
    const byKey = () =>
      db
        .select()
        .from(insurancePersons)
        .where(eq(insurancePersons.subjectKey, deps.subjectKeyOf(parsed.value.id)));
    let [p] = await byKey();
    let warning: Bilingual | null = null;
    if (!p) {
      if (remotePersons && (await remotePersons.fetch(parsed.value.id, env.insuplc_admdvs)) !== null) [p] = await byKey();
    } else if (remotePersons) {
      // A copy of another province's person not confirmed lately: asked for again, or answered as held with a warning.
      const copy = await remotePersons.refresh(parsed.value.id, p);
      if (copy === 'refreshed') [p] = await byKey();
      else if (copy !== 'held') warning = copy;
    }
    if (!p) throw new AppError('INSURANCE_NOT_INSURED', { reason: { zh: '未查到参保信息', en: 'no coverage found' } });
    const output = {
      baseinfo: { psn_no: p.psnNo, psn_name: p.name, gend: p.gender, brdy: p.birthDate, certno: maskResidentId(parsed.value.id) },
      insuinfo: [
        {
          insutype: p.scheme === 'employee' ? '310' : '390',
          insuplc_admdvs: p.region,
          psn_insu_stas: p.status === 'active' ? '1' : '0',
          balc: p.accountBalanceFen,
        },
      ],
    };
    return { output, warning };
  }

  async function entitlement(tx: Tx, institution: InstitutionRow, env: Envelope) {
    const input = env.input;
    const p = await person(tx, str(input, 'psn_no'));
    checkActive(p);
    if (p.region !== env.insuplc_admdvs) throw bad('insuplc_admdvs is not the person’s place of insurance');
    const medType = str(input, 'med_type');
    if (!MED_TYPES.has(medType)) throw bad('med_type (11, 14, 21, 52)');
    const begin = str(input, 'begntime', /^\d{4}-\d{2}-\d{2}$/);
    const emergency = input.emergency === '1';
    const where = whereOf(institution.region, p.region);
    const filings = await tx.select().from(insuranceFilings).where(eq(insuranceFilings.psnNo, p.psnNo));
    const filed =
      emergency ||
      filings.some(
        (f) => destinationCovers(f.destination, institution.region) && f.startDate <= begin && (f.endDate === null || f.endDate >= begin),
      );
    const mdtrtId = `${institution.code}${begin.replaceAll('-', '')}${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    // The year's totals row exists from the entitlement on: the settlement locks it in its first statement.
    await tx
      .insert(insuranceYearTotals)
      .values({ psnNo: p.psnNo, year: Number(begin.slice(0, 4)) })
      .onConflictDoNothing();
    await tx.insert(insuranceEncounters).values({
      mdtrtId,
      institutionCode: institution.code,
      psnNo: p.psnNo,
      medType: medType as MedType,
      beginDate: begin,
      emergency,
      where,
      filed,
      status: 'open',
      createdAt: clock(),
    });
    // Whose it is and when it began, for its 2301 (a transaction that does not commit leaves an
    // id no write's guard will find: that 2301 reads, and is refused as it would be).
    encounters.remember(mdtrtId, institution.code, begin);
    return { mdtrt_id: mdtrtId, where, filed: filed ? '1' : '0', insuplc_admdvs: p.region };
  }

  const presettled = presettlementCache();
  const encounters = encounterCache();

  // ---- the window path: 2301, 2303 and 2304 (window-statements.ts) -------------------------
  // Each returns the msgid's earlier answer when there is one (checked first, before anything
  // else), or writes its effect together with its answer.

  /** 'stale': the write found what the read saw changed, and wrote nothing; read again. */
  type Hot = (
    ex: Executor,
    institution: InstitutionRow,
    env: Envelope,
    requestDigest: string,
  ) => Promise<{ prior: PriorMessage } | { answer: Answer } | 'stale'>;

  const messageOf = (env: Envelope, institution: InstitutionRow, requestDigest: string, out: Answer) => ({
    msgid: env.msgid,
    institutionCode: institution.code,
    infno: env.infno,
    requestDigest,
    response: JSON.stringify(out),
    createdAt: clock(),
  });

  /** The encounter of a read, or why there is none / it is not this institution's. */
  async function theirs<E extends { institution_code: string }>(
    ex: Executor,
    row: { e: E | null; prior: PriorMessage | null } | null,
    institution: InstitutionRow,
    env: Envelope,
    mdtrtId: string,
  ): Promise<{ prior: PriorMessage } | { e: E }> {
    const prior = row ? row.prior : await ws.prior(ex, env.msgid);
    if (prior) return { prior };
    if (!row?.e) throw new AppError('NOT_FOUND', { what: 'encounter' });
    if (row.e.institution_code !== institution.code) throw new AppError('INSURANCE_OTHER_INSTITUTION', { mdtrtId });
    return { e: row.e };
  }

  const uploadFees: Hot = async (ex, institution, env, requestDigest) => {
    const mdtrtId = str(env.input, 'mdtrt_id');
    // Known here, outside a transaction: no read. Whatever its guard refuses, or any refusal of the
    // input, is done again with the read, which checks in the order of the interface (the msgid's
    // answer first).
    const known = ex === db ? encounters.get(mdtrtId) : null;
    if (known && known.institutionCode === institution.code) {
      try {
        const done = await upload(ex, institution, env, requestDigest, mdtrtId, known.beginDate);
        if (done) return done;
      } catch (error) {
        if (!(error instanceof AppError) && !isUniqueViolation(error)) throw error;
      }
      encounters.drop(mdtrtId);
    }
    const found = await theirs(ex, await ws.uploadRead(ex, mdtrtId, env.msgid), institution, env, mdtrtId);
    if ('prior' in found) return found;
    const encounter = found.e;
    if (encounter.status !== 'open') throw new AppError('INSURANCE_ENCOUNTER_STATE', { mdtrtId, state: '已结算', action: '上传费用' });
    try {
      return (await upload(ex, institution, env, requestDigest, mdtrtId, encounter.begin_date)) ?? 'stale';
    } catch (error) {
      if (violates(error, 'insurance_fee_lines'))
        throw new AppError('CONFLICT', { detail: 'a feedetl_sn of this encounter was uploaded before' });
      throw error;
    }
  };

  /** 2301's checks of its lines and its guarded write; null when the guard failed (nothing written). */
  async function upload(
    ex: Executor,
    institution: InstitutionRow,
    env: Envelope,
    requestDigest: string,
    mdtrtId: string,
    beginDate: string,
  ): Promise<{ answer: Answer } | null> {
    const raw = env.input.feedetail;
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_LINES) throw bad(`feedetail (1 to ${MAX_LINES} lines)`);
    const seen = new Set<string>();
    const rows: { sn: string; code: string; name: string; cls: string; qty: number; price: number; limit: number | null }[] = [];
    for (const item of raw as unknown[]) {
      if (typeof item !== 'object' || item === null) throw bad('feedetail line');
      const l = item as Record<string, unknown>;
      const sn = str(l, 'feedetl_sn', /^[A-Za-z0-9_-]{1,30}$/);
      if (seen.has(sn)) throw bad(`feedetl_sn ${sn} twice`);
      seen.add(sn);
      const code = str(l, 'med_list_codg', /^[A-Za-z0-9]{1,30}$/);
      const cnt = l.cnt;
      if (typeof cnt !== 'number' || !Number.isSafeInteger(cnt) || cnt <= 0 || cnt > 100_000) throw bad(`cnt of ${sn}`);
      const price = fen(l, 'pric_fen');
      const entry = await reference.catalogueEntry(env.mdtrtarea_admvs, code, beginDate);
      if (!entry) throw new AppError('INSURANCE_UNKNOWN_CODE', { line: sn, code });
      if (entry.maxPriceFen !== null && price > entry.maxPriceFen)
        throw new AppError('INSURANCE_PRICE_OVER_LIMIT', { line: sn, price: yuan(price), limit: yuan(entry.maxPriceFen) });
      rows.push({ sn, code, name: entry.nameZh, cls: entry.itemClass, qty: cnt, price, limit: entry.priceLimitFen });
    }
    const out = answer(env, {
      uploaded: rows.length,
      result: rows.map((r) => ({ feedetl_sn: r.sn, chrgitm_lv: r.cls, det_item_fee_sumamt: r.qty * r.price })),
    });
    // A new line makes the pre-settlement stale (the same statement clears it).
    const written = await ws.uploadWrite(ex, mdtrtId, institution.code, rows, messageOf(env, institution, requestDigest, out));
    if (!written) return null;
    // What the next 2303 computes from, once committed (a transaction's statement may yet be undone).
    if (ex === db) encounters.remember(mdtrtId, institution.code, beginDate, written.state);
    return { answer: out };
  }

  const encounterOfJson = (e: EncounterJson) => ({
    mdtrtId: e.mdtrt_id,
    institutionCode: e.institution_code,
    beginDate: e.begin_date,
    medType: e.med_type,
    where: e.where,
    filed: e.filed,
    emergency: e.emergency,
  });
  const personOfJson = (p: PersonJson) => ({
    region: p.region,
    scheme: p.scheme,
    accountBalanceFen: Number(p.account_balance_fen),
  });
  const totalsOfJson = (y: YearJson | null) => ({
    deductibleUsedFen: Number(y?.deductible_used_fen ?? 0),
    fundPaidFen: Number(y?.fund_paid_fen ?? 0),
    stays: Number(y?.stays ?? 0),
  });
  const active = (p: PersonJson) => {
    if (p.status !== 'active')
      throw new AppError('INSURANCE_NOT_INSURED', { reason: { zh: `参保状态为${p.status}`, en: `coverage is ${p.status}` } });
  };

  const presettle: Hot = async (ex, institution, env, requestDigest) => {
    const mdtrtId = str(env.input, 'mdtrt_id');
    const snapshot = await reference.current();
    // After this process's own 2301, outside a transaction: no read (taken once; the write's guard
    // checks everything it is computed from, and anything refused is done again with the read).
    const known = ex === db ? encounters.get(mdtrtId) : null;
    if (known?.state && known.institutionCode === institution.code) {
      const from = known.state;
      known.state = null;
      try {
        const done = await presettleFrom(ex, institution, env, requestDigest, mdtrtId, from, snapshot);
        if (done) return done;
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
      }
    }
    const read = await ws.settleRead(ex, mdtrtId, env.msgid);
    const found = await theirs(ex, read, institution, env, mdtrtId);
    if ('prior' in found) return found;
    const e = found.e;
    if (e.status !== 'open') throw new AppError('INSURANCE_ENCOUNTER_STATE', { mdtrtId, state: '已结算', action: '预结算' });
    return (await presettleFrom(ex, institution, env, requestDigest, mdtrtId, stateOf(read!), snapshot)) ?? 'stale';
  };

  /** 2303 computed from `from` and written if all of it still stands; null when something changed (nothing written). */
  async function presettleFrom(
    ex: Executor,
    institution: InstitutionRow,
    env: Envelope,
    requestDigest: string,
    mdtrtId: string,
    from: EncounterState,
    snapshot: unknown,
  ): Promise<{ answer: Answer } | null> {
    const { e, p } = from;
    active(p);
    const useAccount = env.input.acct_used_flag !== '0';
    const { result, names } = await compute(encounterOfJson(e), personOfJson(p), totalsOfJson(from.y), from.lines, useAccount);
    const out = answer(env, { mdtrt_id: mdtrtId, ...explainedAnswer(result, names) });
    const digest = digestOf(result);
    if (!(await ws.presettleWrite(ex, mdtrtId, digest, result.totalFen, from, messageOf(env, institution, requestDigest, out))))
      return null;
    presettled.keep(mdtrtId, {
      institutionCode: institution.code,
      snapshot,
      useAccount,
      digest,
      computed: { result, year: Number(e.begin_date.slice(0, 4)), inpatient: INPATIENT.has(e.med_type), names },
      person: { psnNo: p.psn_no, scheme: p.scheme, region: p.region, accountBalanceFen: Number(p.account_balance_fen) },
      before: totalsOfJson(from.y),
    });
    return { answer: out };
  }

  const settleEncounter: Hot = async (ex, institution, env, requestDigest) => {
    const input = env.input;
    const mdtrtId = str(input, 'mdtrt_id');
    const useAccount = input.acct_used_flag !== '0';
    // The pre-settlement this process computed, when nothing it depends on can have changed here
    // (the same institution, account choice and reference data): its guarded write checks the rest
    // (still open, the same pre-settlement, the year's totals and the account as they were, coverage
    // active). Taken once: when the write finds anything changed, the next attempt reads.
    const kept = presettled.take(mdtrtId);
    if (
      kept &&
      kept.institutionCode === institution.code &&
      kept.useAccount === useAccount &&
      kept.snapshot === (await reference.current()) &&
      input.medfee_sumamt === kept.computed.result.totalFen
    )
      return writeSettlement(ex, institution, env, requestDigest, mdtrtId, kept);
    const read = await ws.settleRead(ex, mdtrtId, env.msgid);
    const found = await theirs(ex, read, institution, env, mdtrtId);
    if ('prior' in found) return found;
    const e = found.e;
    if (e.status !== 'open') throw new AppError('INSURANCE_ENCOUNTER_STATE', { mdtrtId, state: '已结算', action: '结算' });
    if (e.presettle_digest === null)
      throw new AppError('INSURANCE_SETTLEMENT_MISMATCH', { detail: { zh: '没有有效的预结算', en: 'no valid pre-settlement' } });
    const claimed = fen(input, 'medfee_sumamt');
    const presettledTotal = e.presettle_total_fen === null ? null : Number(e.presettle_total_fen);
    if (claimed !== presettledTotal)
      throw new AppError('INSURANCE_SETTLEMENT_MISMATCH', {
        detail: {
          zh: `医疗费总额 ${yuan(claimed)} 元与预结算 ${yuan(presettledTotal ?? 0)} 元不同`,
          en: `total ${yuan(claimed)} differs from the pre-settlement's ${yuan(presettledTotal ?? 0)}`,
        },
      });
    const p = read!.p!;
    active(p);
    const before = totalsOfJson(read!.y);
    const person = { psnNo: p.psn_no, ...personOfJson(p) };
    const computed = await compute(encounterOfJson(e), person, before, read!.lines, useAccount);
    const digest = digestOf(computed.result);
    if (digest !== e.presettle_digest)
      throw new AppError('INSURANCE_SETTLEMENT_MISMATCH', {
        detail: { zh: '费用明细或年度累计自预结算后有变化', en: 'the fee lines or the year’s totals changed since the pre-settlement' },
      });
    return writeSettlement(ex, institution, env, requestDigest, mdtrtId, { useAccount, digest, computed, person, before });
  };

  /** 2304's write: the settlement computed (now, or by this process's 2303) from `person` and `before`, if they still stand. */
  async function writeSettlement(
    ex: Executor,
    institution: InstitutionRow,
    env: Envelope,
    requestDigest: string,
    mdtrtId: string,
    s: Pick<Presettled, 'useAccount' | 'digest' | 'computed' | 'person' | 'before'>,
  ): Promise<{ answer: Answer } | 'stale'> {
    const input = env.input;
    const { useAccount, digest, person, before } = s;
    const { result, year, inpatient, names } = s.computed;
    const list = listFields(input.setl_list);
    const now = clock();
    const setlId = `${institution.code.slice(1)}${now.getTime().toString(36)}${randomUUID().replaceAll('-', '').slice(0, 8)}`.toUpperCase();
    const leaf = JSON.stringify({
      kind: SETTLEMENT_LEAF,
      event: 'settled',
      setl_id: setlId,
      institution: institution.code,
      person: sha256(`psn:${person.psnNo}`),
      settlement: digest,
      at: now.toISOString(),
    });
    const out = answer(env, { setl_id: setlId, mdtrt_id: mdtrtId, setl_time: now.toISOString(), ...explainedAnswer(result, names) });
    const written = await ws.settleWrite(
      ex,
      {
        mdtrtId,
        digest,
        psnNo: person.psnNo,
        year,
        before: {
          deductibleUsedFen: before.deductibleUsedFen,
          fundPaidFen: before.fundPaidFen,
          stays: before.stays,
          accountBalanceFen: person.scheme === 'employee' && useAccount ? person.accountBalanceFen : null,
        },
        deductibleFen: result.deductibleFen,
        hifpPayFen: result.hifpPayFen,
        acctPayFen: result.acctPayFen,
        accountDeltaFen: result.acctPayFen,
        stay: inpatient,
        at: now,
        setlId,
        institutionCode: institution.code,
        treatmentRegion: env.mdtrtarea_admvs,
        insuranceRegion: person.region,
        policyVersion: result.why[0]?.policy ?? '',
        totalFen: result.totalFen,
        inscpFen: result.inscpFen,
        cashPayFen: result.cashPayFen,
        result: JSON.stringify(compactSettlement(result)),
        list: list === null ? null : JSON.stringify(list),
        msgid: env.msgid,
        day: chinaDay(now),
        event: { topic: SETTLED_TOPIC, payload: { setlId } },
      },
      messageOf(env, institution, requestDigest, out),
      { kind: SETTLEMENT_LEAF, data: new TextEncoder().encode(leaf) },
    );
    if (!written) return 'stale';
    encounters.drop(mdtrtId);
    return { answer: out };
  }

  /** Takes a settlement back exactly (its parts from the year's totals and the account); the encounter opens again. */
  async function undo(tx: Tx, setl: typeof insuranceSettlements.$inferSelect, env: Envelope, how: 'cancelled' | 'reversed') {
    const now = clock();
    const leaf = JSON.stringify({
      kind: SETTLEMENT_LEAF,
      event: how,
      setl_id: setl.setlId,
      institution: setl.institutionCode,
      at: now.toISOString(),
    });
    await deps.ledger.appendInTx(tx, { kind: SETTLEMENT_LEAF, data: new TextEncoder().encode(leaf) });
    await tx
      .update(insuranceSettlements)
      .set({ status: 'cancelled', cancelledAt: now, cancelMsgid: env.msgid })
      .where(eq(insuranceSettlements.setlId, setl.setlId));
    await yearOf(tx, setl.psnNo, setl.year, true);
    await takeBackParts(tx, setl, now);
    await tx
      .update(insuranceEncounters)
      .set({ status: 'open', presettleDigest: null, presettleTotalFen: null })
      .where(eq(insuranceEncounters.mdtrtId, setl.mdtrtId));
    await deps.events.enqueue(tx, { topic: 'insurance.cancelled', payload: { setlId: setl.setlId, how } });
    return { setl_id: setl.setlId, mdtrt_id: setl.mdtrtId, status: how };
  }

  async function cancel(tx: Tx, institution: InstitutionRow, env: Envelope) {
    const setlId = str(env.input, 'setl_id');
    const [setl] = await tx.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, setlId)).for('update');
    if (!setl) throw new AppError('NOT_FOUND', { what: 'settlement' });
    if (setl.institutionCode !== institution.code) throw new AppError('INSURANCE_OTHER_INSTITUTION', { mdtrtId: setl.mdtrtId });
    if (setl.status !== 'settled')
      throw new AppError('INSURANCE_ENCOUNTER_STATE', { mdtrtId: setl.mdtrtId, state: '已撤销', action: '撤销结算' });
    return undo(tx, setl, env, 'cancelled');
  }

  async function reversal(tx: Tx, institution: InstitutionRow, env: Envelope) {
    const omsgid = str(env.input, 'omsgid');
    const oinfno = str(env.input, 'oinfno');
    const refuse = (zh: string, en: string) => new AppError('INSURANCE_REVERSAL_REFUSED', { reason: { zh, en } });
    if (oinfno === '2601') throw refuse('不能冲正一笔冲正交易', 'a reversal cannot be reversed');
    const [original] = await tx.select().from(insuranceMessages).where(eq(insuranceMessages.msgid, omsgid)).for('update');
    if (!original || original.institutionCode !== institution.code)
      throw refuse(`没有本机构的原交易 ${omsgid}`, `no transaction ${omsgid} of this institution`);
    if (original.infno !== oinfno)
      throw refuse(`原交易是 ${original.infno}，不是 ${oinfno}`, `the original is ${original.infno}, not ${oinfno}`);
    if (original.reversedBy) throw refuse(`原交易已被 ${original.reversedBy} 冲正`, `already reversed by ${original.reversedBy}`);
    let output: Record<string, unknown>;
    if (oinfno === '2304') {
      const [setl] = await tx.select().from(insuranceSettlements).where(eq(insuranceSettlements.msgid, omsgid)).for('update');
      if (!setl || setl.status !== 'settled') throw refuse('该结算已撤销', 'the settlement is cancelled already');
      output = await undo(tx, setl, env, 'reversed');
    } else if (oinfno === '2301') {
      const [line] = await tx.select().from(insuranceFeeLines).where(eq(insuranceFeeLines.msgid, omsgid)).limit(1);
      if (line) {
        const encounter = await encounterOf(tx, institution, line.mdtrtId, true);
        if (encounter.status !== 'open') throw refuse('就诊已结算，请先撤销结算', 'the encounter is settled; cancel the settlement first');
        await tx.delete(insuranceFeeLines).where(eq(insuranceFeeLines.msgid, omsgid));
        await tx
          .update(insuranceEncounters)
          .set({ presettleDigest: null, presettleTotalFen: null, linesVersion: sql`${insuranceEncounters.linesVersion} + 1` })
          .where(eq(insuranceEncounters.mdtrtId, line.mdtrtId));
      }
      output = { omsgid, reversed: true };
    } else {
      throw refuse(`交易 ${oinfno} 不支持冲正（可冲正 2301、2304）`, `transaction ${oinfno} cannot be reversed (2301 and 2304 can)`);
    }
    await tx.update(insuranceMessages).set({ reversedBy: env.msgid }).where(eq(insuranceMessages.msgid, omsgid));
    return output;
  }

  async function reconcile(tx: Tx, institution: InstitutionRow, env: Envelope) {
    const input = env.input;
    const region = str(input, 'setl_optins', /^\d{6}$/);
    const day = str(input, 'stmt_date', /^\d{4}-\d{2}-\d{2}$/);
    const cnt = input.fixmedins_setl_cnt;
    if (typeof cnt !== 'number' || !Number.isSafeInteger(cnt) || cnt < 0) throw bad('fixmedins_setl_cnt');
    const theirs: ReconTotals = {
      count: cnt,
      totalFen: fen(input, 'medfee_sumamt'),
      fundFen: fen(input, 'fund_pay_sumamt'),
      accountFen: fen(input, 'acct_pay'),
      cashFen: fen(input, 'cash_payamt'),
    };
    const [row] = await tx
      .select({
        count: sql<number>`count(*)::int`,
        totalFen: sql<string>`coalesce(sum(${insuranceSettlements.totalFen}), 0)`,
        fundFen: sql<string>`coalesce(sum(${insuranceSettlements.hifpPayFen}), 0)`,
        accountFen: sql<string>`coalesce(sum(${insuranceSettlements.acctPayFen}), 0)`,
        cashFen: sql<string>`coalesce(sum(${insuranceSettlements.cashPayFen}), 0)`,
      })
      .from(insuranceSettlements)
      .where(
        and(
          eq(insuranceSettlements.institutionCode, institution.code),
          eq(insuranceSettlements.day, day),
          eq(insuranceSettlements.insuranceRegion, region),
          eq(insuranceSettlements.status, 'settled'),
        ),
      );
    const ours: ReconTotals = {
      count: row!.count,
      totalFen: Number(row!.totalFen),
      fundFen: Number(row!.fundFen),
      accountFen: Number(row!.accountFen),
      cashFen: Number(row!.cashFen),
    };
    const differs = (Object.keys(ours) as (keyof ReconTotals)[]).filter((k) => ours[k] !== theirs[k]);
    const matched = differs.length === 0;
    await tx
      .insert(insuranceReconciliations)
      .values({ institutionCode: institution.code, day, insuranceRegion: region, theirs, ours, matched, msgid: env.msgid, at: clock() })
      .onConflictDoUpdate({
        target: [insuranceReconciliations.institutionCode, insuranceReconciliations.day, insuranceReconciliations.insuranceRegion],
        set: { theirs, ours, matched, msgid: env.msgid, at: clock() },
      });
    return {
      stmt_rslt: matched ? '0' : '1',
      stmt_rslt_dscr: matched ? '对账一致 / matched' : `不一致 / differs: ${differs.join(', ')}`,
      ours,
    };
  }

  const EFFECTS: Record<
    Exclude<Infno, '1101' | keyof typeof HOT>,
    (tx: Tx, i: InstitutionRow, e: Envelope) => Promise<Record<string, unknown>>
  > = {
    '2001': entitlement,
    '2305': cancel,
    '2601': reversal,
    '3201': reconcile,
  };
  const HOT = { '2301': uploadFees, '2303': presettle, '2304': settleEncounter } satisfies Partial<Record<Infno, Hot>>;
  const isHot = (infno: Infno): infno is keyof typeof HOT => infno in HOT;

  return {
    /**
     * Runs one transaction of a verified institution. The envelope's institution must be the
     * signer; the answer is stored with the msgid in the transaction of its effect. A msgid
     * answered before gets that answer, unless it now names another request.
     */
    handle: async (
      institution: InstitutionRow,
      env: Envelope,
      requestDigest: string,
      /** Written with the effect, in its transaction (the window's log row); not on a retried msgid's stored answer. */
      inTx?: (tx: Tx, answer: Answer) => Promise<void>,
    ): Promise<Answer> => {
      if (env.fixmedins_code !== institution.code) throw bad('fixmedins_code is not the signing institution');
      if (env.mdtrtarea_admvs !== institution.region) throw bad('mdtrtarea_admvs is not the institution’s division');
      if (env.infno === '1101') {
        const { output, warning } = await personInfo(env);
        return { ...answer(env, output), ...(warning ? { warn_msg: warning.zh, warn_msg_en: warning.en } : {}) };
      }
      // Insured in another province: that province's node settles under its policy (cross-province.ts).
      if (crossProvince?.handles(env)) return crossProvince.handle(institution, env, requestDigest, inTx);
      const answered = (prior: PriorMessage): Answer => {
        if (prior.request_digest !== requestDigest || prior.institution_code !== institution.code)
          throw new AppError('INSURANCE_MSGID_REUSED', { msgid: env.msgid });
        return JSON.parse(prior.response) as Answer;
      };
      const stored = async (): Promise<Answer | null> => {
        const prior = await ws.prior(db, env.msgid);
        return prior ? answered(prior) : null;
      };
      // Reference data is read before the transaction: never a second pool connection inside it.
      await reference.ready();
      try {
        const infno = env.infno;
        if (isHot(infno)) {
          // Read, then one guarded write (window-statements.ts); again when the write found the
          // data changed. On its own (the hospital interface) each statement commits by itself;
          // with a window's log row (`inTx`), both run in one transaction with it.
          const run = async (ex: Executor) => {
            for (let attempt = 1; ; attempt++) {
              let r: Awaited<ReturnType<Hot>>;
              try {
                r = await HOT[infno](ex, institution, env, requestDigest);
              } catch (error) {
                if (!inTx && isDeadlock(error) && attempt < HOT_ATTEMPTS) continue;
                throw error;
              }
              if (r !== 'stale') return r;
              if (attempt >= HOT_ATTEMPTS)
                throw new AppError('CONFLICT', {
                  detail: { zh: '就诊数据正被同时修改，请重试', en: 'the encounter is being changed concurrently; retry' },
                });
            }
          };
          const done = inTx
            ? await db.transaction(async (tx) => {
                const r = await run(tx);
                if ('answer' in r) await inTx(tx, r.answer);
                return r;
              })
            : await run(db);
          return 'prior' in done ? answered(done.prior) : done.answer;
        }
        const prior = await stored();
        if (prior) return prior;
        return await db.transaction(async (tx) => {
          const out = answer(env, await EFFECTS[infno](tx, institution, env));
          await tx.insert(insuranceMessages).values({
            msgid: env.msgid,
            institutionCode: institution.code,
            infno,
            requestDigest,
            response: JSON.stringify(out),
            createdAt: clock(),
          });
          await inTx?.(tx, out);
          return out;
        });
      } catch (error) {
        // The same msgid raced in from a retry (its first statement ran before the other committed):
        // the one that committed answers both.
        if (isUniqueViolation(error) || error instanceof AppError) {
          const again = await stored();
          if (again) return again;
        }
        throw error;
      }
    },
  };
}

function listFields(raw: unknown): SettlementListFields | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad('setl_list');
  const r = raw as Record<string, unknown>;
  const out: SettlementListFields = {};
  const keys = ['diagCode', 'diagName', 'admDate', 'dscgDate', 'dscgWay', 'chfpdrName', 'deptName'] as const;
  for (const k of keys) {
    const v = r[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length > 200) throw bad(`setl_list.${k}`);
    out[k] = v;
  }
  return out;
}

export type Transactions = ReturnType<typeof createTransactions>;
