/**
 * Rows of `signing_keys`: the active key of a slot (owner, purpose, algorithm), and a new key
 * generated, certified by its issuer (or self-signed, for a root) and inserted into its slot.
 */
import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../../db/database.ts';
import type { KeyAlgorithm } from '../../../verify/keys.ts';
import { createSigner, generateKeyPair } from '../../../verify/signatures.ts';
import { parseCertificate } from '../../../verify/x509.ts';
import { keyIdOf } from './key-encryption.ts';
import { nameOf } from './key-names.ts';
import type { KeySigner } from './key-types.ts';
import { signingKeys, type KeyPurpose } from './keys.tables.ts';
import { issueCertificate, type CertificateName } from './x509-issue.ts';

const DAY = 86_400_000;
const ROOT_YEARS = 20;
const LEAF_YEARS = 5;

export type KeyRow = typeof signingKeys.$inferSelect;

export async function findActive(
  executor: Executor,
  owner: string,
  purpose: KeyPurpose,
  algorithm: KeyAlgorithm,
): Promise<KeyRow | undefined> {
  const [row] = await executor
    .select()
    .from(signingKeys)
    .where(
      and(
        eq(signingKeys.owner, owner),
        eq(signingKeys.purpose, purpose),
        eq(signingKeys.algorithm, algorithm),
        eq(signingKeys.status, 'active'),
      ),
    );
  return row;
}

export interface NewKey {
  owner: string;
  purpose: KeyPurpose;
  algorithm: KeyAlgorithm;
  subject: CertificateName;
  /** Absent for a self-signed root. */
  issuer?: KeySigner;
}

/** Generates, certifies and inserts a key; returns false when another active key already holds the slot. */
export async function insertKey(
  executor: Executor,
  spec: NewKey,
  options: { now: Date; encrypt: (keyId: string, privateKey: Uint8Array) => string },
): Promise<boolean> {
  const { now, encrypt } = options;
  const keys = generateKeyPair(spec.algorithm);
  const keyId = keyIdOf(keys.publicKeySpki);
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000);
  let notAfter = new Date(notBefore.getTime() + (spec.issuer ? LEAF_YEARS : ROOT_YEARS) * 365 * DAY);
  let chainPem = '';
  let issuerName = spec.subject;
  let signer = createSigner(spec.algorithm, keys.privateKey);
  if (spec.issuer) {
    const issuerCert = parseCertificate(spec.issuer.certificatePem);
    if (!issuerCert.ok) throw new Error(`issuer certificate ${spec.issuer.keyId} is unreadable`);
    // A certificate never outlives its issuer's.
    if (issuerCert.certificate.notAfter < notAfter) notAfter = issuerCert.certificate.notAfter;
    issuerName = nameOf(issuerCert.certificate.subject);
    chainPem = `${spec.issuer.certificatePem}${spec.issuer.chainPem}`;
    signer = spec.issuer;
  }
  const certificate = issueCertificate({
    profile: spec.purpose,
    subject: spec.subject,
    subjectPublicKeySpki: keys.publicKeySpki,
    issuer: { name: issuerName, signer },
    notBefore,
    notAfter,
  });
  const inserted = await executor
    .insert(signingKeys)
    .values({
      id: keyId,
      owner: spec.owner,
      purpose: spec.purpose,
      algorithm: spec.algorithm,
      publicKeySpki: Buffer.from(keys.publicKeySpki).toString('base64'),
      encryptedPrivateKey: encrypt(keyId, keys.privateKey),
      certificatePem: certificate.pem,
      chainPem,
      notBefore,
      notAfter,
      status: 'active',
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: signingKeys.id });
  keys.privateKey.fill(0);
  return inserted.length > 0;
}
