import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { subjectKeyFunction } from './sharing.service.ts';

/**
 * Master key rotation, in the caller's transaction: internal dataset records are keyed by an
 * HMAC of the person's ID number, which cannot be recomputed from the HMAC itself. The numbers
 * the platform knows (`knownIds`: its residents) map each old key to the new one; records of
 * anyone else are reported as unmatched and left as they are (the caller decides: rotation
 * refuses, so that no record becomes unreachable).
 */
export async function rekeySharingRecords(
  tx: Executor,
  from: Buffer,
  to: Buffer,
  knownIds: readonly string[],
): Promise<{ rekeyed: number; unmatched: number }> {
  const [oldKeyOf, newKeyOf] = [subjectKeyFunction(from), subjectKeyFunction(to)];
  const next = new Map(knownIds.map((id) => [oldKeyOf(id), newKeyOf(id)]));
  const { rows } = await tx.execute<{ dataset_code: string; subject_key: string }>(
    sql`select dataset_code, subject_key from sharing_records for update`,
  );
  const changed = rows.flatMap((r) => {
    const key = next.get(r.subject_key);
    return key ? [{ dataset_code: r.dataset_code, old: r.subject_key, new: key }] : [];
  });
  if (changed.length > 0) {
    await tx.execute(sql`
      update sharing_records s set subject_key = v.new
      from json_to_recordset(${JSON.stringify(changed)}::json) as v(dataset_code text, old text, new text)
      where s.dataset_code = v.dataset_code and s.subject_key = v.old`);
  }
  return { rekeyed: changed.length, unmatched: rows.length - changed.length };
}
