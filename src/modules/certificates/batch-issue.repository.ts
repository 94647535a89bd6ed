/**
 * The queries of batch issuance (batch-issue.ts): serials and free status slots before the
 * transaction, then all of a batch's certificates in one statement.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import type { StoredDisclosure } from './disclosure-vault.ts';
import { certificates } from './certificates.tables.ts';

/** `count` serials in one round trip (a sequence: gaps after a rollback are fine, order is not promised). */
export async function nextSerials(db: Executor, count: number): Promise<number[]> {
  if (count === 0) return [];
  const result = await db.execute<{ serial: string }>(
    sql`select nextval(pg_get_serial_sequence('certificates', 'serial'))::text as serial from generate_series(1, ${count}::int)`,
  );
  return result.rows.map((r) => Number(r.serial));
}

/** Every slot of the list (0 … size − 1) that holds no certificate: for a list nearly full, where random draws keep missing. */
export async function freeSlotIndexes(db: Executor, list: string, size: number): Promise<number[]> {
  const result = await db.execute<{ index: number }>(
    sql`select s::int as index from generate_series(0, ${size - 1}::int) s
        where not exists (select 1 from certificates c where c.status_list = ${list} and c.status_index = s)`,
  );
  return result.rows.map((r) => Number(r.index));
}

/** Which of `indexes` already hold a certificate in the list. */
export async function takenSlots(db: Executor, list: string, indexes: readonly number[]): Promise<number[]> {
  if (indexes.length === 0) return [];
  const rows = await db
    .select({ index: certificates.statusIndex })
    .from(certificates)
    .where(and(eq(certificates.statusList, list), sql`${certificates.statusIndex} = any(${sql.param([...indexes])}::int[])`));
  return rows.map((r) => r.index);
}

export async function findByCases(
  db: Executor,
  caseIds: readonly string[],
): Promise<{ id: string; caseId: string; identifier: string; ledgerEntryId: number }[]> {
  if (caseIds.length === 0) return [];
  return db
    .select({
      id: certificates.id,
      caseId: certificates.caseId,
      identifier: certificates.identifier,
      ledgerEntryId: certificates.ledgerEntryId,
    })
    .from(certificates)
    .where(sql`${certificates.caseId} = any(${sql.param([...caseIds])}::uuid[])`);
}

/**
 * Inserts many in one statement whose one parameter is the rows as JSON (`json_to_recordset`):
 * one native JSON.stringify instead of the driver escaping every element of 17 array parameters.
 * Rows go in the order given. A row whose case already has a certificate or whose status slot is
 * taken is skipped, not an error: the caller finds out which from what comes back.
 */
export async function insertCertificates(
  db: Executor,
  rows: readonly NewCertificate[],
): Promise<{ id: string; caseId: string; identifier: string }[]> {
  if (rows.length === 0) return [];
  const json = JSON.stringify(
    rows.map((r) => ({
      serial: r.serial,
      identifier: r.identifier,
      case_id: r.caseId,
      type_code: r.typeCode,
      holder_id: r.holderId,
      issuer_org_code: r.issuerOrgCode,
      issuer_org_path: r.issuerOrgPath,
      reviewer_id: r.reviewerId,
      key_id: r.keyId,
      payload: r.payload,
      signature: r.signature,
      disclosures: r.disclosures,
      status_list: r.statusList,
      status_index: r.statusIndex,
      ledger_entry_id: r.ledgerEntryId,
      issued_at: r.issuedAt.toISOString(),
      valid_until: r.validUntil?.toISOString() ?? null,
    })),
  );
  const { rows: inserted } = await db.execute<{ id: string; case_id: string; identifier: string }>(sql`
    insert into ${certificates} (serial, identifier, case_id, type_code, holder_id, issuer_org_code, issuer_org_path, reviewer_id,
                                 key_id, payload, signature, disclosures, status_list, status_index, ledger_entry_id, issued_at, valid_until)
    select serial, identifier, case_id, type_code, holder_id, issuer_org_code, issuer_org_path, reviewer_id,
           key_id, payload, signature, disclosures, status_list, status_index, ledger_entry_id, issued_at, valid_until
    from json_to_recordset(${json}::json) as t(serial bigint, identifier text, case_id uuid, type_code text, holder_id uuid, issuer_org_code text,
                                              issuer_org_path text, reviewer_id uuid, key_id text, payload text, signature text, disclosures jsonb,
                                              status_list text, status_index int, ledger_entry_id bigint, issued_at timestamptz, valid_until timestamptz)
    on conflict do nothing
    returning id, case_id, identifier`);
  return inserted.map((r) => ({ id: r.id, caseId: r.case_id, identifier: r.identifier }));
}

export interface NewCertificate {
  serial: number;
  identifier: string;
  caseId: string;
  typeCode: string;
  holderId: string;
  issuerOrgCode: string;
  issuerOrgPath: string;
  reviewerId: string;
  keyId: string;
  payload: string;
  signature: string;
  disclosures: StoredDisclosure[];
  statusList: string;
  statusIndex: number;
  ledgerEntryId: number;
  issuedAt: Date;
  validUntil: Date | null;
}
