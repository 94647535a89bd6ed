import { and, desc, eq, lt, or } from 'drizzle-orm';
import { AppError, notFound } from '../../core/errors.ts';
import { can, requireResidentScope, type Principal } from '../identity/index.ts';
import { createInsuranceContext, type InsuranceDeps } from './insurance-context.ts';
import {
  insuranceCatalogue,
  insuranceFilings,
  insuranceInstitutions,
  insurancePersonHistory,
  insurancePersons,
  insurancePolicies,
  insuranceSettlements,
  insuranceYearTotals,
} from './insurance.tables.ts';
import { filingHandler } from './filings.ts';
import { createInsuranceRegistry } from './persons.ts';
import { createReferenceData } from './reference-data.ts';
import { createStatements } from './statement.ts';
import { createClearing } from './clearing.ts';
import { expandSettlement } from './settlement.ts';
import { createTransactions, settlementFields } from './transactions.ts';
import { createCrossProvince } from './cross-province.ts';
import { createRemotePersons } from './cross-province-person.ts';
import { insuranceRemoteIntents } from './cross-province.tables.ts';
import { createInsuranceWindow } from './window.ts';
import { nextStepAt, type Intent } from './cross-province-orphans.ts';
import { placeName } from '../catalog/index.ts';

type SettlementRow = typeof insuranceSettlements.$inferSelect;

/** How many open intents the office's list reads (the longest unchanged first) and shows of its regions. */
const OPEN_INTENTS_READ = 2_000;
const OPEN_INTENTS_SHOWN = 200;

/** What a resident or the insurance office sees of a settlement: the parts, each line and why. */
function settlementView(s: SettlementRow, institutionName: string | null) {
  const result = expandSettlement(s.result);
  return {
    setlId: s.setlId,
    mdtrtId: s.mdtrtId,
    institutionCode: s.institutionCode,
    institutionName,
    treatmentRegion: s.treatmentRegion,
    insuranceRegion: s.insuranceRegion,
    status: s.status,
    policyVersion: s.policyVersion,
    settledAt: s.settledAt.toISOString(),
    cancelledAt: s.cancelledAt?.toISOString() ?? null,
    certificateId: s.certificateId,
    amounts: settlementFields(result),
    why: result.why,
    lines: result.lines,
  };
}

export type SettlementView = ReturnType<typeof settlementView>;

