import type { Executor } from '../../db/database.ts';
import type { CaseState } from './applications.tables.ts';

/** The events module's enqueue, as applications uses it. */
export interface CaseEventSink {
  enqueueMany(tx: Executor, events: readonly { topic: string; payload: Record<string, unknown> }[]): Promise<void>;
}

/**
 * `case.decided`: a case was approved, rejected or completed (ids and codes only). Every
 * decision path writes it in the decision's transaction.
 */
export function caseDecided(row: { id: string; serviceCode: string; orgCode: string; state: CaseState }) {
  return { topic: 'case.decided', payload: { caseId: row.id, serviceCode: row.serviceCode, orgCode: row.orgCode, state: row.state } };
}

/**
 * `case.submitted`: a case reached `submitted` (a direct submission, a draft submitted, a
 * returned case resubmitted), ids and codes only; the instant-approval engine consumes it. A
 * resubmission after 补正 says so (`resubmission: true`), so the dashboards count a case once.
 */
export function caseSubmitted(row: { id: string; serviceCode: string; orgCode: string }, resubmission = false) {
  const payload = { caseId: row.id, serviceCode: row.serviceCode, orgCode: row.orgCode };
  return { topic: 'case.submitted', payload: resubmission ? { ...payload, resubmission: true } : payload };
}
