/**
 * The insurance office's policy work: publishing a new dated version of a place of insurance's
 * policy (the previous one closes the day before), a dry run of a proposed version over last
 * month's settlements (nothing written), and the month's clearing rows. Access first: staff of
 * the pooling region's bureau, `insurance.manage` to publish and dry-run, `insurance.view` to read.
 */
import { Value } from '@sinclair/typebox/value';
import { and, desc, eq, gte, inArray, lt, lte } from 'drizzle-orm';
import { AppError } from '../../core/errors.ts';
import type { Db } from '../../db/database.ts';
import { canonicalJson } from '../../verify/document.ts';
import { can, type Principal, type StaffAction } from '../identity/index.ts';
import type { LedgerService } from '../ledger/index.ts';
import type { OrgsService } from '../orgs/index.ts';
import { chinaDay } from './insurance-context.ts';
import {
  insuranceClearings,
  insuranceEncounters,
  insuranceFeeLines,
  insurancePersons,
  insurancePolicies,
  insuranceSettlements,
} from './insurance.tables.ts';
import { PolicyProposalSchema, type DryRun, type PolicyProposal } from './policy-admin.schemas.ts';
import { resolvePolicy, type RegionPolicy } from './policies.ts';
import type { ReferenceData } from './reference-data.ts';
import { settle, type FeeLine } from './settlement.ts';

export const POLICY_LEAF = 'insurance.policy';
const INPATIENT = new Set(['21', '52']);
/** How many of the largest changes a dry run lists. */
const TOP_CHANGES = 10;

export interface PolicyAdminDeps {
  db: Db;
  ledger: Pick<LedgerService, 'appendInTx'>;
  orgs: Pick<OrgsService, 'byCode'>;
  reference: Pick<ReferenceData, 'regions' | 'region' | 'institution' | 'clear'>;
  clock?: () => Date;
}

type Words = { zh: string; en: string };
const invalid = (detail: Words) => new AppError('VALIDATION_FAILED', { detail });

