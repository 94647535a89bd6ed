/**
 * 跨省异地就医直接结算 (issue 16, cross-province service 4): a patient insured in province B is
 * treated in province A. 医保发〔2022〕22号: the catalogue of the place of treatment, the policy of
 * the place of insurance, the management of the place of treatment (就医地目录、参保地政策、就医地管理).
 *
 * At A (the place of treatment), `handle` takes the window's 2303, 2304 and 2305 when the
 * envelope's insuplc_admdvs is in another province: the lines stay as A's catalogue classified and
 * priced them (2301 is local), and A asks B's node, in one signed synchronous call
 * (`federation.call`), to run B's engine with B's policy for the person: `insurance.presettle`,
 * `insurance.settle`, `insurance.cancel`. The call is made before A's transaction (A reads the
 * encounter first, then locks it again and checks nothing changed); A then stores the settlement,
 * its message row and the call's row and leaf in one transaction, and seals the statement as for
 * a local settlement (it names B's policy version and legal basis: they are in the answer). The
 * call's message id is derived from the institution and the window's msgid, so a retry after a
 * timeout (A's transaction rolled back, B's committed) gets B's first answer: one settlement on
 * each side. B unreachable: INSURANCE_REMOTE_UNAVAILABLE (503), nothing written at A; no node of B's
 * province in the federation directory: INSURANCE_REGION_NOT_FEDERATED (404, final), nothing asked.
 *
 * The patient's ID number travels inside the signed call (as a hand-over's applicant does, never
 * a keyed hash: each node keys ID numbers under its own master key). A takes it from the window's
 * envelope (`mdtrt_cert_type` 02 and `mdtrt_cert_no`, as in 1101) and sends it only when, keyed
 * under A's key, it is the encounter's person; B keys it under B's key to find its insured person,
 * the masked IDs agreeing. Neither side logs it, stores it outside the signed message, or answers it.
 *
 * At B (the place of insurance), the message types run in the transaction that records the
 * message: the person (by the ID number keyed under B's own key, the masked ID agreeing), B's filings
 * (B decides whether the treatment was filed), B's year's totals (locked for a settlement) and B's
 * policy in force on the day of admission, for treatment in another province. A settlement is
 * recorded in insurance_remote_settlements and added to the person's year's totals here (the cap
 * holds across provinces); a cancellation takes exactly that back.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { AppError } from '../../core/errors.ts';
import type { Executor, Tx } from '../../db/database.ts';
import { maskResidentId, parseResidentId } from '../identity/index.ts';
import type { Answer, Envelope } from './envelope.ts';
import { chinaDay, type InsuranceContext } from './insurance-context.ts';
import {
  insuranceEncounters,
  insuranceFilings,
  insuranceMessages,
  insurancePersons,
  insurancePolicies,
  insuranceSettlements,
  insuranceYearTotals,
} from './insurance.tables.ts';
import { insuranceRemoteSettlements } from './cross-province.tables.ts';
import { ABANDONED, createOrphans, ORPHAN_AFTER_MS } from './cross-province-orphans.ts';
import { NoPolicyError, resolvePolicy } from './policies.ts';
import type { InstitutionRow, ReferenceData } from './reference-data.ts';
import {
  compactSettlement,
  expandSettlement,
  settle,
  SettlementInputError,
  type CompactSettlement,
  type FeeLine,
  type ItemClass,
  type Settlement,
} from './settlement.ts';
import { derivedUuid } from './statement.ts';
import { destinationCovers, digestOf, explainedAnswer, SETTLED_TOPIC, SETTLEMENT_LEAF, takeBackParts, whereOf } from './transactions.ts';
import { createWindowStatements, stateOf, type LineTuple, type PersonJson, type PriorMessage, type Read } from './window-statements.ts';

const PRESETTLE_TYPE = 'insurance.presettle';
const SETTLE_TYPE = 'insurance.settle';
const CANCEL_TYPE = 'insurance.cancel';

/** How old an `insurance.settle` may be when B makes it: well within ORPHAN_AFTER_MS, clocks' skew included. */
const SETTLE_FRESH_MS = ORPHAN_AFTER_MS / 3;
const INPATIENT: ReadonlySet<string> = new Set(['21', '52']);
const MED_TYPES: ReadonlySet<string> = new Set(['11', '14', '21', '52']);
const MAX_LINES = 2_000;
const MEMBER = /^CN\/GOV\/(\d{6})\/[a-z][a-z0-9-]{0,31}$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const encoder = new TextEncoder();

/** The federation as this module uses it (composed in app.ts); absent, or on a standalone node, nothing is cross-province. */
export interface InsuranceFederationPort {
  /** This node's province (the first two digits of its member id's division), or null when it is not a province node. */
  province(): string | null;
  /** The directory's member serving a division's province, or null. */
  memberForDivision(division: string): Promise<string | null>;
  call(
    to: string,
    type: string,
    payload: Record<string, unknown>,
    options: { id: string; timeoutMs?: number; deferRecord: true },
  ): Promise<{ id: string; result: Record<string, unknown>; replayed: boolean; record(executor: Executor): Promise<void> }>;
}

