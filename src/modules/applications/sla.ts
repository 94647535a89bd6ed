import { desc, eq } from 'drizzle-orm';
import { AppError, notFound } from '../../core/errors.ts';
import { can, type Principal } from '../identity/index.ts';
import { caseEscalations, cases } from './applications.tables.ts';
import type { ApplicationsContext } from './context.ts';
import { formatCaseNo } from './context.ts';
import { createSlaEscalation } from './sla-escalation.ts';
import { DEFAULT_LADDER, findLadderFor, parseLadder, upsertLadder, type LadderStep } from './sla-ladders.ts';

export interface LadderView {
  orgCode: string;
  steps: LadderStep[];
  /** The org whose ladder applies here (this one or one above), or null for the default ladder. */
  setAt: string | null;
}

export interface EscalationNotice {
  caseId: string;
  caseNo: string;
  serviceCode: string;
  /** The org handling the case. */
  orgCode: string;
  step: number;
  offset: number;
  levelsUp: number;
  dueDate: string;
  at: string;
}

/** 督办: the escalation ladders of the jurisdictions, the sweep, and what has been escalated to an org. */
export function createSlaFunctions(ctx: ApplicationsContext) {
  const { db, orgs, clock } = ctx;

  async function orgFor(principal: Principal, orgCode: string, allowed: (path: string) => boolean) {
    if (principal.kind !== 'staff' || principal.actingFor) throw new AppError('FORBIDDEN');
    const org = await orgs.getOrg(orgCode.trim());
    if (!org || !allowed(org.path)) throw notFound('org');
    return org;
  }

  return {
    ...createSlaEscalation(ctx),

    /** The ladder that applies to cases handled at an org: its own, the nearest above it, or the default. */
    async getLadder(principal: Principal, orgCode: string): Promise<LadderView> {
      const org = await orgFor(
        principal,
        orgCode,
        (path) => can(principal, 'overview.view', { orgPath: path }) || can(principal, 'sla.manage', { orgPath: path }),
      );
      const ladder = await findLadderFor(db, org.path);
      return { orgCode: org.code, steps: ladder ? ladder.steps : [...DEFAULT_LADDER], setAt: ladder?.orgCode ?? null };
    },

    /** Sets a jurisdiction's ladder (the cases at the org and below, unless an org nearer sets its own). */
    async setLadder(principal: Principal, orgCode: string, steps: unknown): Promise<LadderView> {
      const org = await orgFor(
        principal,
        orgCode,
        (path) => can(principal, 'overview.view', { orgPath: path }) || can(principal, 'sla.manage', { orgPath: path }),
      );
      if (!can(principal, 'sla.manage', { orgPath: org.path })) throw new AppError('FORBIDDEN');
      const ladder = parseLadder(steps);
      await upsertLadder(db, { orgCode: org.code, orgPath: org.path, steps: ladder, updatedBy: principal.accountId, updatedAt: clock() });
      return { orgCode: org.code, steps: ladder, setAt: org.code };
    },

    /** The escalation steps addressed to an org (its reminders, and the overdue cases below it), newest first. */
    async escalationsTo(principal: Principal, orgCode: string, page: { limit?: number } = {}): Promise<EscalationNotice[]> {
      const org = await orgFor(principal, orgCode, (path) => can(principal, 'case.view', { orgPath: path }));
      const limit = Math.min(Math.max(page.limit ?? 50, 1), 200);
      const rows = await db
        .select({ e: caseEscalations, seq: cases.seq, serviceCode: cases.serviceCode, orgCode: cases.orgCode })
        .from(caseEscalations)
        .innerJoin(cases, eq(cases.id, caseEscalations.caseId))
        .where(eq(caseEscalations.toOrgCode, org.code))
        .orderBy(desc(caseEscalations.id))
        .limit(limit);
      return rows.map((r) => ({
        caseId: r.e.caseId,
        caseNo: formatCaseNo(r),
        serviceCode: r.serviceCode,
        orgCode: r.orgCode,
        step: r.e.step,
        offset: r.e.offsetDays,
        levelsUp: r.e.levelsUp,
        dueDate: r.e.dueDate,
        at: r.e.at.toISOString(),
      }));
    },
  };
}
