import { AppError } from '../core/errors.ts';
import { masterKeyFingerprint } from '../core/sealing.ts';
import type { Db } from '../db/database.ts';
import { rekeyDisclosures } from '../modules/certificates/index.ts';
import { rekeySigningKeys } from '../modules/certificates/index.ts';
import { masterKeyMismatch, rekeyResidents } from '../modules/identity/index.ts';
import { masterKey } from '../modules/identity/index.ts';
import { kioskCodes } from '../modules/identity/index.ts';
import { rekeyLogKeys } from '../modules/ledger/index.ts';
import { rekeySharingRecords } from '../modules/sharing/index.ts';
import { rekeyMessages } from '../modules/federation/index.ts';
import { rekeyOidcClientSecrets, rekeyOidcSigningKeys } from '../modules/oidc/index.ts';
import { message } from '../core/messages.ts';

export interface RotationReport {
  residents: number;
  certificates: number;
  signingKeys: number;
  logKeys: number;
  sharingRecords: number;
  /** The hub's OpenID Connect ID token keys and client secrets. */
  oidcSecrets: number;
  /** Federation message bodies kept (sealed at rest). */
  federationMessages: number;
}

/**
 * Re-encrypts every value encrypted under the master key and recomputes every keyed hash, then
 * records the new key's fingerprint — all in one transaction, so a failure leaves the old key
 * in force and nothing half-done. Every app process must be stopped first: one still running
 * with the old key would write data the new key cannot read (and is refused at its next start).
 */
export async function rotateMasterKey(db: Db, from: Buffer, to: Buffer, clock: () => Date = () => new Date()): Promise<RotationReport> {
  if (from.equals(to)) throw new AppError('VALIDATION_FAILED', { detail: message('keys.masterKeyUnchanged') });
  return db.transaction(async (tx) => {
    // The lock also makes two rotations at once run one after the other (the second is then refused).
    const [row] = await tx.select({ fingerprint: masterKey.fingerprint }).from(masterKey).for('update');
    const current = masterKeyFingerprint(from);
    if (row?.fingerprint !== current) throw masterKeyMismatch(row?.fingerprint ?? '(none)', current);
    const ids = await rekeyResidents(tx, from, to);
    const records = await rekeySharingRecords(tx, from, to, ids);
    if (records.unmatched > 0) {
      throw new AppError('CONFLICT', {
        detail: message('keys.masterKeyUnmatchedRecords', { count: records.unmatched }),
      });
    }
    // Kiosk one-time codes are HMACs under a key derived from the old master key and live five
    // minutes: they are dropped, not re-keyed (a resident at a kiosk asks for a new one).
    await tx.delete(kioskCodes);
    // residents.key_fingerprint follows (ON UPDATE CASCADE).
    await tx.update(masterKey).set({ fingerprint: masterKeyFingerprint(to), rotatedAt: clock() });
    return {
      residents: ids.length,
      certificates: await rekeyDisclosures(tx, from, to),
      signingKeys: await rekeySigningKeys(tx, from, to),
      logKeys: await rekeyLogKeys(tx, from, to),
      sharingRecords: records.rekeyed,
      oidcSecrets: (await rekeyOidcSigningKeys(tx, from, to)) + (await rekeyOidcClientSecrets(tx, from, to)),
      federationMessages: await rekeyMessages(tx, from, to),
    };
  });
}
