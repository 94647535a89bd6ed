import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { certificates } from './certificates.tables.ts';

/**
 * The certificates issued for many cases of one holder, in one statement (a bundle's outputs;
 * `getByCase` read two statements per case). Certificates of other holders are left out, as
 * the holder's own `getByCase` would not find them.
 */
export async function certificatesOfCases(
  db: Executor,
  holderId: string,
  caseIds: readonly string[],
): Promise<Map<string, { certificateId: string; identifier: string }>> {
  if (caseIds.length === 0) return new Map();
  const rows = await db
    .select({ id: certificates.id, caseId: certificates.caseId, identifier: certificates.identifier })
    .from(certificates)
    .where(and(eq(certificates.holderId, holderId), sql`${certificates.caseId} = any(${sql.param([...caseIds])}::uuid[])`));
  return new Map(rows.map((r) => [r.caseId, { certificateId: r.id, identifier: r.identifier }]));
}
