/**
 * Batch decisions: a handler approves or rejects many cases at once (the staff console's
 * "batch approve", the issuance benchmark). Access is checked per case before anything is
 * written; everything that may be decided is decided in one transaction, with one statement per
 * kind of row. Exactly one decision per case holds whatever the concurrency or retries: the
 * cases are row-locked (in id order, so overlapping batches queue instead of deadlocking) and
 * the decision's primary key refuses a second one.
 */
import { message } from '../../core/messages.ts';
import { AppError } from '../../core/errors.ts';
import { isUuid } from '../../core/values.ts';
import type { Db, Tx } from '../../db/database.ts';
import type { Principal } from '../identity/index.ts';
import { actsForAnOrg } from '../identity/index.ts';
import type { CaseState } from './applications.tables.ts';
import * as repo from './applications.repository.ts';
import { ACTION_LABELS, STATE_LABELS, nextState, type CaseAction } from './case-state.ts';
import { caseDecided, type CaseEventSink } from './case-decided.ts';

/** The most cases one batch decides; a larger selection is sent in several requests. */
export const MAX_BATCH_DECISIONS = 500;

export interface ApprovedCase {
  caseId: string;
  serviceCode: string;
  applicantId: string;
  orgCode: string;
  form: Record<string, string>;
  reviewerId: string;
}

/**
 * What a batch approval produces, in two steps like `ApprovalHook`: reading and signing before
 * the transaction, writing inside it. `outcomes` names, per case, what its completion records
 * (cases without one stay approved); `failed` cases are not decided.
 */
export type BatchApprovalHook = (approved: ApprovedCase[]) => Promise<{
  outcomes: ReadonlyMap<string, string>;
  failed: ReadonlyMap<string, AppError>;
  produce(tx: Tx, caseIds: readonly string[]): Promise<void>;
}>;

export type BatchDecision = 'approve' | 'reject';

export interface BatchDecideInput {
  ids: readonly string[];
  decision: BatchDecision;
  reason?: string;
}

export type BatchOutcome = 'approved' | 'rejected' | 'conflict' | 'not_found' | 'forbidden' | 'failed';

export interface BatchDecisionResult {
  id: string;
  outcome: BatchOutcome;
  /** The case's state afterwards, for cases the caller may see. */
  state?: CaseState;
  /** Why a case was not decided. */
  error?: AppError;
  /** What completing the case recorded (the certificate's identifier). */
  outcomeNote?: string;
  /** The decided case as it is now (decided cases only). */
  row?: repo.CaseRow;
}

export interface BatchDecideContext {
  db: Db;
  clock: () => Date;
  canView(principal: Principal, row: repo.CaseRow): boolean;
  canHandle(principal: Principal, row: repo.CaseRow): boolean;
  event(
    principal: Principal,
    caseId: string,
    action: CaseAction,
    from: CaseState | null,
    to: CaseState,
    reason?: string,
  ): repo.NewCaseEvent;
  onApprovedMany?: BatchApprovalHook;
  /** Where each decided case's `case.decided` is written, in the batch's transaction. */
  events: CaseEventSink;
}

const DECIDED: readonly CaseState[] = ['approved', 'rejected', 'completed'];

export async function decideMany(ctx: BatchDecideContext, principal: Principal, input: BatchDecideInput): Promise<BatchDecisionResult[]> {
  if (!actsForAnOrg(principal)) throw new AppError('FORBIDDEN');
  const ids = [...new Set(input.ids)];
  if (ids.length === 0 || ids.length > MAX_BATCH_DECISIONS) {
    throw new AppError('VALIDATION_FAILED', {
      detail: message('applications.batchSize', { max: MAX_BATCH_DECISIONS }),
    });
  }
  const reason = input.reason?.trim() || undefined;
  if (input.decision === 'reject' && !reason) {
    throw new AppError('VALIDATION_FAILED', { detail: message('applications.reasonRequired') });
  }
  const action: CaseAction = input.decision;
  const results = new Map<string, BatchDecisionResult>();
  const visible = new Map<string, repo.CaseRow>();
  for (const row of await repo.findCases(ctx.db, ids.filter(isUuid))) if (ctx.canView(principal, row)) visible.set(row.id, row);
  for (const id of ids) {
    const row = visible.get(id);
    if (!row) results.set(id, { id, outcome: 'not_found', error: new AppError('NOT_FOUND', { what: 'case' }) });
    else if (!ctx.canHandle(principal, row))
      results.set(id, { id, outcome: 'forbidden', state: row.state, error: new AppError('FORBIDDEN') });
    else if (!nextState(row.state, action)) results.set(id, conflictOf(row.id, row.state, action));
  }
  const checked = [...visible.values()]
    .filter((row) => !results.has(row.id))
    .map((row) => ({ principal, row, ...(reason ? { reason } : {}) }));
  for (const [id, r] of await decideChecked(ctx, checked, input.decision)) results.set(id, r);
  return ids.map((id) => results.get(id)!);
}

/** One case of a decision whose access checks have passed: who decides, on the case as they saw it. */
export interface CheckedDecision {
  principal: Principal;
  row: repo.CaseRow;
  reason?: string;
}

/**
 * Decides cases whose access checks the caller made (each case with its own decider: a batch
 * has one, a group of single approvals has many), in one transaction: the preparation hook
 * first (signing), then the locks, decisions, state changes, audit events and what the hook
 * produces (certificates, their ledger leaves), all committed together. A result per case.
 * The cases must be distinct.
 */
