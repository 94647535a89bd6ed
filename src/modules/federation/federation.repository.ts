import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import {
  federationCosigned,
  federationDocuments,
  federationEquivocations,
  federationHub,
  federationMembers,
  federationMessages,
  type MessageDirection,
} from './federation.tables.ts';

export type MemberRow = typeof federationMembers.$inferSelect;
export type MessageRow = typeof federationMessages.$inferSelect;
export type HubPin = typeof federationHub.$inferSelect;

export async function findMember(db: Executor, memberId: string): Promise<MemberRow | null> {
  const [row] = await db.select().from(federationMembers).where(eq(federationMembers.memberId, memberId));
  return row ?? null;
}

export async function listMembers(db: Executor): Promise<MemberRow[]> {
  return db.select().from(federationMembers).orderBy(federationMembers.memberId);
}

export async function upsertMember(db: Executor, row: typeof federationMembers.$inferInsert): Promise<void> {
  const { memberId: _id, requestedAt: _at, ...changes } = row;
  await db.insert(federationMembers).values(row).onConflictDoUpdate({ target: federationMembers.memberId, set: changes });
}

/** Changes a member's row; false when there is none. */
export async function updateMember(
  db: Executor,
  memberId: string,
  changes: Partial<typeof federationMembers.$inferInsert>,
): Promise<boolean> {
  const rows = await db
    .update(federationMembers)
    .set(changes)
    .where(eq(federationMembers.memberId, memberId))
    .returning({ id: federationMembers.memberId });
  return rows.length > 0;
}

/** The member's row locked for a change (the operator's decisions are one at a time per member). */
export async function lockMember(db: Executor, memberId: string): Promise<MemberRow | null> {
  const [row] = await db.select().from(federationMembers).where(eq(federationMembers.memberId, memberId)).for('update');
  return row ?? null;
}

/** The directory's and trust list's version: the latest change of any member (a revocation moves it too). */
export async function membersVersion(db: Executor): Promise<number> {
  const [row] = await db.select({ v: sql<string | Date | null>`max(${federationMembers.updatedAt})` }).from(federationMembers);
  return row?.v ? new Date(row.v).getTime() : 0;
}

/** The time to stamp a member's change with: now, or just after the latest change (the directory's version must grow). */
export async function changeTime(db: Executor, now: Date): Promise<Date> {
  return new Date(Math.max(now.getTime(), (await membersVersion(db)) + 1));
}

/**
 * Prunes the hub's cosignature reports: keeps, per (member, witness), the newest (largest size,
 * then latest report), and every report of a checkpoint (member, size, root) that `keep` names
 * (those an equivocation refers to). How many were deleted.
 */
export async function pruneCosigned(db: Executor, keep: readonly { memberId: string; size: number; rootHash: string }[]): Promise<number> {
  const { rows } = await db.execute<{ n: string | number }>(sql`
    with ranked as (
      select member_id, witness_id, size, root_hash,
             row_number() over (partition by member_id, witness_id order by size desc, reported_at desc, root_hash) as rank
      from ${federationCosigned}),
    gone as (
      delete from ${federationCosigned} c using ranked r
      where c.member_id = r.member_id and c.witness_id = r.witness_id and c.size = r.size and c.root_hash = r.root_hash
        and r.rank > 1
        and not exists (
          select 1 from unnest(${sql.param(keep.map((k) => k.memberId))}::text[], ${sql.param(keep.map((k) => k.size))}::bigint[],
                               ${sql.param(keep.map((k) => k.rootHash))}::text[]) as k(member_id, size, root_hash)
          where k.member_id = c.member_id and k.size = c.size and k.root_hash = c.root_hash)
      returning 1)
    select count(*) as n from gone`);
  return Number(rows[0]?.n ?? 0);
}

export async function hubPin(db: Executor): Promise<HubPin | null> {
  const [row] = await db.select().from(federationHub).limit(1);
  return row ?? null;
}

export async function pinHub(db: Executor, pin: HubPin): Promise<void> {
  await db.insert(federationHub).values(pin).onConflictDoNothing();
}

export async function latestDocument(
  db: Executor,
  kind: 'directory' | 'trust-list',
): Promise<{ version: number; envelope: string } | null> {
  const [row] = await db
    .select({ version: federationDocuments.version, envelope: federationDocuments.envelope })
    .from(federationDocuments)
    .where(eq(federationDocuments.kind, kind))
    .orderBy(desc(federationDocuments.version))
    .limit(1);
  return row ?? null;
}

