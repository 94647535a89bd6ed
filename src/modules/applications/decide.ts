import { message } from '../../core/messages.ts';
import { AppError, notFound } from '../../core/errors.ts';
import type { Db, Tx } from '../../db/database.ts';
import type { Principal } from '../identity/index.ts';
import { actsForAnOrg, can } from '../identity/index.ts';
import * as repo from './applications.repository.ts';
import { decideChecked, decideMany, type BatchDecideContext, type BatchDecideInput, type BatchDecisionResult } from './batch-decisions.ts';
import { createApprovalGroups, DEFAULT_APPROVAL_GROUPS } from './approval-groups.ts';
import { APPLICANT_ACTIONS, nextState, type CaseAction } from './case-state.ts';
import { decidedOrInvalid, type ApplicationsContext, type CaseView } from './context.ts';
import { caseDecided } from './case-decided.ts';
import { pauseClock } from './sla-clock.ts';

export type StaffAction = Exclude<CaseAction, 'submit' | 'resubmit'>;
const REASON_REQUIRED: ReadonlySet<CaseAction> = new Set(['return', 'reject']);

/** Handlers move cases on: one at a time (single approvals gathered into groups), or in a batch. */
export function createDecisionFunctions(ctx: ApplicationsContext) {
  const { deps, db, clock, view, loadVisible, canView, event } = ctx;

  /**
   * Reads of single cases asked for in the same turn of the event loop, made in one query: the
   * approvals arriving together (each still checks its own access on what it reads).
   */
  let caseReads: { ids: Set<string>; rows: Promise<Map<string, repo.CaseRow>> } | null = null;
  function readCaseTogether(_db: Db | Tx, id: string): Promise<repo.CaseRow | undefined> {
    if (!caseReads) {
      const ids = new Set<string>();
      const rows = new Promise<Map<string, repo.CaseRow>>((resolve, reject) =>
        setImmediate(() => {
          caseReads = null;
          repo.findCases(db, [...ids]).then((found) => resolve(new Map(found.map((r) => [r.id, r]))), reject);
        }),
      );
      caseReads = { ids, rows };
    }
    caseReads.ids.add(id);
    return caseReads.rows.then((rows) => rows.get(id));
  }

  const batchContext: BatchDecideContext = {
    db,
    clock,
    canView,
    canHandle: (p, row) => can(p, 'case.handle', { orgPath: row.orgPath }),
    event,
    events: deps.events,
    ...(deps.onApprovedMany ? { onApprovedMany: deps.onApprovedMany } : {}),
  };

  const approvalGroups =
    deps.onApprovedMany && deps.approvalGroups !== false
      ? createApprovalGroups((entries) => decideChecked(batchContext, entries, 'approve'), {
          ...DEFAULT_APPROVAL_GROUPS,
          ...(deps.approvalGroups || {}),
        })
      : null;

  return {
    /** A handler moves the case on: accept, review, return, approve, reject, complete. */
    async act(principal: Principal, id: string, action: StaffAction, reason?: string): Promise<CaseView> {
      if (!actsForAnOrg(principal)) throw notFound('case');
      const visible = await loadVisible(principal, id, action === 'approve' && approvalGroups ? readCaseTogether : repo.findCase);
      if (!can(principal, 'case.handle', { orgPath: visible.orgPath })) throw new AppError('FORBIDDEN');
      if (APPLICANT_ACTIONS.has(action)) throw new AppError('FORBIDDEN');
      const trimmed = reason?.trim();
      if (REASON_REQUIRED.has(action) && !trimmed) {
        throw new AppError('VALIDATION_FAILED', { detail: message('applications.reasonRequired') });
      }
      if (action === 'approve' && approvalGroups) {
        if (!nextState(visible.state, action)) throw decidedOrInvalid(visible.state, action);
        const result = await approvalGroups.decide({ principal, row: visible, ...(trimmed ? { reason: trimmed } : {}) });
        if (result.row) return view(result.row);
        throw result.error ?? new Error(`case ${id}: approval gave no result`);
      }
      const produce =
        action === 'approve' && deps.onApproved
          ? await deps.onApproved({
              caseId: id,
              serviceCode: visible.serviceCode,
              applicantId: visible.applicantId,
              orgCode: visible.orgCode,
              form: visible.form,
              reviewerId: principal.accountId,
            })
          : null;
      const row = await db.transaction(async (tx) => {
        const current = await repo.lockCase(tx, id);
        if (!current) throw notFound('case');
        const to = nextState(current.state, action);
        if (to && produce && current.version !== visible.version) {
          // The case changed between reading it and locking it (a resubmitted form): decide on what is there now.
          throw new AppError('CONFLICT', { detail: message('applications.caseChanged') });
        }
        if (!to) throw decidedOrInvalid(current.state, action);
        const now = clock();
        if (action === 'approve' || action === 'reject') {
          const decided = await repo.insertDecision(tx, {
            caseId: id,
            decision: to as 'approved' | 'rejected',
            decidedBy: principal.accountId,
            reason: trimmed ?? null,
          });
          if (!decided) throw new AppError('ALREADY_DECIDED');
        }
        const updated = await repo.updateCase(tx, id, {
          state: to,
          ...(action === 'approve' || action === 'reject' ? { decidedAt: now } : {}),
          ...(action === 'complete' ? { completedAt: now } : {}),
          ...(action === 'return' ? { returnReason: trimmed ?? null, ...pauseClock(now) } : {}),
        });
        await repo.insertEvents(tx, [event(principal, id, action, current.state, to, trimmed)]);
        if (action === 'approve' && produce) {
          const produced = await produce(tx);
          const completed = await repo.updateCase(tx, id, { state: 'completed', completedAt: now });
          await repo.insertEvents(tx, [event(principal, id, 'complete', 'approved', 'completed', produced.outcome)]);
          await deps.events.enqueueMany(tx, [caseDecided(completed)]);
          return completed;
        }
        if (action === 'approve' || action === 'reject' || action === 'complete') await deps.events.enqueueMany(tx, [caseDecided(updated)]);
        return updated;
      });
      return view(row);
    },

    /** Groups of single approvals decided so far, and the approvals in them (benchmarks). */
    approvalGroupStats(): { groups: number; decided: number } | null {
      return approvalGroups?.stats() ?? null;
    },

    /**
     * Approves or rejects many cases at once, in one transaction: a result per case (approved,
     * rejected, conflict, not found, forbidden, failed). A case the caller may not see is not
     * found; one they may see but not decide is forbidden.
     */
    decideMany(principal: Principal, input: BatchDecideInput): Promise<BatchDecisionResult[]> {
      return decideMany(batchContext, principal, input);
    },
  };
}
