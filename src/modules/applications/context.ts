import type { Static } from '@sinclair/typebox';
import { AppError, notFound } from '../../core/errors.ts';
import { isUuid } from '../../core/values.ts';
import type { Db, Tx } from '../../db/database.ts';
import type { CatalogService, ServiceItem } from '../catalog/index.ts';
import { chinaDate } from '../../core/values.ts';
import type { Channel } from '../catalog/index.ts';
import { actsForAnOrg, onBehalfOf, requireResidentScope, type Principal } from '../identity/index.ts';
import { can } from '../identity/index.ts';
import type { CaseState } from './applications.tables.ts';
import type { CaseDetailSchema, CaseRuleDecisionSchema, CaseViewSchema } from './applications.schemas.ts';
import * as repo from './applications.repository.ts';
import type { ApprovedCase, BatchApprovalHook } from './batch-decisions.ts';
import type { ApprovalGroupOptions } from './approval-groups.ts';
import type { CaseEventSink } from './case-decided.ts';
import { ACTION_LABELS, STATE_LABELS, type CaseAction } from './case-state.ts';
import { isOverdue } from './sla-clock.ts';

/** What applications needs to know about orgs, through the orgs service. */
export interface CaseOrgDirectory {
  getOrg(code: string): Promise<{ code: string; level: string; name: string; path: string; divisionCode: string } | null>;
  getAncestors(code: string): Promise<{ code: string; level: string; path: string }[]>;
  findDepartment(kind: string, divisionCode: string): Promise<{ code: string; name: string; path: string } | null>;
}

/** What applications needs to know about residents, through the identity service. */
export interface ResidentDirectory {
  getResidentSummary(
    accountId: string,
  ): Promise<{ accountId: string; name: string; residentIdMasked: string; homeOrgCode: string | null } | null>;
}

/**
 * What approval produces (a certificate, its ledger leaf, its event), in two steps: `prepare`
 * reads what it needs before the transaction (PGlite has one connection, which the open
 * transaction holds), and the step it returns runs inside the approval's transaction, so that
 * it commits or rolls back with the decision. When that step returns an outcome, the case is
 * completed in the same transaction.
 */
export type ApprovalHook = (approved: ApprovedCase) => Promise<((tx: Tx) => Promise<{ outcome: string }>) | null>;

export interface ApplicationsDeps {
  db: Db;
  catalog: CatalogService;
  orgs: CaseOrgDirectory;
  residents: ResidentDirectory;
  onApproved?: ApprovalHook;
  /** The same for a batch approval: one preparation, one write step for all its cases. */
  onApprovedMany?: BatchApprovalHook;
  /** Where `case.decided` is written, in the decision's transaction (life-event bundles consume it). */
  events: CaseEventSink;
  /**
   * Single approvals gathered for a moment and decided together through the batch path
   * (approval-groups.ts); on by default when `onApprovedMany` is given, `false` turns it off.
   */
  approvalGroups?: Partial<ApprovalGroupOptions> | false;
  /** 秒批: the instant-approval rules' decisions on a case, shown to staff with the case (src/modules/instant). */
  ruleDecisions?: { forCase(caseId: string): Promise<CaseRuleDecision[]> };
  clock?: () => Date;
}

/** The one view of a case: the route's response schema (applications.schemas.ts), also the web's generated CaseView. */
export type CaseView = Static<typeof CaseViewSchema>;
export type CaseDetail = Static<typeof CaseDetailSchema>;
export type CaseRuleDecision = Static<typeof CaseRuleDecisionSchema>;

/** What the parts of the applications service share. */
export type ApplicationsContext = ReturnType<typeof createApplicationsContext>;

export function createApplicationsContext(deps: ApplicationsDeps) {
  const { db, catalog, orgs, residents } = deps;
  const clock = deps.clock ?? (() => new Date());

  function channelOf(principal: Principal): Channel {
    if (principal.actingFor) return 'helper';
    // The hospital insurance window submits for the patient at the counter (insurance/window.ts).
    if (principal.kind === 'system' && principal.sessionChannel === 'window') return 'window';
    return principal.sessionChannel === 'kiosk' ? 'kiosk' : 'app';
  }

  function toView(row: repo.CaseRow, item: ServiceItem | null): CaseView {
    const today = chinaDate(clock());
    return {
      id: row.id,
      caseNo: formatCaseNo(row),
      serviceCode: row.serviceCode,
      serviceName: { zh: item?.nameZh ?? row.serviceCode, en: item?.nameEn ?? row.serviceCode },
      state: row.state,
      stateLabel: STATE_LABELS[row.state],
      channel: row.channel,
      orgCode: row.orgCode,
      applicantId: row.applicantId,
      helperId: row.helperId,
      form: row.form,
      submittedAt: row.submittedAt?.toISOString() ?? null,
      dueDate: row.dueDate,
      overdue: isOverdue(row.state, row.dueDate, today),
      decidedAt: row.decidedAt?.toISOString() ?? null,
      completedAt: row.completedAt?.toISOString() ?? null,
      returnReason: row.returnReason,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  async function view(row: repo.CaseRow): Promise<CaseView> {
    return toView(row, await catalog.getItem(row.serviceCode));
  }

  /** The case if the principal may see it; a case they may not see does not exist for them. */
  async function loadVisible(principal: Principal, id: string, read = repo.findCase): Promise<repo.CaseRow> {
    if (!isUuid(id)) throw notFound('case');
    const row = await read(db, id);
    if (!row || !canView(principal, row)) throw notFound('case');
    return row;
  }

  function canView(principal: Principal, row: Pick<repo.CaseRow, 'applicantId' | 'orgPath'>): boolean {
    if (!actsForAnOrg(principal)) {
      return residentScopeOrNull(principal, 'applications.view') === row.applicantId;
    }
    return can(principal, 'case.view', { orgPath: row.orgPath });
  }

  function event(principal: Principal, caseId: string, action: CaseAction, from: CaseState | null, to: CaseState, reason?: string) {
    return {
      caseId,
      action,
      fromState: from,
      toState: to,
      actorId: principal.accountId,
      onBehalfOf: onBehalfOf(principal),
      channel: channelOf(principal),
      reason: reason ?? null,
      // The service's clock, as the SLA clock's pause and resume read it (sla-clock.ts): the history and the clock agree.
      at: clock(),
    };
  }

  function residentScopeOrNull(principal: Principal, scope: 'applications.view'): string | null {
    try {
      return requireResidentScope(principal, scope);
    } catch {
      return null;
    }
  }

  return { deps, db, catalog, orgs, residents, clock, channelOf, toView, view, loadVisible, canView, event };
}

/** Why `action` cannot happen in `state`: a decision already taken, or a state it does not apply to. */
export function decidedOrInvalid(state: CaseState, action: CaseAction): AppError {
  if ((action === 'approve' || action === 'reject') && (state === 'approved' || state === 'rejected' || state === 'completed')) {
    return new AppError('ALREADY_DECIDED');
  }
  return invalidState(state, action);
}

export function invalidState(state: CaseState, action: CaseAction): AppError {
  return new AppError('INVALID_STATE', { state: STATE_LABELS[state], action: ACTION_LABELS[action] });
}

/** 办件编号: `YB` and the case's sequence number, zero-padded. */
export function formatCaseNo(row: { seq: number }): string {
  return `YB${String(row.seq).padStart(10, '0')}`;
}
