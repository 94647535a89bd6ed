import { sql } from 'drizzle-orm';
import { deriveKey, openText, sealText } from '../../core/sealing.ts';
import type { Db, Executor } from '../../db/database.ts';
import type { MessageDirection } from './federation.tables.ts';

/**
 * Message bodies at rest (`federation_messages.sealed_body`): hand-overs, online applications,
 * evidence requests and insurance calls carry the resident's ID number and name, so each body is
 * sealed (AES-256-GCM under a key derived from the master key, the row's direction and id as
 * associated data: a body moved to another row does not open) and opened only where the code
 * must read it (a delivery attempt, the handling node's case opening, a replay's comparison).
 */
export interface MessageVault {
  seal(direction: MessageDirection, id: string, body: string): string;
  open(direction: MessageDirection, id: string, sealed: string): string;
}

const INFO = 'yiban/federation/messages/aes-256-gcm/v1';
const aadOf = (direction: MessageDirection, id: string) => `${direction}\n${id}`;

export function createMessageVault(masterKey: Buffer): MessageVault {
  const key = deriveKey(masterKey, INFO);
  return {
    seal: (direction, id, body) => sealText(key, body, aadOf(direction, id)),
    open: (direction, id, sealed) => openText(key, sealed, aadOf(direction, id)),
  };
}

/** The body of a row as stored: opened, or the legacy clear one, or null once pruned. */
export function bodyOf(
  vault: MessageVault,
  row: { direction: MessageDirection; id: string; sealedBody: string | null; body: string | null },
): string | null {
  if (row.sealedBody !== null) return vault.open(row.direction, row.id, row.sealedBody);
  return row.body;
}

const BATCH = 500;

type Change = (row: { direction: MessageDirection; id: string; body: string | null; sealed: string | null }) => string | null;

/** Rewrites up to `limit` rows matching `where` (locked), each's sealed body from `change`; the clear body is emptied. */
async function rewrite(tx: Executor, where: ReturnType<typeof sql>, change: Change, limit?: number): Promise<number> {
  const { rows } = await tx.execute<{ direction: MessageDirection; id: string; body: string | null; sealed: string | null }>(
    sql`select direction, id::text as id, body, sealed_body as sealed from federation_messages where ${where}
        order by created ${limit ? sql`limit ${limit}` : sql``} for update`,
  );
  if (rows.length === 0) return 0;
  const changed = rows.map((r) => ({ direction: r.direction, id: r.id, sealed: change(r) }));
  await tx.execute(sql`
    update federation_messages m set sealed_body = v.sealed, body = null
    from json_to_recordset(${JSON.stringify(changed)}::json) as v(direction text, id uuid, sealed text)
    where m.direction = v.direction and m.id = v.id`);
  return rows.length;
}

/**
 * Messages written before bodies were sealed kept them in clear. Idempotent, a batch at a time
 * (run at every start, like the certificates' disclosures): only rows with a clear body are read.
 */
export async function sealLegacyMessages(db: Db, masterKey: Buffer): Promise<number> {
  const vault = createMessageVault(masterKey);
  let total = 0;
  // Each round empties the clear bodies it read, so the rounds are bounded by the table's size.
  for (;;) {
    const n = await db.transaction((tx) =>
      rewrite(tx, sql`body is not null`, (r) => r.sealed ?? (r.body === null ? null : vault.seal(r.direction, r.id, r.body)), BATCH),
    );
    total += n;
    if (n < BATCH) return total;
  }
}

/** Master key rotation, in the caller's transaction: every kept body opened under `from` and sealed again under `to`. */
export async function rekeyMessages(tx: Executor, from: Buffer, to: Buffer): Promise<number> {
  const [oldVault, newVault] = [createMessageVault(from), createMessageVault(to)];
  return rewrite(tx, sql`sealed_body is not null or body is not null`, (r) => {
    const body = bodyOf(oldVault, { direction: r.direction, id: r.id, sealedBody: r.sealed, body: r.body });
    return body === null ? null : newVault.seal(r.direction, r.id, body);
  });
}