/** A verified federation message as a handler sees it (federation's FederationMessage, structurally). */
interface Message {
  id: string;
  from: string;
  to: string;
  type: string;
  payload: Record<string, unknown>;
  created: string;
}

/** What B answers to a pre-settlement or a settlement. */
interface RemoteResult {
  settlement: CompactSettlement;
  digest: string;
  where: string;
  filed: boolean;
}

type Line = [string, string, ItemClass, number, number, number | null];

const bad = (detail: string) => new AppError('INSURANCE_BAD_ENVELOPE', { detail });
const noSuchPerson = () =>
  new AppError('INSURANCE_NOT_INSURED', { reason: { zh: '参保地无此人员', en: 'no such person at the place of insurance' } });

/** The ID number of a message or an envelope (`mdtrt_cert_type` 02: the resident ID card), normalised; never logged. */
function certNo(input: Record<string, unknown>): string {
  if (input.mdtrt_cert_type !== '02')
    throw bad(
      'mdtrt_cert_type 02 and mdtrt_cert_no: a cross-province settlement carries the patient’s ID number (跨省结算须读取患者身份证)',
    );
  const parsed = parseResidentId(typeof input.mdtrt_cert_no === 'string' ? input.mdtrt_cert_no : '');
  if (!parsed.ok) throw bad('mdtrt_cert_no');
  return parsed.value.id;
}

function text(input: Record<string, unknown>, name: string, pattern: RegExp): string {
  const v = input[name];
  if (typeof v !== 'string' || !pattern.test(v)) throw bad(name);
  return v;
}

/** The lines as A sends them: A's catalogue's class and price limit, no names. */
function linesOf(raw: unknown): Line[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_LINES) throw bad(`feedetail (1 to ${MAX_LINES} lines)`);
  return raw.map((l: unknown) => {
    if (!Array.isArray(l) || l.length !== 6) throw bad('feedetail line');
    const [sn, code, cls, qty, price, limit] = l as unknown[];
    const int = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (typeof sn !== 'string' || !/^[A-Za-z0-9_-]{1,30}$/.test(sn)) throw bad('feedetl_sn');
    if (typeof code !== 'string' || !/^[A-Za-z0-9]{1,30}$/.test(code)) throw bad(`code of ${sn}`);
    if (cls !== 'A' && cls !== 'B' && cls !== 'C') throw bad(`class of ${sn}`);
    if (!int(qty) || !int(price) || (limit !== null && !int(limit))) throw bad(`amounts of ${sn}`);
    return [sn, code, cls, qty as number, price as number, limit as number | null];
  });
}

/**
 * One signed synchronous call to the node of a division's province. No such node in the
 * federation directory (or no federation): INSURANCE_REGION_NOT_FEDERATED (404), final, nothing
 * asked; a node that does not answer: INSURANCE_REMOTE_UNAVAILABLE (503), to be retried.
 */
export async function askPlaceOfInsurance(
  port: InsuranceFederationPort | undefined,
  region: string,
  type: string,
  id: string,
  payload: Record<string, unknown>,
) {
  const unavailable = (reason: string) => new AppError('INSURANCE_REMOTE_UNAVAILABLE', { region, reason });
  const member = port ? await port.memberForDivision(region) : null;
  if (!port || !member) throw new AppError('INSURANCE_REGION_NOT_FEDERATED', { region });
  try {
    return await port.call(member, type, payload, { id, deferRecord: true });
  } catch (error) {
    if (
      error instanceof AppError &&
      ['FEDERATION_PEER_UNAVAILABLE', 'FEDERATION_UNKNOWN_MEMBER', 'FEDERATION_DISABLED'].includes(error.code)
    )
      throw unavailable(typeof error.params.reason === 'string' ? error.params.reason : error.code);
    throw error;
  }
}

/** B's insured person with the message's ID number, keyed under B's own key; the masked IDs must agree. */
export async function insuredHere(tx: Tx, keys: { subjectKeyOf(id: string): string }, input: Record<string, unknown>, lock: boolean) {
  const id = certNo(input);
  const q = tx
    .select()
    .from(insurancePersons)
    .where(eq(insurancePersons.subjectKey, keys.subjectKeyOf(id)));
  const [p] = lock ? await q.for('update') : await q;
  if (!p || p.idMasked !== maskResidentId(id) || input.id_masked !== p.idMasked) throw noSuchPerson();
  return p;
}

