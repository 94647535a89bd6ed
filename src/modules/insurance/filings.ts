import { eq } from 'drizzle-orm';
import type { EventHandler } from '../events/index.ts';
import { systemPrincipal } from '../identity/index.ts';
import type { InsuranceContext } from './insurance-context.ts';
import { insuranceFilings, insurancePersons, type FilingKind } from './insurance.tables.ts';

/** 异地就医备案 in the service catalogue. */
export const OFFSITE_FILING_SERVICE = 'medsec.offsite_filing';
const KINDS: ReadonlySet<string> = new Set(['long_term_residence', 'temporary', 'emergency']);
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * An approved filing case (decided at once by its rule) becomes the insured person's filing, which
 * the entitlement check (2001) of a hospital in the destination reads. Once per case (unique case id).
 */
export function filingHandler(ctx: InsuranceContext): EventHandler {
  const { db, deps, clock } = ctx;
  return {
    name: 'insurance.record-filing',
    topics: ['case.decided'],
    async handle(event) {
      const { caseId, serviceCode, orgCode, state } = event.payload;
      if (serviceCode !== OFFSITE_FILING_SERVICE || state !== 'approved' || typeof caseId !== 'string' || typeof orgCode !== 'string')
        return;
      const org = await deps.orgs.byCode(orgCode);
      if (!org) return;
      const reader = systemPrincipal({ actor: 'insurance:filing', at: { orgCode: org.code, orgPath: org.path, actions: ['case.view'] } });
      const kase = await deps.applications.getCase(reader, caseId);
      const residentId = await deps.residents.revealResidentId(kase.applicantId);
      if (!residentId) return;
      const [person] = await db
        .select()
        .from(insurancePersons)
        .where(eq(insurancePersons.subjectKey, deps.subjectKeyOf(residentId)));
      const { kind, destination, startDate, endDate } = kase.form;
      if (!person || typeof kind !== 'string' || !KINDS.has(kind) || typeof destination !== 'string' || !/^\d{6}$/.test(destination))
        return;
      if (typeof startDate !== 'string' || !DAY.test(startDate)) return;
      await db
        .insert(insuranceFilings)
        .values({
          psnNo: person.psnNo,
          kind: kind as FilingKind,
          destination,
          startDate,
          endDate: typeof endDate === 'string' && DAY.test(endDate) ? endDate : null,
          caseId,
          createdAt: clock(),
        })
        .onConflictDoNothing();
    },
  };
}
