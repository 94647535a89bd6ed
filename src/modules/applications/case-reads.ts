import { AppError, notFound } from '../../core/errors.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { isUuid } from '../../core/values.ts';
import type { ServiceItem } from '../catalog/index.ts';
import { chinaDate } from '../../core/values.ts';
import { actsForAnOrg, isAdminRole, requireResidentScope, roleCovers, type Principal } from '../identity/index.ts';
import { grantsFor } from '../identity/index.ts';
import type { CaseState } from './applications.tables.ts';
import * as repo from './applications.repository.ts';
import { ACTION_LABELS, type CaseAction } from './case-state.ts';
import { formatCaseNo, type ApplicationsContext, type CaseDetail, type CaseView } from './context.ts';
import { caseClock, clockPauses } from './sla-clock.ts';
import { listCaseEscalations } from './sla-escalation.ts';

export interface QueueInput {
  orgCode: string;
  state?: CaseState;
  overdue?: boolean;
  serviceCode?: string;
  after?: string;
  limit?: number;
}

export interface HelperAct {
  caseId: string;
  caseNo: string;
  serviceName: { zh: string; en: string };
  action: string;
  actionLabel: { zh: string; en: string };
  fromState: string | null;
  toState: string;
  /** The helper's account. */
  helperId: string;
  channel: string;
  at: string;
}

/** Reading cases: one case with its history, the applicant's own, a staff queue, the 代办 record. */
export function createCaseReadFunctions(ctx: ApplicationsContext) {
  const { db, catalog, orgs, residents, clock, view, loadVisible, canView } = ctx;

  return {
    /** The case's org and applicant, if the principal may see it (a 404 otherwise): one read, for other modules' access checks. */
    async getCaseRef(principal: Principal, id: string): Promise<{ id: string; orgCode: string; orgPath: string; applicantId: string }> {
      const row = isUuid(id) ? await repo.findCaseRef(db, id) : undefined;
      if (!row || !canView(principal, row)) throw notFound('case');
      return row;
    },

    async getCase(principal: Principal, id: string): Promise<CaseDetail> {
      const row = await loadVisible(principal, id);
      const ruleDecisions = ctx.deps.ruleDecisions && actsForAnOrg(principal) ? ctx.deps.ruleDecisions.forCase(id) : undefined;
      const [base, item, org, applicant, events, decisions, escalations] = await Promise.all([
        view(row),
        catalog.getItem(row.serviceCode),
        orgs.getOrg(row.orgCode),
        residents.getResidentSummary(row.applicantId),
        repo.listEvents(db, id),
        ruleDecisions,
        listCaseEscalations(db, id),
      ]);
      return {
        ...base,
        orgName: org?.name ?? row.orgCode,
        applicant: applicant ? { name: applicant.name, residentIdMasked: applicant.residentIdMasked } : null,
        events: events.map((e) => ({
          action: e.action,
          fromState: e.fromState,
          toState: e.toState,
          actorId: e.actorId,
          onBehalfOf: e.onBehalfOf,
          channel: e.channel,
          reason: e.reason,
          at: e.at.toISOString(),
        })),
        ...(decisions ? { ruleDecisions: decisions } : {}),
        sla: {
          ...caseClock(row, clock()),
          limitWorkingDays: item?.timeLimitDays ?? null,
          pauses: clockPauses(events, clock()),
          escalations: escalations.map(({ caseId: _, ...e }) => e),
        },
      };
    },

    async listMine(principal: Principal, page: { after?: string; limit?: number }): Promise<{ items: CaseView[]; next: string | null }> {
      const applicantId = requireResidentScope(principal, 'applications.view');
      const limit = page.limit ?? 20;
      const beforeSeq = page.after ? Number(decodeCursor(page.after, 1)[0]) : undefined;
      const rows = await repo.queryApplicantCases(db, { applicantId, beforeSeq, limit });
      const items = await Promise.all(rows.map(view));
      const last = rows.at(-1);
      return { items, next: rows.length === limit && last ? encodeCursor([last.seq]) : null };
    },

    /** A staff queue for one org, or its subtree for administrators, by due date. */
    async queue(principal: Principal, input: QueueInput): Promise<{ items: CaseView[]; next: string | null }> {
      if (principal.kind !== 'staff') throw new AppError('FORBIDDEN');
      const org = await orgs.getOrg(input.orgCode);
      const grants = org ? grantsFor(principal, 'case.view').filter((g) => roleCovers(g, org.path)) : [];
      if (!org || grants.length === 0) throw notFound('org');
      const limit = input.limit ?? 50;
      // Administrators and supervisors see the whole subtree; reviewers and officers their own node.
      const subtree = grants.some((g) => isAdminRole(g.role)) && org.level !== 'village' && org.level !== 'department';
      const after = input.after ? decodeCursor(input.after, 2) : undefined;
      const rows = await repo.queryQueue(db, {
        ...(subtree ? { subtree: { depth: org.path.split('.').length - 1, code: org.code, path: org.path } } : { orgCode: org.code }),
        ...(input.state ? { state: input.state } : {}),
        ...(input.serviceCode ? { serviceCode: input.serviceCode } : {}),
        ...(input.overdue ? { dueBefore: chinaDate(clock()) } : {}),
        ...(after ? { after: { dueDate: String(after[0]), id: String(after[1]) } } : {}),
        limit,
      });
      const items = await Promise.all(rows.map(view));
      const last = rows.at(-1);
      return { items, next: rows.length === limit && last ? encodeCursor([last.dueDate ?? '', last.id]) : null };
    },
    /** 代办记录: what helpers did on the resident's cases on their behalf; the resident themself only. */
    async listHelperActs(principal: Principal, input: { limit?: number } = {}): Promise<HelperAct[]> {
      if (principal.kind !== 'resident') throw new AppError('FORBIDDEN');
      const rows = await repo.listHelperActs(db, principal.accountId, Math.min(Math.max(input.limit ?? 100, 1), 200));
      const items = new Map<string, Promise<ServiceItem | null>>();
      const itemOf = (code: string) => items.get(code) ?? items.set(code, catalog.getItem(code)).get(code)!;
      return Promise.all(
        rows.map(async (r): Promise<HelperAct> => {
          const item = await itemOf(r.serviceCode);
          return {
            caseId: r.caseId,
            caseNo: formatCaseNo(r),
            serviceName: { zh: item?.nameZh ?? r.serviceCode, en: item?.nameEn ?? r.serviceCode },
            action: r.action,
            actionLabel: ACTION_LABELS[r.action as CaseAction] ?? { zh: r.action, en: r.action },
            fromState: r.fromState,
            toState: r.toState,
            helperId: r.actorId,
            channel: r.channel,
            at: r.at.toISOString(),
          };
        }),
      );
    },
  };
}