export function createCrossProvince(ctx: InsuranceContext, reference: ReferenceData) {
  const { db, deps, clock } = ctx;
  const ws = createWindowStatements(deps);
  const port = deps.federation;

  // ---- at B, the place of insurance ------------------------------------------------------

  const personHere = (tx: Tx, input: Record<string, unknown>, lock: boolean) => insuredHere(tx, deps, input, lock);

  /** Runs B's engine for A's encounter: B's person, filings, year's totals (locked when `lock`) and policy. */
  async function computeHere(tx: Tx, message: Message, lock: boolean) {
    const input = message.payload;
    const treatment = text(input, 'mdtrtarea_admvs', /^\d{6}$/);
    // A node asks for treatment in its own province only (就医地管理).
    const sender = MEMBER.exec(message.from)?.[1];
    if (!sender || sender.slice(0, 2) !== treatment.slice(0, 2)) throw bad('mdtrtarea_admvs is not in the sender’s province');
    const medType = text(input, 'med_type', /^\d{2}$/);
    if (!MED_TYPES.has(medType)) throw bad('med_type (11, 14, 21, 52)');
    const begin = text(input, 'begntime', /^\d{4}-\d{2}-\d{2}$/);
    const level = input.hosp_lv;
    if (level !== 1 && level !== 2 && level !== 3) throw bad('hosp_lv (1, 2, 3)');
    const emergency = input.emergency === true;
    const lines = linesOf(input.feedetail);

    const p = await personHere(tx, input, lock);
    const psnNo = p.psnNo;
    if (p.status !== 'active')
      throw new AppError('INSURANCE_NOT_INSURED', { reason: { zh: `参保状态为${p.status}`, en: `coverage is ${p.status}` } });
    const where = whereOf(treatment, p.region);
    if (where !== 'other_province') throw bad('the treatment is not in another province');
    const year = Number(begin.slice(0, 4));
    if (lock) await tx.insert(insuranceYearTotals).values({ psnNo, year }).onConflictDoNothing();
    const yq = tx
      .select()
      .from(insuranceYearTotals)
      .where(and(eq(insuranceYearTotals.psnNo, psnNo), eq(insuranceYearTotals.year, year)));
    const [totals] = lock ? await yq.for('update') : await yq;
    const filings = await tx.select().from(insuranceFilings).where(eq(insuranceFilings.psnNo, psnNo));
    const filed =
      emergency ||
      filings.some(
        (f) => destinationCovers(f.destination, treatment) && f.startDate <= begin && (f.endDate === null || f.endDate >= begin),
      );
    const policies = await tx
      .select({ data: insurancePolicies.data })
      .from(insurancePolicies)
      .where(eq(insurancePolicies.region, p.region));
    const inpatient = INPATIENT.has(medType);
    const used = { deductibleUsedFen: totals?.deductibleUsedFen ?? 0, fundPaidFen: totals?.fundPaidFen ?? 0, stays: totals?.stays ?? 0 };
    let policy;
    try {
      policy = resolvePolicy(
        policies.map((r) => r.data),
        {
          region: p.region,
          scheme: p.scheme,
          level,
          where,
          filed,
          emergency,
          stayNumber: inpatient ? used.stays + 1 : 1,
          date: begin,
        },
      );
    } catch (error) {
      if (error instanceof NoPolicyError) throw new AppError('INSURANCE_NO_POLICY', { region: p.region, date: begin });
      throw error;
    }
    if (!inpatient) policy = { ...policy, deductibleFen: Math.max(0, policy.deductibleFen - used.deductibleUsedFen) };
    const feeLines: FeeLine[] = lines.map(([id, code, itemClass, quantity, unitPriceFen, priceLimitFen]) => ({
      id,
      code,
      itemClass,
      quantity,
      unitPriceFen,
      priceLimitFen,
    }));
    const balance = p.scheme === 'employee' && input.acct_used_flag !== '0' ? p.accountBalanceFen : 0;
    let result: Settlement;
    try {
      result = settle(feeLines, policy, used, balance);
    } catch (error) {
      if (error instanceof SettlementInputError) throw bad(error.message);
      throw error;
    }
    const answer: RemoteResult = { settlement: compactSettlement(result), digest: digestOf(result), where, filed };
    return { p, result, year, inpatient, treatment, answer };
  }

  const presettleType = {
    type: PRESETTLE_TYPE,
    async apply(tx: Tx, message: Message): Promise<Record<string, unknown>> {
      const { answer } = await computeHere(tx, message, false);
      return { ...answer };
    },
  };

  const settleType = {
    type: SETTLE_TYPE,
    async apply(tx: Tx, message: Message): Promise<Record<string, unknown>> {
      const { p, result, year, inpatient, treatment, answer } = await computeHere(tx, message, true);
      // After the locks: a settlement held up here past SETTLE_FRESH_MS is not made. The place of
      // treatment withdraws one it never completed no sooner than ORPHAN_AFTER_MS after it asked;
      // by then this one was made and is cancelled, or will never be.
      if (clock().getTime() - Date.parse(message.created) > SETTLE_FRESH_MS)
        throw new AppError('INSURANCE_SETTLEMENT_MISMATCH', {
          detail: {
            zh: '结算请求在参保地等待过久，未结算',
            en: 'the settlement request waited too long at the place of insurance; nothing was settled',
          },
        });
      const mdtrtId = text(message.payload, 'mdtrt_id', /^[A-Za-z0-9]{1,60}$/);
      if (message.payload.expect !== answer.digest)
        throw new AppError('INSURANCE_SETTLEMENT_MISMATCH', {
          detail: {
            zh: '参保地的年度累计或政策自预结算后有变化',
            en: 'the year’s totals or the policy at the place of insurance changed since the pre-settlement',
          },
        });
      const [open] = await tx
        .select({ ref: insuranceRemoteSettlements.ref })
        .from(insuranceRemoteSettlements)
        .where(
          and(
            eq(insuranceRemoteSettlements.fromMember, message.from),
            eq(insuranceRemoteSettlements.mdtrtId, mdtrtId),
            eq(insuranceRemoteSettlements.status, 'settled'),
          ),
        );
      if (open) throw new AppError('INSURANCE_ENCOUNTER_STATE', { mdtrtId, state: '已结算', action: '结算' });
      const now = clock();
      await tx.insert(insuranceRemoteSettlements).values({
        ref: message.id,
        fromMember: message.from,
        mdtrtId,
        institutionCode: text(message.payload, 'fixmedins_code', /^H\d{11}$/),
        treatmentRegion: treatment,
        psnNo: p.psnNo,
        year,
        status: 'settled',
        policyVersion: result.why[0]?.policy ?? '',
        totalFen: result.totalFen,
        deductibleFen: result.deductibleFen,
        hifpPayFen: result.hifpPayFen,
        acctPayFen: result.acctPayFen,
        cashPayFen: result.cashPayFen,
        countsStay: inpatient,
        result: answer.settlement,
        settledAt: now,
      });
      await tx
        .update(insuranceYearTotals)
        .set({
          deductibleUsedFen: sql`${insuranceYearTotals.deductibleUsedFen} + ${result.deductibleFen}`,
          fundPaidFen: sql`${insuranceYearTotals.fundPaidFen} + ${result.hifpPayFen}`,
          accountPaidFen: sql`${insuranceYearTotals.accountPaidFen} + ${result.acctPayFen}`,
          stays: sql`${insuranceYearTotals.stays} + ${inpatient ? 1 : 0}`,
        })
        .where(and(eq(insuranceYearTotals.psnNo, p.psnNo), eq(insuranceYearTotals.year, year)));
      if (result.acctPayFen > 0)
        await tx
          .update(insurancePersons)
          .set({ accountBalanceFen: sql`${insurancePersons.accountBalanceFen} - ${result.acctPayFen}`, updatedAt: now })
          .where(eq(insurancePersons.psnNo, p.psnNo));
      const leaf = {
        kind: SETTLEMENT_LEAF,
        event: 'settled-for-another-province',
        ref: message.id,
        from: message.from,
        person: sha256(`psn:${p.psnNo}`),
        settlement: answer.digest,
        at: now.toISOString(),
      };
      await deps.ledger.appendInTx(tx, { kind: SETTLEMENT_LEAF, data: encoder.encode(JSON.stringify(leaf)) });
      return { ...answer, ref: message.id };
    },
  };

  const cancelType = {
    type: CANCEL_TYPE,
    async apply(tx: Tx, message: Message): Promise<Record<string, unknown>> {
      const ref = text(message.payload, 'ref', /^[0-9a-f-]{36}$/);
      const [s] = await tx.select().from(insuranceRemoteSettlements).where(eq(insuranceRemoteSettlements.ref, ref)).for('update');
      // Never settled here (the call refused, or never arrived): nothing to cancel, and nothing is.
      if (!s) return { ref, status: 'none' };
      if (s.fromMember !== message.from) throw new AppError('NOT_FOUND', { what: 'settlement' });
      const abandoned = message.payload.abandoned === true;
      if (abandoned) {
        // The place of treatment withdraws a settlement of its own call it never completed
        // (cross-province-orphans.ts): its ref and encounter; it holds no ID number to send.
        if (s.mdtrtId !== message.payload.mdtrt_id) throw new AppError('NOT_FOUND', { what: 'settlement' });
        if (s.status !== 'settled') return { ref, status: s.status };
      } else {
        // The settlement is the person's the ID number names here (under B's key), or none.
        const p = await personHere(tx, message.payload, false).catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'INSURANCE_NOT_INSURED') return null;
          throw error;
        });
        if (p?.psnNo !== s.psnNo) throw new AppError('NOT_FOUND', { what: 'settlement' });
        if (s.status !== 'settled')
          throw new AppError('INSURANCE_ENCOUNTER_STATE', { mdtrtId: s.mdtrtId, state: '已撤销', action: '撤销结算' });
      }
      const now = clock();
      await tx
        .update(insuranceRemoteSettlements)
        .set({ status: 'cancelled', cancelledAt: now, cancelRef: message.id })
        .where(eq(insuranceRemoteSettlements.ref, ref));
      await takeBackParts(tx, s, now);
      const leaf = {
        kind: SETTLEMENT_LEAF,
        event: 'cancelled-for-another-province',
        ref,
        from: message.from,
        ...(abandoned ? { abandoned } : {}),
        at: now.toISOString(),
      };
      await deps.ledger.appendInTx(tx, { kind: SETTLEMENT_LEAF, data: encoder.encode(JSON.stringify(leaf)) });
      return { ref, status: 'cancelled' };
    },
  };

  // ---- at A, the place of treatment ------------------------------------------------------

  const own = () => port?.province() ?? null;

  /** Whether the envelope's settlement is the place of insurance's, in another province (2303, 2304, 2305; 2601 of a 2304 is refused). */
  function handles(env: Envelope): boolean {
    const province = own();
    if (province === null || env.insuplc_admdvs.slice(0, 2) === province) return false;
    return env.infno === '2303' || env.infno === '2304' || env.infno === '2305' || (env.infno === '2601' && env.input.oinfno === '2304');
  }

  function answered(prior: PriorMessage, institution: InstitutionRow, env: Envelope, requestDigest: string): Answer {
    if (prior.request_digest !== requestDigest || prior.institution_code !== institution.code)
      throw new AppError('INSURANCE_MSGID_REUSED', { msgid: env.msgid });
    const out = JSON.parse(prior.response) as Answer;
    // Settled at neither side (cross-province-orphans.ts): the msgid's final answer is the refusal.
    if (out.err_code === ABANDONED) throw new AppError(ABANDONED, { msgid: env.msgid });
    return out;
  }

  const answer = (output: Record<string, unknown>): Answer => ({
    infcode: 0,
    inf_refmsgid: `YB${randomUUID().replaceAll('-', '').slice(0, 24)}`,
    respond_time: clock().toISOString(),
    output,
  });

  const messageRow = (env: Envelope, institution: InstitutionRow, requestDigest: string, out: Answer) => ({
    msgid: env.msgid,
    institutionCode: institution.code,
    infno: env.infno,
    requestDigest,
    response: JSON.stringify(out),
    createdAt: clock(),
  });

  /** The call's id: the same institution and msgid, the same message (a retry gets B's first answer). */
  const callIdOf = (type: string, institution: InstitutionRow, msgid: string) =>
    derivedUuid(`federation-call/${type}`, `${institution.code}|${msgid}`);

  const ask = (region: string, type: string, id: string, payload: Record<string, unknown>) =>
    askPlaceOfInsurance(port, region, type, id, payload);

  const orphans = createOrphans({
    db,
    clock,
    lockEncounter: (tx, mdtrtId) => ws.lockEncounter(tx, mdtrtId),
    prior: (ex, msgid) => ws.prior(ex, msgid),
    cancelAt: (region, id, payload) => ask(region, CANCEL_TYPE, id, payload),
    appendLeaf: async (tx, leaf) => {
      await deps.ledger.appendInTx(tx, { kind: SETTLEMENT_LEAF, data: encoder.encode(JSON.stringify({ kind: SETTLEMENT_LEAF, ...leaf })) });
    },
  });

  /** B's answer as a settlement, checked against the lines A sent (B computed on those, every line once). */
  function settlementOf(result: Record<string, unknown>, lines: readonly LineTuple[], member: string): { s: Settlement; digest: string } {
    const r = result as unknown as Partial<RemoteResult>;
    const mismatch = () => new AppError('FEDERATION_PEER_REFUSED', { member, code: 'ANSWER_DOES_NOT_MATCH_THE_LINES' });
    if (!r.settlement || !Array.isArray(r.settlement.lines)) throw mismatch();
    const s = expandSettlement(r.settlement);
    const sent = new Map(lines.map((l) => [l[0], Number(l[3]) * Number(l[4])]));
    if (s.lines.length !== sent.size || s.lines.some((l) => sent.get(l.id) !== l.totalFen)) throw mismatch();
    if (s.hifpPayFen + s.acctPayFen + s.cashPayFen !== s.totalFen) throw mismatch();
    return { s, digest: digestOf(s) };
  }

  /**
   * The patient as the call names them: the envelope's ID number, only when it is, under this node's
   * key, the person of the encounter or settlement (a clerk cannot settle someone else's stay).
   */
  function patientOf(env: Envelope, person: { subjectKey: string; idMasked: string }) {
    const id = certNo(env.input);
    if (deps.subjectKeyOf(id) !== person.subjectKey) throw bad('mdtrt_cert_no is not the person of this encounter');
    return { mdtrt_cert_type: '02', mdtrt_cert_no: id, id_masked: person.idMasked };
  }

  function payloadOf(env: Envelope, institution: InstitutionRow, read: Read) {
    const e = read.e!;
    const p = read.p! as PersonJson & { subject_key: string; id_masked: string };
    if (!read.lines || read.lines.length === 0)
      throw new AppError('INSURANCE_ENCOUNTER_STATE', { mdtrtId: e.mdtrt_id, state: '无费用明细', action: '结算' });
    return {
      ...patientOf(env, { subjectKey: p.subject_key, idMasked: p.id_masked }),
      mdtrt_id: e.mdtrt_id,
      fixmedins_code: institution.code,
      hosp_lv: institution.level,
      mdtrtarea_admvs: institution.region,
      med_type: e.med_type,
      begntime: e.begin_date,
      emergency: e.emergency,
      acct_used_flag: env.input.acct_used_flag === '0' ? '0' : '1',
      feedetail: read.lines.map((l) => [l[0], l[1], l[2], Number(l[3]), Number(l[4]), l[5] === null ? null : Number(l[5])]),
    };
  }

  /** The encounter as read, checked: this institution's, open, its person active and insured where the envelope says. */
  function checked(read: Read | null, institution: InstitutionRow, env: Envelope, mdtrtId: string, action: string): Read {
    if (!read?.e) throw new AppError('NOT_FOUND', { what: 'encounter' });
    if (read.e.institution_code !== institution.code) throw new AppError('INSURANCE_OTHER_INSTITUTION', { mdtrtId });
    if (read.e.status !== 'open') throw new AppError('INSURANCE_ENCOUNTER_STATE', { mdtrtId, state: '已结算', action });
    const p = read.p;
    if (!p || p.status !== 'active')
      throw new AppError('INSURANCE_NOT_INSURED', {
        reason: { zh: `参保状态为${p?.status ?? '无'}`, en: `coverage is ${p?.status ?? 'none'}` },
      });
    if (p.region !== env.insuplc_admdvs) throw bad('insuplc_admdvs is not the person’s place of insurance');
    return read;
  }

  /** What A sent B must still be what A holds when it writes (the lines, the state, the pre-settlement). */
  const sameState = (a: Read, b: Read | null) =>
    b?.e !== null &&
    b?.e !== undefined &&
    a.e!.status === b.e.status &&
    a.e!.presettle_digest === b.e.presettle_digest &&
    JSON.stringify(a.lines) === JSON.stringify(b.lines) &&
    a.p!.region === b.p?.region;

  const changed = () =>
    new AppError('INSURANCE_SETTLEMENT_MISMATCH', {
      detail: { zh: '结算过程中就诊或费用明细有变化', en: 'the encounter or its fee lines changed during the settlement' },
    });

  type Inner = (tx: Tx, answer: Answer) => Promise<void>;

  async function presettle(institution: InstitutionRow, env: Envelope, requestDigest: string, inTx?: Inner): Promise<Answer> {
    const mdtrtId = text(env.input, 'mdtrt_id', /^.{1,60}$/);
    const read = checked(await ws.settleRead(db, mdtrtId, env.msgid), institution, env, mdtrtId, '预结算');
    const payload = payloadOf(env, institution, read);
    const id = callIdOf(PRESETTLE_TYPE, institution, env.msgid);
    const reply = await ask(env.insuplc_admdvs, PRESETTLE_TYPE, id, payload);
    const { s, digest } = settlementOf(reply.result, read.lines!, env.insuplc_admdvs);
    const out = answer({ mdtrt_id: mdtrtId, ...explainedAnswer(s, new Map(read.lines!.map((l) => [l[0], l[6]]))) });
    return db.transaction(async (tx) => {
      await ws.lockEncounter(tx, mdtrtId);
      const again = await ws.settleRead(tx, mdtrtId, env.msgid);
      if (again?.prior) return answered(again.prior, institution, env, requestDigest);
      if (!sameState(read, again)) throw changed();
      const message = messageRow(env, institution, requestDigest, out);
      if (!(await ws.presettleWrite(tx, mdtrtId, digest, s.totalFen, stateOf(again!), message, false))) throw changed();
      await reply.record(tx);
      await inTx?.(tx, out);
      return out;
    });
  }

  async function settleHere(institution: InstitutionRow, env: Envelope, requestDigest: string, inTx?: Inner): Promise<Answer> {
    const input = env.input;
    const mdtrtId = text(input, 'mdtrt_id', /^.{1,60}$/);
    const read = checked(await ws.settleRead(db, mdtrtId, env.msgid), institution, env, mdtrtId, '结算');
    const e = read.e!;
    if (e.presettle_digest === null)
      throw new AppError('INSURANCE_SETTLEMENT_MISMATCH', { detail: { zh: '没有有效的预结算', en: 'no valid pre-settlement' } });
    const claimed = input.medfee_sumamt;
    if (typeof claimed !== 'number' || claimed !== Number(e.presettle_total_fen))
      throw new AppError('INSURANCE_SETTLEMENT_MISMATCH', {
        detail: { zh: '医疗费总额与预结算不同', en: 'the total differs from the pre-settlement’s' },
      });
    const payload = { ...payloadOf(env, institution, read), expect: e.presettle_digest };
    const id = callIdOf(SETTLE_TYPE, institution, env.msgid);
    // Recorded before B is asked: a settlement B commits and this node never does is found and withdrawn.
    await orphans.intend({
      callId: id,
      institutionCode: institution.code,
      msgid: env.msgid,
      requestDigest,
      mdtrtId,
      region: env.insuplc_admdvs,
    });
    const reply = await ask(env.insuplc_admdvs, SETTLE_TYPE, id, payload).catch(async (error: unknown) => {
      // B's verified refusal of the settlement (its transaction rolled back), or no node to ask: B holds no
      // settlement of this call. Unreachable, or a refusal of the message itself (FEDERATION_*): B may have settled.
      if (error instanceof AppError && error.code.startsWith('INSURANCE_') && error.code !== 'INSURANCE_REMOTE_UNAVAILABLE')
        await orphans.refused(id);
      throw error;
    });
    const { s, digest } = settlementOf(reply.result, read.lines!, env.insuplc_admdvs);
    if (digest !== e.presettle_digest)
      throw new AppError('INSURANCE_SETTLEMENT_MISMATCH', {
        detail: { zh: '参保地的结算与预结算不同', en: 'the place of insurance settled otherwise than it pre-settled' },
      });
    const p = read.p!;
    const year = Number(e.begin_date.slice(0, 4));
    const inpatient = INPATIENT.has(e.med_type);
    const names = new Map(read.lines!.map((l) => [l[0], l[6]]));
    return db.transaction(async (tx) => {
      await ws.lockEncounter(tx, mdtrtId);
      const again = await ws.settleRead(tx, mdtrtId, env.msgid);
      if (again?.prior) return answered(again.prior, institution, env, requestDigest);
      if (!sameState(read, again)) throw changed();
      const now = clock();
      const setlId =
        `${institution.code.slice(1)}${now.getTime().toString(36)}${randomUUID().replaceAll('-', '').slice(0, 8)}`.toUpperCase();
      const leaf = JSON.stringify({
        kind: SETTLEMENT_LEAF,
        event: 'settled',
        setl_id: setlId,
        institution: institution.code,
        person: sha256(`psn:${p.psn_no}`),
        settlement: digest,
        placeOfInsurance: reply.id,
        at: now.toISOString(),
      });
      const out = answer({ setl_id: setlId, mdtrt_id: mdtrtId, setl_time: now.toISOString(), ...explainedAnswer(s, names) });
      const y = again!.y;
      // The person's account is at the place of insurance (B paid it): this node's copy moves by none of it.
      const written = await ws.settleWrite(
        tx,
        {
          mdtrtId,
          digest,
          psnNo: p.psn_no,
          year,
          before: {
            deductibleUsedFen: Number(y?.deductible_used_fen ?? 0),
            fundPaidFen: Number(y?.fund_paid_fen ?? 0),
            stays: Number(y?.stays ?? 0),
            accountBalanceFen: null,
          },
          deductibleFen: s.deductibleFen,
          hifpPayFen: s.hifpPayFen,
          acctPayFen: s.acctPayFen,
          accountDeltaFen: 0,
          stay: inpatient,
          at: now,
          setlId,
          institutionCode: institution.code,
          treatmentRegion: env.mdtrtarea_admvs,
          insuranceRegion: p.region,
          policyVersion: s.why[0]?.policy ?? '',
          totalFen: s.totalFen,
          inscpFen: s.inscpFen,
          cashPayFen: s.cashPayFen,
          result: JSON.stringify(compactSettlement(s)),
          list: null,
          msgid: env.msgid,
          day: chinaDay(now),
          event: { topic: SETTLED_TOPIC, payload: { setlId } },
        },
        messageRow(env, institution, requestDigest, out),
        { kind: SETTLEMENT_LEAF, data: encoder.encode(leaf) },
      );
      if (!written) throw changed();
      await orphans.settled(tx, id);
      await reply.record(tx);
      await inTx?.(tx, out);
      return out;
    });
  }

  async function cancel(institution: InstitutionRow, env: Envelope, requestDigest: string, inTx?: Inner): Promise<Answer> {
    const setlId = text(env.input, 'setl_id', /^.{1,60}$/);
    const [setl] = await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, setlId));
    if (!setl) throw new AppError('NOT_FOUND', { what: 'settlement' });
    if (setl.institutionCode !== institution.code) throw new AppError('INSURANCE_OTHER_INSTITUTION', { mdtrtId: setl.mdtrtId });
    if (setl.status !== 'settled')
      throw new AppError('INSURANCE_ENCOUNTER_STATE', { mdtrtId: setl.mdtrtId, state: '已撤销', action: '撤销结算' });
    const ref = callIdOf(SETTLE_TYPE, institution, setl.msgid);
    const [person] = await db
      .select({ subjectKey: insurancePersons.subjectKey, idMasked: insurancePersons.idMasked })
      .from(insurancePersons)
      .where(eq(insurancePersons.psnNo, setl.psnNo));
    if (!person) throw new AppError('NOT_FOUND', { what: 'insuredPerson' });
    const reply = await ask(setl.insuranceRegion, CANCEL_TYPE, callIdOf(CANCEL_TYPE, institution, env.msgid), {
      ref,
      mdtrt_id: setl.mdtrtId,
      ...patientOf(env, person),
    });
    return db.transaction(async (tx) => {
      const [locked] = await tx.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, setlId)).for('update');
      // Read after the lock: the same msgid racing in answers from the one that committed.
      const prior = await ws.prior(tx, env.msgid);
      if (prior) return answered(prior, institution, env, requestDigest);
      if (locked?.status !== 'settled') throw changed();
      const now = clock();
      const leaf = JSON.stringify({
        kind: SETTLEMENT_LEAF,
        event: 'cancelled',
        setl_id: setlId,
        institution: institution.code,
        at: now.toISOString(),
      });
      await deps.ledger.appendInTx(tx, { kind: SETTLEMENT_LEAF, data: encoder.encode(leaf) });
      await tx
        .update(insuranceSettlements)
        .set({ status: 'cancelled', cancelledAt: now, cancelMsgid: env.msgid })
        .where(eq(insuranceSettlements.setlId, setlId));
      // As settled here: the deductible, the fund and the stay; the account is the place of insurance's.
      await takeBackParts(tx, setl, now, false);
      await tx
        .update(insuranceEncounters)
        .set({ status: 'open', presettleDigest: null, presettleTotalFen: null })
        .where(eq(insuranceEncounters.mdtrtId, setl.mdtrtId));
      await deps.events.enqueue(tx, { topic: 'insurance.cancelled', payload: { setlId, how: 'cancelled' } });
      const out = answer({ setl_id: setlId, mdtrt_id: setl.mdtrtId, status: 'cancelled' });
      await tx.insert(insuranceMessages).values({
        msgid: env.msgid,
        institutionCode: institution.code,
        infno: env.infno,
        requestDigest,
        response: JSON.stringify(out),
        createdAt: now,
      });
      await reply.record(tx);
      await inTx?.(tx, out);
      return out;
    });
  }

  return {
    handles,
    /** A's side: 2303, 2304 or 2305 of a person insured in another province, through that province's node. */
    async handle(institution: InstitutionRow, env: Envelope, requestDigest: string, inTx?: Inner): Promise<Answer> {
      const prior = await ws.prior(db, env.msgid);
      if (prior) return answered(prior, institution, env, requestDigest);
      await reference.ready();
      if (env.infno === '2303') return presettle(institution, env, requestDigest, inTx);
      if (env.infno === '2304') return settleHere(institution, env, requestDigest, inTx);
      if (env.infno === '2305') return cancel(institution, env, requestDigest, inTx);
      throw new AppError('INSURANCE_REVERSAL_REFUSED', {
        reason: {
          zh: '跨省结算不能冲正，请用 2305 撤销（同一 msgid 重试 2304 只结算一次）',
          en: 'a cross-province settlement is not reversed; cancel it with 2305 (a 2304 retried with its msgid settles once)',
        },
      });
    },
    /** A's reconciliation of settlements B committed and this node never did (cross-province-orphans.ts); the background runs it. */
    reconcileOrphans: (onError?: (error: unknown, callId: string) => void) => orphans.reconcile(onError),
    /** The intents still open at this node (pending, abandoning), the longest unchanged first (the office's list). */
    openIntents: (limit: number) => orphans.open(limit),
    /** The office's 立即重试 of one intent, as its access check read it (cross-province-orphans.ts `retryNow`); the leaf says who asked. */
    retryIntent: (...args: Parameters<typeof orphans.retryNow>) => orphans.retryNow(...args),
    /** B's side: the message types this node answers as a place of insurance (registered in app.ts). */
    messageTypes: [presettleType, settleType, cancelType],
  };
}

export type CrossProvince = ReturnType<typeof createCrossProvince>;
