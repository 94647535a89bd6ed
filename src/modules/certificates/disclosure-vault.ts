import { sql } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { deriveKey, openBytes, SEAL_IV_BYTES, sealBytes } from '../../core/sealing.ts';
import type { Db, Executor } from '../../db/database.ts';
import type { Disclosure } from '../../verify/document.ts';

/**
 * A field disclosure as stored: its name, and its value with its salt sealed together
 * (AES-256-GCM under a key derived from the master key, the certificate's identifier and the
 * field name as associated data). The salt is sealed too: with it and the digest in the signed
 * payload, a value as guessable as an ID number (the payload shows its first six and last four
 * characters) would fall to a few tens of thousands of hashes.
 *
 * A long value (a settlement statement's lines with their explanations: ~10 KB) is compressed
 * before it is sealed, since a ciphertext cannot be compressed after: the sealed plaintext is
 * then a zero byte (which no JSON text starts with) and the raw DEFLATE of the JSON, both under
 * the seal's tag. A statement's sealed fields take ~4 KB instead of ~10.7 KB
 * (bench/insurance-window-parts.ts); the CPU of sealing one is the same within the noise.
 */
export interface StoredDisclosure {
  name: string;
  sealed: string;
}

/** As certificates were stored before sealing; `sealLegacyDisclosures` rewrites them. */
export interface LegacyDisclosure {
  name: string;
  value: string;
  salt: string;
}

export interface DisclosureVault {
  seal(identifier: string, disclosures: readonly Disclosure[]): StoredDisclosure[];
  open(identifier: string, stored: readonly (StoredDisclosure | LegacyDisclosure)[]): Disclosure[];
}

const INFO = 'yiban/certificates/disclosures/aes-256-gcm/v1';
const aadOf = (identifier: string, name: string) => `${identifier}\n${name}`;
/** From this many bytes of JSON a value is compressed (below it DEFLATE rarely saves what it costs). */
const COMPRESS_FROM = 512;
const DEFLATED = 0;
/** A disclosure never opens to more than this (the database's row limit is far below). */
const MAX_OPENED_BYTES = 16 * 1024 * 1024;

function plaintextOf(value: string, salt: string): Buffer {
  const json = Buffer.from(JSON.stringify([value, salt]), 'utf8');
  if (json.length < COMPRESS_FROM) return json;
  const deflated = deflateRawSync(json);
  return deflated.length + 1 < json.length ? Buffer.concat([Buffer.of(DEFLATED), deflated]) : json;
}

function jsonOf(plaintext: Buffer): string {
  if (plaintext[0] !== DEFLATED) return plaintext.toString('utf8');
  return inflateRawSync(plaintext.subarray(1), { maxOutputLength: MAX_OPENED_BYTES }).toString('utf8');
}

export function createDisclosureVault(masterKey: Buffer): DisclosureVault {
  const key = deriveKey(masterKey, INFO);
  return {
    seal: (identifier, disclosures) => {
      // One random draw for the IVs of all the certificate's fields.
      const ivs = randomBytes(SEAL_IV_BYTES * disclosures.length);
      return disclosures.map((d, i) => ({
        name: d.name,
        sealed: sealBytes(
          key,
          plaintextOf(d.value, d.salt),
          aadOf(identifier, d.name),
          ivs.subarray(i * SEAL_IV_BYTES, (i + 1) * SEAL_IV_BYTES),
        ),
      }));
    },
    open: (identifier, stored) =>
      stored.map((d) => {
        if (!('sealed' in d)) return { name: d.name, value: d.value, salt: d.salt };
        const [value, salt] = JSON.parse(jsonOf(openBytes(key, d.sealed, aadOf(identifier, d.name)))) as [string, string];
        return { name: d.name, value, salt };
      }),
  };
}

/**
 * Master key rotation, in the caller's transaction: every certificate's disclosures opened
 * under `from` and sealed again under `to`. Returns how many certificates were rewritten.
 */
export async function rekeyDisclosures(tx: Executor, from: Buffer, to: Buffer): Promise<number> {
  const [oldVault, newVault] = [createDisclosureVault(from), createDisclosureVault(to)];
  return rewrite(tx, 'true', (identifier, stored) => newVault.seal(identifier, oldVault.open(identifier, stored)));
}

/**
 * Certificates issued before disclosures were sealed held them in clear. Idempotent, a batch at
 * a time (run at every start): only rows with a clear entry are read and rewritten.
 */
export async function sealLegacyDisclosures(db: Db, masterKey: Buffer): Promise<number> {
  const vault = createDisclosureVault(masterKey);
  let total = 0;
  for (;;) {
    const n = await db.transaction((tx) =>
      rewrite(
        tx,
        `exists (select 1 from jsonb_array_elements(disclosures) e where e ? 'value')`,
        (identifier, stored) => vault.seal(identifier, vault.open(identifier, stored)),
        500,
      ),
    );
    total += n;
    if (n < 500) return total;
  }
}

async function rewrite(
  tx: Executor,
  where: string,
  change: (identifier: string, stored: (StoredDisclosure | LegacyDisclosure)[]) => StoredDisclosure[],
  limit?: number,
): Promise<number> {
  const { rows } = await tx.execute<{ id: string; identifier: string; disclosures: (StoredDisclosure | LegacyDisclosure)[] }>(
    sql`select id, identifier, disclosures from certificates where ${sql.raw(where)} order by serial ${limit ? sql`limit ${limit}` : sql``} for update`,
  );
  if (rows.length === 0) return 0;
  const changed = rows.map((r) => ({ id: r.id, disclosures: change(r.identifier, r.disclosures) }));
  await tx.execute(sql`
    update certificates c set disclosures = v.disclosures
    from json_to_recordset(${JSON.stringify(changed)}::json) as v(id uuid, disclosures jsonb)
    where c.id = v.id`);
  return rows.length;
}