export async function latestVersion(db: Executor, kind: 'directory' | 'trust-list'): Promise<number | null> {
  const [row] = await db
    .select({ v: sql<string | number | null>`max(${federationDocuments.version})` })
    .from(federationDocuments)
    .where(eq(federationDocuments.kind, kind));
  return row?.v === null || row?.v === undefined ? null : Number(row.v);
}

export async function storeDocument(db: Executor, kind: 'directory' | 'trust-list', version: number, envelope: string, at: Date) {
  await db.insert(federationDocuments).values({ kind, version, envelope, fetchedAt: at }).onConflictDoNothing();
}

/** Inserts the message unless one with its direction and id exists: true when this call wrote it. */
export async function insertMessage(db: Executor, row: typeof federationMessages.$inferInsert): Promise<boolean> {
  const inserted = await db.insert(federationMessages).values(row).onConflictDoNothing().returning({ id: federationMessages.id });
  return inserted.length > 0;
}

export async function findMessage(db: Executor, direction: MessageDirection, id: string): Promise<MessageRow | null> {
  const [row] = await db
    .select()
    .from(federationMessages)
    .where(and(eq(federationMessages.direction, direction), eq(federationMessages.id, id)));
  return row ?? null;
}

export async function updateMessage(
  db: Executor,
  direction: MessageDirection,
  id: string,
  changes: Partial<typeof federationMessages.$inferInsert>,
): Promise<void> {
  await db
    .update(federationMessages)
    .set(changes)
    .where(and(eq(federationMessages.direction, direction), eq(federationMessages.id, id)));
}

/**
 * Drops the bodies of done messages (applied here, delivered there, or refused there for good)
 * older than `before`, a batch at a time; the row stays (id, type, peers, digest, status, answer or
 * last error, ledger entry), so a replay is still answered from it. How many were pruned.
 */
export async function pruneMessageBodies(db: Executor, options: { before: Date; now: Date; limit: number }): Promise<number> {
  const { before, now, limit } = options;
  const { rows } = await db.execute<{ n: string | number }>(sql`
    with done as (
      select direction, id from ${federationMessages}
      where pruned_at is null and status in ('applied', 'delivered', 'refused') and done_at < ${before.toISOString()}::timestamptz
      order by done_at limit ${limit} for update skip locked),
    gone as (
      update ${federationMessages} m set sealed_body = null, body = null, pruned_at = ${now.toISOString()}::timestamptz
      from done where m.direction = done.direction and m.id = done.id
      returning 1)
    select count(*) as n from gone`);
  return Number(rows[0]?.n ?? 0);
}

export async function countApplied(db: Executor, type: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<string | number>`count(*)` })
    .from(federationMessages)
    .where(and(eq(federationMessages.direction, 'in'), eq(federationMessages.type, type), eq(federationMessages.status, 'applied')));
  return Number(row?.n ?? 0);
}

export type CosignedRow = typeof federationCosigned.$inferSelect;
export type EquivocationRow = typeof federationEquivocations.$inferSelect;

/** Keeps a witness's report of a cosigned checkpoint; false when it was already on file. */
export async function insertCosigned(db: Executor, row: CosignedRow): Promise<boolean> {
  const inserted = await db.insert(federationCosigned).values(row).onConflictDoNothing().returning({ size: federationCosigned.size });
  return inserted.length === 1;
}

/** What was reported cosigned for a member's ledger, largest size first. */
export async function listCosigned(db: Executor, memberId?: string): Promise<CosignedRow[]> {
  const query = db.select().from(federationCosigned);
  return (memberId ? query.where(eq(federationCosigned.memberId, memberId)) : query).orderBy(
    desc(federationCosigned.size),
    asc(federationCosigned.witnessId),
  );
}

export async function insertEquivocation(db: Executor, row: EquivocationRow): Promise<boolean> {
  const inserted = await db
    .insert(federationEquivocations)
    .values(row)
    .onConflictDoNothing()
    .returning({ digest: federationEquivocations.evidenceDigest });
  return inserted.length === 1;
}

export async function listEquivocations(db: Executor): Promise<EquivocationRow[]> {
  return db.select().from(federationEquivocations).orderBy(asc(federationEquivocations.detectedAt));
}