export async function decideChecked(
  ctx: BatchDecideContext,
  entries: readonly CheckedDecision[],
  action: 'approve' | 'reject',
): Promise<Map<string, BatchDecisionResult>> {
  const results = new Map<string, BatchDecisionResult>();
  const byId = new Map(entries.map((e) => [e.row.id, e]));
  if (byId.size !== entries.length) throw new Error('decideChecked: a case appears twice');
  let candidates = entries.map((e) => e.row);
  const produced =
    action === 'approve' && ctx.onApprovedMany && candidates.length > 0
      ? await ctx.onApprovedMany(
          entries.map(({ principal, row }) => ({
            caseId: row.id,
            serviceCode: row.serviceCode,
            applicantId: row.applicantId,
            orgCode: row.orgCode,
            form: row.form,
            reviewerId: principal.accountId,
          })),
        )
      : null;
  if (produced) {
    for (const [id, error] of produced.failed) results.set(id, { id, outcome: 'failed', state: byId.get(id)!.row.state, error });
    candidates = candidates.filter((row) => !produced.failed.has(row.id));
  }

  const decideLocked = async (tx: Tx, out: Map<string, BatchDecisionResult>): Promise<void> => {
    const decidable: { id: string; state: CaseState }[] = [];
    for (const current of await repo.lockCases(
      tx,
      candidates.map((row) => row.id),
    )) {
      const seen = byId.get(current.id)!.row;
      if (!nextState(current.state, action)) out.set(current.id, conflictOf(current.id, current.state, action));
      else if (current.version !== seen.version) {
        // Changed between reading and locking (a resubmitted form): what was signed may be stale.
        out.set(current.id, {
          id: current.id,
          outcome: 'conflict',
          state: current.state,
          error: new AppError('CONFLICT', { detail: message('applications.caseChanged') }),
        });
      } else decidable.push(current);
    }
    const to = nextState('submitted', action)! as 'approved' | 'rejected';
    const decided = await repo.insertDecisions(
      tx,
      decidable.map((row) => {
        const e = byId.get(row.id)!;
        return { caseId: row.id, decision: to, decidedBy: e.principal.accountId, reason: e.reason ?? null };
      }),
    );
    for (const row of decidable) {
      if (!decided.has(row.id))
        out.set(row.id, { id: row.id, outcome: 'conflict', state: row.state, error: new AppError('ALREADY_DECIDED') });
    }
    const now = ctx.clock();
    const done = decidable.filter((row) => decided.has(row.id));
    const completes = done.filter((row) => produced?.outcomes.has(row.id));
    const stays = done.filter((row) => !produced?.outcomes.has(row.id));
    const updated = [
      ...(await repo.updateCases(
        tx,
        completes.map((row) => row.id),
        { state: 'completed', decidedAt: now, completedAt: now },
      )),
      ...(await repo.updateCases(
        tx,
        stays.map((row) => row.id),
        { state: to, decidedAt: now },
      )),
    ];
    const events = done.map((row) => {
      const e = byId.get(row.id)!;
      return ctx.event(e.principal, row.id, action, row.state, to, e.reason);
    });
    for (const row of completes)
      events.push(ctx.event(byId.get(row.id)!.principal, row.id, 'complete', 'approved', 'completed', produced!.outcomes.get(row.id)));
    await repo.insertEventsMany(tx, events);
    await ctx.events.enqueueMany(
      tx,
      updated.map((row) => {
        const seen = byId.get(row.id)!.row;
        return caseDecided({ id: row.id, serviceCode: seen.serviceCode, orgCode: seen.orgCode, state: row.state });
      }),
    );
    for (const row of updated) {
      const note = produced?.outcomes.get(row.id);
      const seen = byId.get(row.id)!.row;
      out.set(row.id, {
        id: row.id,
        outcome: to,
        state: row.state,
        row: {
          ...seen,
          state: row.state,
          version: row.version,
          updatedAt: row.updatedAt,
          decidedAt: now,
          ...(row.state === 'completed' ? { completedAt: now } : {}),
        },
        ...(note ? { outcomeNote: note } : {}),
      });
    }
    // Last: issuance ends with the ledger append, which holds the ledger's head row until commit.
    if (produced && completes.length > 0)
      await produced.produce(
        tx,
        completes.map((row) => row.id),
      );
  };
  for (let attempt = 1; candidates.length > 0; attempt++) {
    const decided = new Map<string, BatchDecisionResult>();
    try {
      await ctx.db.transaction((tx) => decideLocked(tx, decided));
    } catch (error) {
      // A deadlock or serialization failure rolled everything back: the same batch again is safe.
      if (attempt < MAX_ATTEMPTS && isRetryable(error)) continue;
      throw error;
    }
    for (const [id, r] of decided) results.set(id, r);
    break;
  }
  return results;
}

const MAX_ATTEMPTS = 3;

function isRetryable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === '40P01' || code === '40001') return true;
  }
  return false;
}

function conflictOf(id: string, state: CaseState, action: CaseAction): BatchDecisionResult {
  const error = DECIDED.includes(state)
    ? new AppError('ALREADY_DECIDED')
    : new AppError('INVALID_STATE', { state: STATE_LABELS[state], action: ACTION_LABELS[action] });
  return { id, outcome: 'conflict', state, error };
}
