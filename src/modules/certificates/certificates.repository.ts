import { and, asc, desc, eq, gt, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import {
  certificateStatusEvents,
  certificateTypes,
  certificates,
  registeredSignatures,
  statusLists,
  type CertificateStatus,
} from './certificates.tables.ts';

export type CertificateRow = typeof certificates.$inferSelect;
export type CertificateTypeRow = typeof certificateTypes.$inferSelect;

export async function findTypeByService(db: Executor, serviceCode: string): Promise<CertificateTypeRow | undefined> {
  const [row] = await db.select().from(certificateTypes).where(eq(certificateTypes.serviceCode, serviceCode));
  return row;
}

export async function findType(db: Executor, code: string): Promise<CertificateTypeRow | undefined> {
  const [row] = await db.select().from(certificateTypes).where(eq(certificateTypes.code, code));
  return row;
}

export async function listTypes(db: Executor): Promise<CertificateTypeRow[]> {
  return db.select().from(certificateTypes).orderBy(asc(certificateTypes.code));
}

export async function upsertType(db: Executor, row: typeof certificateTypes.$inferInsert): Promise<void> {
  await db
    .insert(certificateTypes)
    .values(row)
    .onConflictDoUpdate({
      target: certificateTypes.code,
      set: {
        typeCode: row.typeCode,
        nameZh: row.nameZh,
        nameEn: row.nameEn,
        serviceCode: row.serviceCode,
        fields: row.fields,
        validityDays: row.validityDays,
        template: row.template,
      },
    });
}

export async function findByCase(db: Executor, caseId: string): Promise<CertificateRow | undefined> {
  const [row] = await db.select().from(certificates).where(eq(certificates.caseId, caseId));
  return row;
}

export async function findById(db: Executor, id: string): Promise<CertificateRow | undefined> {
  const [row] = await db.select().from(certificates).where(eq(certificates.id, id));
  return row;
}

export async function findByIdentifier(db: Executor, identifier: string): Promise<CertificateRow | undefined> {
  const [row] = await db.select().from(certificates).where(eq(certificates.identifier, identifier));
  return row;
}

export async function lockById(db: Executor, id: string): Promise<CertificateRow | undefined> {
  const [row] = await db.select().from(certificates).where(eq(certificates.id, id)).for('update');
  return row;
}

export async function nextSerial(db: Executor): Promise<number> {
  const result = await db.execute<{ serial: string }>(
    sql`select nextval(pg_get_serial_sequence('certificates', 'serial'))::text as serial`,
  );
  return Number(result.rows[0]!.serial);
}

/** Inserts unless the status slot is taken; false on a slot collision, nothing else swallowed. */
export async function insertCertificate(db: Executor, row: typeof certificates.$inferInsert): Promise<CertificateRow | null> {
  const inserted = await db
    .insert(certificates)
    .values(row)
    .onConflictDoNothing({ target: [certificates.statusList, certificates.statusIndex] })
    .returning();
  return inserted[0] ?? null;
}

export async function listByHolder(
  db: Executor,
  holderId: string,
  beforeSerial: number | undefined,
  limit: number,
): Promise<CertificateRow[]> {
  return db
    .select()
    .from(certificates)
    .where(and(eq(certificates.holderId, holderId), beforeSerial !== undefined ? lt(certificates.serial, beforeSerial) : undefined))
    .orderBy(desc(certificates.serial))
    .limit(limit);
}

/** The holder's newest active certificate of a type that is still valid at `at`: a few rows per holder, read through the holder index. */
export async function findCurrentOfType(db: Executor, holderId: string, typeCode: string, at: Date): Promise<CertificateRow | undefined> {
  const [row] = await db
    .select()
    .from(certificates)
    .where(
      and(
        eq(certificates.holderId, holderId),
        eq(certificates.typeCode, typeCode),
        eq(certificates.status, 'active'),
        or(isNull(certificates.validUntil), gt(certificates.validUntil, at)),
      ),
    )
    .orderBy(desc(certificates.issuedAt), desc(certificates.serial))
    .limit(1);
  return row;
}

export async function setStatus(
  db: Executor,
  id: string,
  change: { status: CertificateStatus; reason: string; actorId: string; at: Date },
): Promise<void> {
  await db
    .update(certificates)
    .set({ status: change.status, statusReason: change.reason, statusChangedAt: change.at, statusChangedBy: change.actorId })
    .where(eq(certificates.id, id));
}

export async function insertStatusEvent(db: Executor, row: typeof certificateStatusEvents.$inferInsert): Promise<void> {
  await db.insert(certificateStatusEvents).values(row);
}

/** Indexes of the list's certificates in a given status, for the published bitstring. */
export async function statusIndexes(db: Executor, list: string, status: CertificateStatus): Promise<number[]> {
  const rows = await db
    .select({ index: certificates.statusIndex })
    .from(certificates)
    .where(and(eq(certificates.statusList, list), eq(certificates.status, status), ne(certificates.status, 'active')));
  return rows.map((r) => r.index);
}

/** The numbers of the status lists that exist, in order. */
export async function listStatusLists(db: Executor): Promise<number[]> {
  const rows = await db.select({ id: statusLists.id }).from(statusLists).orderBy(asc(statusLists.id));
  return rows.map((r) => r.id);
}

/** The reviewer's active registered signature image, if one is on file. */
export async function activeSignatureImage(db: Executor, accountId: string): Promise<string | null> {
  const [row] = await db
    .select({ image: registeredSignatures.image })
    .from(registeredSignatures)
    .where(and(eq(registeredSignatures.accountId, accountId), eq(registeredSignatures.status, 'active')));
  return row?.image ?? null;
}