/** The medical insurance module's services: the hospital interface, the resident's coverage and settlements, the insurance office's views. */
export function createInsuranceService(deps: InsuranceDeps) {
  const ctx = createInsuranceContext(deps);
  const { db } = ctx;
  const reference = createReferenceData(db, ctx.clock, deps.referenceTtlMs);
  const crossProvince = createCrossProvince(ctx, reference);
  const remotePersons = createRemotePersons(ctx);
  const transactions = createTransactions(ctx, reference, crossProvince, remotePersons);
  // The interface key is read once per process (a rotation takes a restart, like the seal keys' caches).
  let interfaceKey: ReturnType<InsuranceDeps['interfaceSigner']> | null = null;

  async function personOfResident(principal: Principal) {
    const accountId = requireResidentScope(principal, 'applications.view');
    const residentId = await deps.residents.revealResidentId(accountId);
    const [p] = await db
      .select()
      .from(insurancePersons)
      .where(
        residentId
          ? or(eq(insurancePersons.accountId, accountId), eq(insurancePersons.subjectKey, deps.subjectKeyOf(residentId)))
          : eq(insurancePersons.accountId, accountId),
      );
    return p ?? null;
  }

  /** The pooling regions whose office the caller may act for with `action` (`insurance.view` unless said). */
  async function visibleRegions(principal: Principal, action: 'insurance.view' | 'insurance.manage' = 'insurance.view'): Promise<string[]> {
    const out: string[] = [];
    for (const r of await reference.regions()) {
      const org = await deps.orgs.byCode(r.officeOrgCode);
      if (org && can(principal, action, { orgPath: org.path })) out.push(r.region);
    }
    return out;
  }

  /** Whether one of `regions` (pooling regions, city level) keeps the institution: its division in the same city. */
  async function keepsInstitution(regions: readonly string[], institutionCode: string): Promise<boolean> {
    const division = (await reference.institution(institutionCode))?.region;
    return division !== undefined && regions.some((r) => r.slice(0, 4) === division.slice(0, 4));
  }

  /** An open cross-province settlement as the office lists it: the call, the hospital, where it is insured, what comes next; no person. */
  async function intentView(i: Intent) {
    return {
      callId: i.callId,
      institutionCode: i.institutionCode,
      institutionName: await institutionName(i.institutionCode),
      mdtrtId: i.mdtrtId,
      msgid: i.msgid,
      insuranceRegion: i.region,
      insuranceRegionName: placeName(i.region),
      state: i.state as 'pending' | 'abandoning',
      createdAt: i.createdAt.toISOString(),
      lastChangedAt: i.updatedAt.toISOString(),
      nextStepAt: nextStepAt(i)?.toISOString() ?? null,
    };
  }

  const statements = createStatements(ctx, reference, { personOfResident, visibleRegions });

  async function institutionName(code: string): Promise<string | null> {
    return (await reference.institution(code))?.nameZh ?? null;
  }

  return {
    reference,
    /** Event handlers the composition root subscribes. */
    handlers: [filingHandler(ctx), ...statements.handlers],
    /** The platform's key that signs the hospital interface's answers. */
    interfaceKey: () =>
      (interfaceKey ??= deps.interfaceSigner().catch((error: unknown) => {
        interfaceKey = null;
        throw error;
      })),
    /** 跨省异地就医结算: the federation message types this node answers as a place of insurance (app.ts registers them). */
    crossProvinceTypes: [...crossProvince.messageTypes, remotePersons.personType],
    /** 跨省结算: settlements the place of insurance committed and this node never did, withdrawn (the background runs it every minute). */
    reconcileCrossProvinceOrphans: crossProvince.reconcileOrphans,
    /** The hospital interface (routes verify the signature first). */
    handleTransaction: transactions.handle,
    /** 医保窗口: a hospital's window clerks act for the patient through the same transactions (window.ts). */
    window: createInsuranceWindow(ctx, reference, transactions.handle, remotePersons),

    /** 我的医保: coverage, history, this year's totals, filings and settlements. */
    async mine(principal: Principal) {
      const p = await personOfResident(principal);
      if (!p) return { insured: false as const };
      const year = Number(ctx.clock().toISOString().slice(0, 4));
      const [history, [totals], filings, settlements] = await Promise.all([
        db.select().from(insurancePersonHistory).where(eq(insurancePersonHistory.psnNo, p.psnNo)).orderBy(insurancePersonHistory.fromDate),
        db
          .select()
          .from(insuranceYearTotals)
          .where(and(eq(insuranceYearTotals.psnNo, p.psnNo), eq(insuranceYearTotals.year, year))),
        db.select().from(insuranceFilings).where(eq(insuranceFilings.psnNo, p.psnNo)).orderBy(desc(insuranceFilings.startDate)),
        db
          .select()
          .from(insuranceSettlements)
          .where(eq(insuranceSettlements.psnNo, p.psnNo))
          .orderBy(desc(insuranceSettlements.settledAt))
          .limit(50),
      ]);
      const region = await reference.region(p.region);
      return {
        insured: true as const,
        psnNo: p.psnNo,
        name: p.name,
        idMasked: p.idMasked,
        scheme: p.scheme,
        region: p.region,
        regionName: region?.nameZh ?? null,
        status: p.status,
        accountBalanceFen: p.accountBalanceFen,
        history: history.map((h) => ({ fromDate: h.fromDate, scheme: h.scheme, region: h.region, status: h.status, reason: h.reason })),
        year: {
          year,
          deductibleUsedFen: totals?.deductibleUsedFen ?? 0,
          fundPaidFen: totals?.fundPaidFen ?? 0,
          accountPaidFen: totals?.accountPaidFen ?? 0,
          stays: totals?.stays ?? 0,
        },
        filings: filings.map((f) => ({ id: f.id, kind: f.kind, destination: f.destination, startDate: f.startDate, endDate: f.endDate })),
        settlements: await Promise.all(settlements.map(async (s) => settlementView(s, await institutionName(s.institutionCode)))),
      };
    },

    /** One settlement: the resident's own, or one of a region the caller's office keeps. */
    async settlement(principal: Principal, setlId: string): Promise<SettlementView> {
      const [s] = await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, setlId));
      if (!s) throw new AppError('NOT_FOUND', { what: 'settlement' });
      if (principal.kind === 'staff' || principal.kind === 'system') {
        if (!(await visibleRegions(principal)).includes(s.insuranceRegion)) throw new AppError('NOT_FOUND', { what: 'settlement' });
      } else {
        const p = await personOfResident(principal);
        if (!p || p.psnNo !== s.psnNo) throw new AppError('NOT_FOUND', { what: 'settlement' });
      }
      return settlementView(s, await institutionName(s.institutionCode));
    },

    /** The settlements of the caller's regions, newest first (staff with insurance.view). */
    async settlements(principal: Principal, query: { before?: string; limit?: number }) {
      const regions = await visibleRegions(principal);
      if (regions.length === 0) throw new AppError('FORBIDDEN');
      const limit = Math.min(query.limit ?? 50, 200);
      const rows = await db
        .select()
        .from(insuranceSettlements)
        .where(
          and(
            or(...regions.map((r) => eq(insuranceSettlements.insuranceRegion, r))),
            query.before ? lt(insuranceSettlements.settledAt, new Date(query.before)) : undefined,
          ),
        )
        .orderBy(desc(insuranceSettlements.settledAt))
        .limit(limit);
      return Promise.all(rows.map(async (s) => settlementView(s, await institutionName(s.institutionCode))));
    },

    /**
     * 跨省在途结算: the cross-province settlements of the caller's regions' hospitals that this node
     * asked a place of insurance for and has not closed (cross-province-orphans.ts), the longest
     * unchanged first: `pending` ones are withdrawn at `nextStepAt` unless the hospital retries;
     * `abandoning` ones wait for their place of insurance to take theirs back.
     */
    async openCrossProvince(principal: Principal) {
      const regions = await visibleRegions(principal);
      if (regions.length === 0) throw new AppError('FORBIDDEN');
      const mine: Intent[] = [];
      for (const i of await crossProvince.openIntents(OPEN_INTENTS_READ))
        if (await keepsInstitution(regions, i.institutionCode)) mine.push(i);
      const items = await Promise.all(mine.slice(0, OPEN_INTENTS_SHOWN).map(intentView));
      return {
        pending: mine.filter((i) => i.state === 'pending').length,
        abandoning: mine.filter((i) => i.state === 'abandoning').length,
        items,
      };
    },

    /**
     * 立即重试: an open cross-province settlement's next step now (its place of insurance asked to take
     * it back), for staff with `insurance.manage` at the hospital's region; who asked goes to the
     * ledger with the outcome. `reached: false` when the place of insurance still cannot be reached.
     */
    async retryCrossProvince(principal: Principal, callId: string) {
      const regions = await visibleRegions(principal, 'insurance.manage');
      if (regions.length === 0) throw new AppError('FORBIDDEN');
      const [intent] = await db.select().from(insuranceRemoteIntents).where(eq(insuranceRemoteIntents.callId, callId));
      if (!intent || !(await keepsInstitution(regions, intent.institutionCode))) throw notFound('remoteSettlement');
      const outcome = await crossProvince.retryIntent(intent, {
        event: 'withdrawal-asked-by-office',
        call: callId,
        institution: intent.institutionCode,
        placeOfInsurance: intent.region,
        by: principal.accountId,
        at: ctx.clock().toISOString(),
      });
      return { callId, state: outcome.state, reached: outcome.reached, nextStepAt: outcome.nextStepAt?.toISOString() ?? null };
    },

    /** 结算单: the sealed statement's PDF, for the insured person or the region's office. */
    statementPdf: statements.statementPdf,

    /** Every version of the policies of the caller's regions. */
    async policies(principal: Principal) {
      const regions = await visibleRegions(principal);
      if (regions.length === 0) throw new AppError('FORBIDDEN');
      const rows = await db.select().from(insurancePolicies).orderBy(insurancePolicies.region, desc(insurancePolicies.effectiveFrom));
      return rows
        .filter((r) => regions.includes(r.region))
        .map((r) => ({ ...r.data, createdAt: r.createdAt.toISOString(), createdBy: r.createdBy }));
    },

    /** Designated institutions (public data: code, name, level, division). */
    async institutions() {
      const rows = await db.select().from(insuranceInstitutions).orderBy(insuranceInstitutions.code);
      return rows.map((r) => ({
        code: r.code,
        nameZh: r.nameZh,
        nameEn: r.nameEn,
        level: r.level,
        region: r.region,
        status: r.status,
        keyId: r.keyId,
      }));
    },

    /** The catalogue of a province of treatment (public data). */
    async catalogue(region: string) {
      const rows = await db
        .select()
        .from(insuranceCatalogue)
        .where(eq(insuranceCatalogue.region, region))
        .orderBy(insuranceCatalogue.kind, insuranceCatalogue.code);
      return rows.map((r) => ({
        code: r.code,
        kind: r.kind,
        nameZh: r.nameZh,
        nameEn: r.nameEn,
        unit: r.unit,
        itemClass: r.itemClass,
        priceLimitFen: r.priceLimitFen,
        maxPriceFen: r.maxPriceFen,
        effectiveFrom: r.effectiveFrom,
        effectiveTo: r.effectiveTo,
      }));
    },
  };
}

export type InsuranceService = ReturnType<typeof createInsuranceService>;

/** The registry (enrolment, institutions): seed, demo and CLI only, never handed to a route. */
export function createInsuranceAdmin(deps: InsuranceDeps) {
  const ctx = createInsuranceContext(deps);
  return { ...createInsuranceRegistry(ctx), ...createClearing(ctx, createReferenceData(ctx.db, ctx.clock, deps.referenceTtlMs)) };
}

export type InsuranceAdmin = ReturnType<typeof createInsuranceAdmin>;
