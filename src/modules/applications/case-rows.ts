import type { CaseRow } from './applications.repository.ts';
import type { CaseState } from './applications.tables.ts';

/** A case row as raw SQL returns it (the prepared reads and the submission), and its conversion to drizzle's shape. */
export interface RawCaseRow {
  id: string;
  seq: string;
  service_code: string;
  applicant_id: string;
  org_code: string;
  org_path: string;
  state: CaseState;
  channel: string;
  form: Record<string, string>;
  helper_id: string | null;
  submitted_at: string | null;
  due_date: string | null;
  decided_at: string | null;
  completed_at: string | null;
  return_reason: string | null;
  sla_started_at: string | null;
  sla_paused_at: string | null;
  sla_paused_days: number;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Timestamps come as the server's text (as drizzle reads them): `2026-12-01 23:05:00.123+00`. */
function timestamp(value: string): Date {
  return new Date(value);
}

export function toCaseRow(r: RawCaseRow): CaseRow {
  return {
    id: r.id,
    seq: Number(r.seq),
    serviceCode: r.service_code,
    applicantId: r.applicant_id,
    orgCode: r.org_code,
    orgPath: r.org_path,
    state: r.state,
    channel: r.channel,
    form: r.form,
    helperId: r.helper_id,
    submittedAt: r.submitted_at === null ? null : timestamp(r.submitted_at),
    dueDate: r.due_date,
    decidedAt: r.decided_at === null ? null : timestamp(r.decided_at),
    completedAt: r.completed_at === null ? null : timestamp(r.completed_at),
    returnReason: r.return_reason,
    slaStartedAt: r.sla_started_at === null ? null : timestamp(r.sla_started_at),
    slaPausedAt: r.sla_paused_at === null ? null : timestamp(r.sla_paused_at),
    slaPausedDays: Number(r.sla_paused_days),
    version: Number(r.version),
    createdAt: timestamp(r.created_at),
    updatedAt: timestamp(r.updated_at),
  };
}
