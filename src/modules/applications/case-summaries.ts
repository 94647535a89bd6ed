import { and, asc, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { formatCaseNo } from './applications.service.ts';
import { caseEvents, type CaseState } from './applications.tables.ts';
import { findCases } from './applications.repository.ts';

/** What a life-event bundle shows of each of its cases: the state, where it is, and who decided. */
export interface CaseSummary {
  id: string;
  caseNo: string;
  serviceCode: string;
  state: CaseState;
  applicantId: string;
  orgCode: string;
  dueDate: string | null;
  completedAt: string | null;
  returnReason: string | null;
  /** The first approval or rejection, with its reason. */
  decision: { action: 'approve' | 'reject'; reason: string | null } | null;
}

/**
 * Many cases of one applicant with their decisions, in two statements whatever their number
 * (a bundle's progress read used a full case view per case: four statements each). Cases that
 * do not exist or belong to someone else are left out, as `getCase` would not find them.
 */
export async function readCaseSummaries(db: Executor, applicantId: string, ids: readonly string[]): Promise<Map<string, CaseSummary>> {
  const out = new Map<string, CaseSummary>();
  if (ids.length === 0) return out;
  const [rows, decisions] = await Promise.all([
    findCases(db, ids),
    db
      .select({ caseId: caseEvents.caseId, action: caseEvents.action, reason: caseEvents.reason })
      .from(caseEvents)
      .where(and(sql`${caseEvents.caseId} = any(${sql.param([...ids])}::uuid[])`, inArray(caseEvents.action, ['approve', 'reject'])))
      .orderBy(asc(caseEvents.id)),
  ]);
  const decisionOf = new Map<string, CaseSummary['decision']>();
  for (const d of decisions)
    if (!decisionOf.has(d.caseId)) decisionOf.set(d.caseId, { action: d.action as 'approve' | 'reject', reason: d.reason });
  for (const row of rows) {
    if (row.applicantId !== applicantId) continue;
    out.set(row.id, {
      id: row.id,
      caseNo: formatCaseNo(row),
      serviceCode: row.serviceCode,
      state: row.state,
      applicantId: row.applicantId,
      orgCode: row.orgCode,
      dueDate: row.dueDate,
      completedAt: row.completedAt?.toISOString() ?? null,
      returnReason: row.returnReason,
      decision: decisionOf.get(row.id) ?? null,
    });
  }
  return out;
}