/** The day before an ISO date. */
function dayBefore(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

function isRealDate(date: string): boolean {
  const d = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === date;
}

/** The month before the China date's month: 2026-12-06 → 2026-11. */
function previousMonth(day: string): string {
  const [y, m] = [Number(day.slice(0, 4)), Number(day.slice(5, 7))];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

function monthRange(month: string): { from: string; to: string } {
  const [y, m] = [Number(month.slice(0, 4)), Number(month.slice(5, 7))];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}

/** Checks the shape (integer fen, per mille 0..1000) with a message naming the first bad field. */
function checkShape(policy: unknown): asserts policy is PolicyProposal {
  if (Value.Check(PolicyProposalSchema, policy)) return;
  const first = [...Value.Errors(PolicyProposalSchema, policy)][0];
  const field = first?.path.replace(/^\//, '').replaceAll('/', '.') || '(policy)';
  throw invalid({ zh: `政策字段 ${field} 有误：${first?.message ?? ''}`, en: `policy field ${field}: ${first?.message ?? 'invalid'}` });
}

export function createPolicyAdmin(deps: PolicyAdminDeps) {
  const { db, reference } = deps;
  const clock = deps.clock ?? (() => new Date());

  /** The region if the caller may do `action` for its bureau (403 otherwise: the regions and their policies are public documents). */
  async function requireRegion(principal: Principal, region: string, action: StaffAction) {
    const row = await reference.region(region);
    const org = row ? await deps.orgs.byCode(row.officeOrgCode) : null;
    if (!row || !org) throw new AppError('NOT_FOUND', { what: 'insurancePolicy' });
    if (!can(principal, action, { orgPath: org.path })) throw new AppError('FORBIDDEN');
    return row;
  }

  async function regionsFor(principal: Principal, action: StaffAction): Promise<string[]> {
    const out: string[] = [];
    for (const r of await reference.regions()) {
      const org = await deps.orgs.byCode(r.officeOrgCode);
      if (org && can(principal, action, { orgPath: org.path })) out.push(r.region);
    }
    return out;
  }

  /** The checks a version passes before it is dry-run or published. */
  async function checkProposal(policy: unknown): Promise<PolicyProposal> {
    checkShape(policy);
    if (!isRealDate(policy.effectiveFrom))
      throw invalid({ zh: `施行日期 ${policy.effectiveFrom} 不是有效日期`, en: `effectiveFrom ${policy.effectiveFrom} is not a date` });
    return policy;
  }

  function asRegionPolicy(p: PolicyProposal, effectiveTo: string | null = null): RegionPolicy {
    return { ...p, effectiveTo };
  }

  return {
    /**
     * Publishes a new version: later than the region's newest version and not in the past; the
     * newest closes the day before. The version row, the closing and a ledger leaf in one
     * transaction; then this process's reference cache is cleared.
     */
    async publish(principal: Principal, input: unknown) {
      checkShape(input);
      await requireRegion(principal, input.region, 'insurance.manage');
      const p = await checkProposal(input);
      const today = chinaDay(clock());
      if (p.effectiveFrom < today)
        throw invalid({
          zh: `施行日期 ${p.effectiveFrom} 早于今天（${today}）：新版本不能追溯适用`,
          en: `effectiveFrom ${p.effectiveFrom} is before today (${today}): a new version cannot apply backwards`,
        });
      const result = await db.transaction(async (tx) => {
        const [current] = await tx
          .select()
          .from(insurancePolicies)
          .where(eq(insurancePolicies.region, p.region))
          .orderBy(desc(insurancePolicies.effectiveFrom))
          .limit(1)
          .for('update');
        if (current && p.effectiveFrom <= current.effectiveFrom)
          throw invalid({
            zh: `施行日期 ${p.effectiveFrom} 须晚于现行版本 ${current.version} 的施行日期 ${current.effectiveFrom}`,
            en: `effectiveFrom ${p.effectiveFrom} must be later than that of the current version ${current.version} (${current.effectiveFrom})`,
          });
        const [same] = await tx
          .select({ version: insurancePolicies.version })
          .from(insurancePolicies)
          .where(and(eq(insurancePolicies.region, p.region), eq(insurancePolicies.version, p.version)));
        if (same)
          throw new AppError('CONFLICT', {
            detail: { zh: `版本 ${p.version} 已存在`, en: `version ${p.version} exists already` },
          });
        const now = clock();
        let closed: { version: string; effectiveTo: string } | null = null;
        if (current && (current.effectiveTo === null || current.effectiveTo >= p.effectiveFrom)) {
          const effectiveTo = dayBefore(p.effectiveFrom);
          await tx
            .update(insurancePolicies)
            .set({ effectiveTo, data: { ...current.data, effectiveTo } })
            .where(and(eq(insurancePolicies.region, current.region), eq(insurancePolicies.version, current.version)));
          closed = { version: current.version, effectiveTo };
        }
        const data = asRegionPolicy(p);
        const leaf = canonicalJson({
          kind: POLICY_LEAF,
          event: 'published',
          region: p.region,
          version: p.version,
          effectiveFrom: p.effectiveFrom,
          policy: data,
          closed,
          by: principal.accountId,
          at: now.toISOString(),
        });
        const { id: ledgerEntryId } = await deps.ledger.appendInTx(tx, { kind: POLICY_LEAF, data: new TextEncoder().encode(leaf) });
        await tx.insert(insurancePolicies).values({
          region: p.region,
          version: p.version,
          effectiveFrom: p.effectiveFrom,
          effectiveTo: null,
          legalBasis: p.legalBasis,
          data,
          createdAt: now,
          createdBy: principal.accountId,
        });
        return { region: p.region, version: p.version, effectiveFrom: p.effectiveFrom, closed, ledgerEntryId };
      });
      reference.clear();
      return result;
    },

    /**
     * The proposed version applied to a month's settlements of the region (last month by
     * default): each stored settlement's lines settled again with settle() under it, from the
     * same year-to-date (the year's totals before that settlement), against what was paid.
     * Nothing is written.
     *
     * The stay number counts the person's inpatient settlements of the year settled before it;
     * the personal account is what it paid then, plus (when it covered all the fund did not) the
     * balance it holds now.
     */
    async dryRun(principal: Principal, input: { policy: unknown; month?: string }): Promise<DryRun> {
      checkShape(input.policy);
      await requireRegion(principal, input.policy.region, 'insurance.manage');
      const p = await checkProposal(input.policy);
      const month = input.month ?? previousMonth(chinaDay(clock()));
      const { from, to } = monthRange(month);
      const rows = await db
        .select({ s: insuranceSettlements, e: insuranceEncounters, person: insurancePersons })
        .from(insuranceSettlements)
        .innerJoin(insuranceEncounters, eq(insuranceEncounters.mdtrtId, insuranceSettlements.mdtrtId))
        .innerJoin(insurancePersons, eq(insurancePersons.psnNo, insuranceSettlements.psnNo))
        .where(
          and(
            eq(insuranceSettlements.insuranceRegion, p.region),
            eq(insuranceSettlements.status, 'settled'),
            gte(insuranceSettlements.day, from),
            lte(insuranceSettlements.day, to),
          ),
        )
        .orderBy(insuranceSettlements.settledAt);
      const lines = rows.length
        ? await db
            .select()
            .from(insuranceFeeLines)
            .where(
              inArray(
                insuranceFeeLines.mdtrtId,
                rows.map((r) => r.e.mdtrtId),
              ),
            )
        : [];
      const byEncounter = new Map<string, FeeLine[]>();
      for (const l of lines) {
        const list = byEncounter.get(l.mdtrtId) ?? [];
        list.push({
          id: l.feedetlSn,
          code: l.code,
          itemClass: l.itemClass,
          quantity: l.quantity,
          unitPriceFen: l.unitPriceFen,
          priceLimitFen: l.priceLimitFen,
        });
        byEncounter.set(l.mdtrtId, list);
      }
      const proposed = [asRegionPolicy({ ...p, effectiveFrom: '0000-01-01' })];
      const totals = { fundFen: { then: 0, proposed: 0 }, accountFen: { then: 0, proposed: 0 }, cashFen: { then: 0, proposed: 0 } };
      const changes: DryRun['changes'] = [];
      for (const { s, e, person } of rows) {
        const settledIds = new Set(s.result.lines.map((l) => l.id));
        const feeLines = (byEncounter.get(e.mdtrtId) ?? []).filter((l) => settledIds.has(l.id));
        const inpatient = INPATIENT.has(e.medType);
        const stayNumber = inpatient ? (await staysBefore(s.psnNo, s.year, s.settledAt)) + 1 : 1;
        const level = (await reference.institution(s.institutionCode))?.level ?? 3;
        let policy = resolvePolicy(proposed, {
          region: p.region,
          scheme: person.scheme,
          level,
          where: e.where,
          filed: e.filed,
          emergency: e.emergency,
          stayNumber,
          date: e.beginDate,
        });
        const year = {
          deductibleUsedFen: s.result.yearAfter.deductibleUsedFen - s.deductibleFen,
          fundPaidFen: s.result.yearAfter.fundPaidFen - s.hifpPayFen,
        };
        if (!inpatient) policy = { ...policy, deductibleFen: Math.max(0, policy.deductibleFen - year.deductibleUsedFen) };
        const accountCoveredRest = s.acctPayFen > 0 && s.acctPayFen === s.totalFen - s.hifpPayFen;
        const balance = s.acctPayFen + (accountCoveredRest ? person.accountBalanceFen : 0);
        const again = settle(feeLines, policy, year, balance);
        totals.fundFen.then += s.hifpPayFen;
        totals.fundFen.proposed += again.hifpPayFen;
        totals.accountFen.then += s.acctPayFen;
        totals.accountFen.proposed += again.acctPayFen;
        totals.cashFen.then += s.cashPayFen;
        totals.cashFen.proposed += again.cashPayFen;
        changes.push({
          setlId: s.setlId,
          institutionCode: s.institutionCode,
          day: s.day,
          policyVersion: s.policyVersion,
          totalFen: s.totalFen,
          fundThenFen: s.hifpPayFen,
          fundProposedFen: again.hifpPayFen,
          cashThenFen: s.cashPayFen,
          cashProposedFen: again.cashPayFen,
        });
      }
      changes.sort((a, b) => Math.abs(b.fundProposedFen - b.fundThenFen) - Math.abs(a.fundProposedFen - a.fundThenFen));
      return {
        region: p.region,
        month,
        version: `${p.region}-${p.version}`,
        count: rows.length,
        ...totals,
        changes: changes.slice(0, TOP_CHANGES),
      };
    },

    /** The clearing rows of a month (every month when none is given) whose place of insurance or treatment is one of the caller's regions. */
    async clearings(principal: Principal, query: { month?: string }) {
      const regions = await regionsFor(principal, 'insurance.view');
      if (regions.length === 0) throw new AppError('FORBIDDEN');
      const rows = await db
        .select()
        .from(insuranceClearings)
        .where(query.month ? eq(insuranceClearings.month, query.month) : undefined)
        .orderBy(desc(insuranceClearings.month), insuranceClearings.insuranceRegion, insuranceClearings.treatmentRegion);
      const mine = (code: string) => regions.some((r) => code === r || code.slice(0, 4) === r.slice(0, 4));
      return rows
        .filter((r) => mine(r.insuranceRegion) || mine(r.treatmentRegion))
        .map((r) => ({ ...r, certificateId: r.certificateId, createdAt: r.createdAt.toISOString() }));
    },
  };

  async function staysBefore(psnNo: string, year: number, before: Date): Promise<number> {
    const rows = await db
      .select({ setlId: insuranceSettlements.setlId })
      .from(insuranceSettlements)
      .where(
        and(
          eq(insuranceSettlements.psnNo, psnNo),
          eq(insuranceSettlements.year, year),
          eq(insuranceSettlements.status, 'settled'),
          eq(insuranceSettlements.countsStay, true),
          lt(insuranceSettlements.settledAt, before),
        ),
      );
    return rows.length;
  }
}

export type PolicyAdmin = ReturnType<typeof createPolicyAdmin>;
