import type { BenefitsContext } from './benefits-context.ts';
import type { BenefitRow, GrantRow, PaymentRow } from './benefits.repository.ts';
import type { BenefitGrantView } from './benefits.schemas.ts';

/** Builds decision views with their rule's legal basis (cached by rule version) and payments. */
export function createViews(ctx: BenefitsContext) {
  const basisCache = new Map<string, Awaited<ReturnType<BenefitsContext['deps']['rules']['basisOf']>>>();

  async function basisOf(code: string, version: number) {
    const key = `${code}@${version}`;
    if (!basisCache.has(key)) basisCache.set(key, await ctx.deps.rules.basisOf(code, version));
    return basisCache.get(key) ?? null;
  }

  return async function toView(benefit: BenefitRow, grant: GrantRow, payments: readonly PaymentRow[]): Promise<BenefitGrantView> {
    const basis = await basisOf(grant.trace.rule, grant.trace.version);
    const paidAny = payments.some((p) => p.status === 'sent');
    const live = grant.status === 'granted' || grant.status === 'offered';
    return {
      id: grant.id,
      benefitCode: benefit.code,
      nameZh: benefit.nameZh,
      nameEn: benefit.nameEn,
      mode: benefit.mode,
      schedule: benefit.schedule,
      status: grant.status,
      outcome: grant.outcome,
      amountFen: grant.amountFen,
      payeeMasked: grant.payeeMasked,
      triggeredAt: grant.triggeredAt.toISOString(),
      decidedAt: grant.decidedAt.toISOString(),
      respondedAt: grant.respondedAt?.toISOString() ?? null,
      stoppedAt: grant.stoppedAt?.toISOString() ?? null,
      rule: { code: grant.trace.rule, version: grant.trace.version, hash: grant.trace.hash },
      basis: basis?.legalBasis ?? null,
      why: { failed: grant.trace.failed, missing: grant.trace.missing, unavailable: grant.trace.unavailable },
      inputs: grant.trace.inputs,
      payments: payments
        .filter((p) => p.grantId === grant.id)
        .map((p) => ({ period: p.period, amountFen: p.amountFen, status: p.status, sentAt: p.sentAt?.toISOString() ?? null })),
      caseId: grant.caseId,
      reviewCaseId: grant.reviewCaseId,
      actions: {
        confirm: grant.status === 'offered',
        decline: grant.status === 'offered' || (grant.status === 'granted' && !paidAny && benefit.schedule === 'once'),
        optOut: live && benefit.schedule !== 'once',
        review: grant.status === 'refused' && grant.reviewCaseId === null,
      },
    };
  };
}
