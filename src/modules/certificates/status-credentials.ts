/**
 * The signed status list credentials the platform serves. Each is signed by the platform's status
 * key (an SM2 seal of the platform, chained to the pinned root and named in the trust list), is
 * valid for a few hours, and is kept until it changes or gets old: a request reads the list's set
 * indexes (one indexed query) and is served the kept credential when their digest is the same and
 * it was signed less than `refreshMs` ago. The digest also makes the cache correct across
 * processes: a revocation done by another process changes the indexes, so the list is re-signed.
 * Every URL comes from the configured public URL, never from the request.
 */
import { createHash } from 'node:crypto';
import { encodeStatusList } from '../../verify/status-list.ts';
import { signStatusListCredential, type StatusListCredential, type StatusPurpose } from '../../verify/status-credential.ts';

const HOUR = 3_600_000;

export interface StatusCredentialOptions {
  /** How long a signed list is valid (default 6 h): an offline verifier's copy says INDETERMINATE after that. */
  validityMs?: number;
  /** A list is re-signed when it changes or once it is this old (default 1 h), so it is never served near expiry. */
  refreshMs?: number;
}

export interface StatusKey {
  keyId: string;
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export interface StatusCredentialsDeps {
  publicUrl: string;
  /** The platform's status key (created on first use). */
  signer: () => Promise<StatusKey>;
  sizeOf: (list: string) => Promise<number | null>;
  indexes: (list: string, purpose: StatusPurpose) => Promise<number[]>;
  clock: () => Date;
  options?: StatusCredentialOptions;
}

export function trustListUrl(publicUrl: string): string {
  return `${publicUrl}/api/trust`;
}

export function createStatusCredentials(deps: StatusCredentialsDeps) {
  const validityMs = deps.options?.validityMs ?? 6 * HOUR;
  const refreshMs = deps.options?.refreshMs ?? HOUR;
  if (!(refreshMs > 0 && refreshMs < validityMs)) throw new RangeError('a status list must be re-signed before it expires');
  const kept = new Map<string, { digest: string; signedAt: number; credential: StatusListCredential }>();

  return {
    /** The signed credential of a list, null when there is no such list. */
    async credential(list: string, purpose: StatusPurpose): Promise<StatusListCredential | null> {
      const size = await deps.sizeOf(list);
      if (size === null) return null;
      const indexes = await deps.indexes(list, purpose);
      const digest = createHash('sha256')
        .update(indexes.sort((a, b) => a - b).join(','))
        .digest('hex');
      const key = `${list}/${purpose}`;
      const now = deps.clock();
      const current = kept.get(key);
      if (current && current.digest === digest && now.getTime() - current.signedAt < refreshMs && now.getTime() >= current.signedAt)
        return current.credential;

      const id = `${deps.publicUrl}/api/status-lists/${list}/${purpose}`;
      const signer = await deps.signer();
      const credential = await signStatusListCredential(
        {
          '@context': ['https://www.w3.org/ns/credentials/v2'],
          id,
          type: ['VerifiableCredential', 'BitstringStatusListCredential'],
          issuer: deps.publicUrl,
          validFrom: now.toISOString(),
          validUntil: new Date(now.getTime() + validityMs).toISOString(),
          credentialSubject: {
            id: `${id}#list`,
            type: 'BitstringStatusList',
            statusPurpose: purpose,
            encodedList: await encodeStatusList(indexes, size),
          },
        },
        { verificationMethod: `${trustListUrl(deps.publicUrl)}#${signer.keyId}`, sign: (m) => signer.sign(m) },
        now,
      );
      kept.set(key, { digest, signedAt: now.getTime(), credential });
      return credential;
    },
  };
}

export type StatusCredentials = ReturnType<typeof createStatusCredentials>;
