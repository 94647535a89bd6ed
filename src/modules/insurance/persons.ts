import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { AppError } from '../../core/errors.ts';
import { maskResidentId, parseResidentId } from '../identity/index.ts';
import type { InsuranceContext } from './insurance-context.ts';
import { insuranceInstitutions, insurancePersonHistory, insurancePersons, type InsuredStatus } from './insurance.tables.ts';
import type { Scheme } from './policies.ts';
import { INSTITUTION_CODE } from './envelope.ts';

export interface EnrolInput {
  residentId: string;
  name: string;
  scheme: Scheme;
  /** The place of insurance (a pooling region's division code). */
  region: string;
  fromDate: string;
  /** The employee's personal account on enrolment. */
  accountBalanceFen?: number;
  accountId?: string | null;
}

/** A person as the place of insurance's node answered, keyed under this node's key. */
export interface RemoteCopy {
  subjectKey: string;
  idMasked: string;
  name: string;
  gender: '1' | '2';
  birthDate: string;
  scheme: Scheme;
  region: string;
  status: InsuredStatus;
  fromDate: string;
}

/** The insurance office's registry: enrolment, changes with their history, institutions. Seed, demo and CLI only; never a route's. */
export function createInsuranceRegistry(ctx: InsuranceContext) {
  const { db, deps, clock } = ctx;

  /** 人员编号: the region, then 10 digits from the keyed digest (stable for the person, no ID digits). */
  function psnNoOf(region: string, subjectKey: string): string {
    const digits = BigInt(`0x${Buffer.from(subjectKey).toString('hex').slice(0, 24)}`)
      .toString()
      .padStart(12, '0')
      .slice(-12);
    return `${region}${digits}`;
  }

  return {
    psnNoOf,

    /** Enrols a person, or returns their number when enrolled already (a change goes through `change`). */
    async enrol(input: EnrolInput, executor: Executor = db): Promise<string> {
      const parsed = parseResidentId(input.residentId);
      if (!parsed.ok) throw new AppError('INVALID_RESIDENT_ID', { reason: parsed.problem });
      const subjectKey = deps.subjectKeyOf(parsed.value.id);
      const psnNo = psnNoOf(input.region, subjectKey);
      const now = clock();
      const inserted = await executor
        .insert(insurancePersons)
        .values({
          psnNo,
          subjectKey,
          name: input.name,
          idMasked: maskResidentId(parsed.value.id),
          gender: parsed.value.gender === 'male' ? '1' : '2',
          birthDate: parsed.value.birthDate,
          scheme: input.scheme,
          region: input.region,
          status: 'active',
          accountBalanceFen: input.scheme === 'employee' ? (input.accountBalanceFen ?? 0) : 0,
          accountId: input.accountId ?? null,
          updatedAt: now,
        })
        .onConflictDoNothing()
        .returning({ psnNo: insurancePersons.psnNo });
      if (inserted.length > 0)
        await executor.insert(insurancePersonHistory).values({
          psnNo,
          fromDate: input.fromDate,
          scheme: input.scheme,
          region: input.region,
          status: 'active',
          reason: 'enrolment',
          recordedAt: now,
        });
      const [row] = await executor
        .select({ psnNo: insurancePersons.psnNo })
        .from(insurancePersons)
        .where(eq(insurancePersons.subjectKey, subjectKey));
      return row!.psnNo;
    },

    /**
     * Registers or refreshes this node's copy of a person insured in another province, as that
     * province's node answered (cross-province-person.ts): under this node's key and person number,
     * with no account (the account is the place of insurance's). Every answer marks the copy
     * confirmed now (`confirmedAt`); a change of the name, gender or birth date is taken as it is,
     * a change of scheme, region or status is also kept in the history.
     */
    async registerCopy(executor: Executor, copy: RemoteCopy): Promise<string> {
      const now = clock();
      const fields = { name: copy.name, gender: copy.gender, birthDate: copy.birthDate, scheme: copy.scheme, region: copy.region };
      const [before] = await executor.select().from(insurancePersons).where(eq(insurancePersons.subjectKey, copy.subjectKey)).for('update');
      const psnNo = before?.psnNo ?? psnNoOf(copy.region, copy.subjectKey);
      const same = (a: object, b: object) => Object.entries(a).every(([k, v]) => (b as Record<string, unknown>)[k] === v);
      if (before && same({ ...fields, status: copy.status }, before)) {
        await executor.update(insurancePersons).set({ confirmedAt: now }).where(eq(insurancePersons.psnNo, psnNo));
        return psnNo;
      }
      if (before)
        await executor
          .update(insurancePersons)
          .set({ ...fields, status: copy.status, updatedAt: now, confirmedAt: now })
          .where(eq(insurancePersons.psnNo, psnNo));
      else
        await executor.insert(insurancePersons).values({
          psnNo,
          subjectKey: copy.subjectKey,
          idMasked: copy.idMasked,
          ...fields,
          status: copy.status,
          accountBalanceFen: 0,
          accountId: null,
          updatedAt: now,
          confirmedAt: now,
        });
      if (!before || !same({ scheme: copy.scheme, region: copy.region, status: copy.status }, before))
        await executor.insert(insurancePersonHistory).values({
          psnNo,
          fromDate: copy.fromDate,
          scheme: copy.scheme,
          region: copy.region,
          status: copy.status,
          reason: before ? 'refreshed from the place of insurance' : 'copy from the place of insurance',
          recordedAt: now,
        });
      return psnNo;
    },

    /** A change of scheme, region or status from a date, kept in the history. */
    async change(psnNo: string, change: { scheme?: Scheme; region?: string; status?: InsuredStatus; fromDate: string; reason: string }) {
      await db.transaction(async (tx) => {
        const [p] = await tx.select().from(insurancePersons).where(eq(insurancePersons.psnNo, psnNo)).for('update');
        if (!p) throw new AppError('NOT_FOUND', { what: 'insuredPerson' });
        const next = { scheme: change.scheme ?? p.scheme, region: change.region ?? p.region, status: change.status ?? p.status };
        await tx
          .update(insurancePersons)
          .set({ ...next, updatedAt: clock() })
          .where(eq(insurancePersons.psnNo, psnNo));
        await tx
          .insert(insurancePersonHistory)
          .values({ psnNo, fromDate: change.fromDate, ...next, reason: change.reason, recordedAt: clock() });
      });
    },

    /** Registers a designated institution and the SM2 public key its system signs with (or replaces the key). */
    async registerInstitution(input: {
      code: string;
      nameZh: string;
      nameEn: string;
      level: 1 | 2 | 3;
      region: string;
      keyId: string;
      publicKey: Uint8Array;
      /** The hospital's org (a department of kind 'hospital'), whose window clerks act for it. */
      orgCode?: string;
    }) {
      if (!INSTITUTION_CODE.test(input.code)) throw new AppError('VALIDATION_FAILED', { detail: 'institution code: H and 11 digits' });
      if (!/^\d{6}$/.test(input.region)) throw new AppError('INVALID_DIVISION_CODE', { code: input.region });
      if (input.publicKey.length !== 65 || input.publicKey[0] !== 4)
        throw new AppError('VALIDATION_FAILED', { detail: 'SM2 public key: 65 bytes, 04 ‖ x ‖ y' });
      if (input.orgCode !== undefined) {
        const org = await deps.orgs.byCode(input.orgCode);
        if (!org || org.level !== 'department' || org.departmentKind !== 'hospital')
          throw new AppError('VALIDATION_FAILED', { detail: 'orgCode: a department of kind hospital' });
      }
      const row = { ...input, publicKey: input.publicKey, status: 'active' as const, updatedAt: clock() };
      await db
        .insert(insuranceInstitutions)
        .values(row)
        .onConflictDoUpdate({
          target: insuranceInstitutions.code,
          set: {
            nameZh: row.nameZh,
            nameEn: row.nameEn,
            level: row.level,
            region: row.region,
            keyId: row.keyId,
            publicKey: row.publicKey,
            updatedAt: row.updatedAt,
            ...(input.orgCode !== undefined ? { orgCode: input.orgCode } : {}),
          },
        });
    },
  };
}

export type InsuranceRegistry = ReturnType<typeof createInsuranceRegistry>;
