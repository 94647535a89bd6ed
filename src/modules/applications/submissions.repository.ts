import { and, eq } from 'drizzle-orm';
import type { Db, Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import { idempotencyKeys } from './applications.tables.ts';
import type { CaseRow } from './applications.repository.ts';
import { toCaseRow, type RawCaseRow } from './case-rows.ts';

/** Submitting a case: the key claim, the case and its events in one statement. */

export interface NewSubmission {
  id: string;
  serviceCode: string;
  applicantId: string;
  orgCode: string;
  orgPath: string;
  state: 'draft' | 'submitted';
  channel: string;
  form: Record<string, string>;
  helperId: string | null;
  submittedAt: Date | null;
  dueDate: string | null;
  /** Who submits (the resident, or the helper acting for them): the events' actor. */
  actorId: string;
  onBehalfOf: string | null;
  /** When given, the key is claimed in the same statement; a key already taken inserts nothing. */
  idempotency: { principalId: string; key: string; requestHash: string } | null;
}

/**
 * A submission in one statement, and so in one transaction without BEGIN/COMMIT round trips:
 * claim the Idempotency-Key (when there is one), insert the case only if the claim succeeded,
 * and write its events (draft, then submitted) from the inserted row, with the outbox's `case.submitted`
 * (case-decided.ts: the events module's table, written here to stay one statement). A concurrent claim of the
 * same key waits on the primary key of idempotency_keys until the first statement ends, then
 * inserts nothing. The foreign key of case_events is checked at the end of the statement, when
 * the case row exists. Named, so it is parsed and planned once per connection.
 */
const SUBMIT_CASE: PreparedStatement = {
  name: 'applications_submit_case_v3',
  text: `
    with claim as (
      insert into idempotency_keys (principal_id, key, request_hash, case_id)
      select $1::uuid, $2::text, $3::text, $4::uuid where $2::text is not null
      on conflict do nothing
      returning case_id
    ), admitted as (
      select $4::uuid as id where $2::text is null
      union all
      select case_id from claim
    ), inserted as (
      insert into cases (id, service_code, applicant_id, org_code, org_path, state, channel, form, helper_id, submitted_at, due_date, sla_started_at)
      select id, $5::text, $6::uuid, $7::text, $8::text, $9::text, $10::text, $11::jsonb, $12::uuid, $13::timestamptz, $14::date, $13::timestamptz
      from admitted
      returning *
    ), events as (
      insert into case_events (case_id, action, from_state, to_state, actor_id, on_behalf_of, channel)
      select i.id, 'submit', e.from_state, e.to_state, $15::uuid, $16::uuid, $10::text
      from inserted i cross join (values (1, null::text, 'draft'), (2, 'draft', 'submitted')) as e (ord, from_state, to_state)
      where e.ord = 1 or $9::text = 'submitted'
      order by e.ord
    ), submitted_event as (
      insert into outbox (topic, payload)
      select 'case.submitted', jsonb_build_object('caseId', i.id, 'serviceCode', i.service_code, 'orgCode', i.org_code)
      from inserted i where $9::text = 'submitted'
    )
    select id, seq::text as seq, service_code, applicant_id, org_code, org_path, state, channel, form, helper_id,
      submitted_at, due_date, decided_at, completed_at, return_reason, sla_started_at, sla_paused_at, sla_paused_days,
      version, created_at, updated_at
    from inserted`,
};

/** The new case, or null when the Idempotency-Key was already taken (nothing was written). */
export async function submitCase(db: Db, s: NewSubmission): Promise<CaseRow | null> {
  const rows = await queryPrepared<RawCaseRow>(db, SUBMIT_CASE, [
    s.idempotency?.principalId ?? s.actorId,
    s.idempotency?.key ?? null,
    s.idempotency?.requestHash ?? null,
    s.id,
    s.serviceCode,
    s.applicantId,
    s.orgCode,
    s.orgPath,
    s.state,
    s.channel,
    JSON.stringify(s.form),
    s.helperId,
    s.submittedAt?.toISOString() ?? null,
    s.dueDate,
    s.actorId,
    s.onBehalfOf,
  ]);
  const row = rows[0];
  return row ? toCaseRow(row) : null;
}

/** The first submission under an Idempotency-Key. */
export async function findIdempotencyKey(
  db: Executor,
  principalId: string,
  key: string,
): Promise<{ requestHash: string; caseId: string } | null> {
  const [existing] = await db
    .select({ requestHash: idempotencyKeys.requestHash, caseId: idempotencyKeys.caseId })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.principalId, principalId), eq(idempotencyKeys.key, key)));
  return existing ?? null;
}
