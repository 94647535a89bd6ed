/**
 * The requester's check of evidence from another province: the certificate must verify against
 * this node's anchors with the national trust list (the foreign province's root cross-signed by the
 * national root), its status against the signed lists the provider sent (signed by a status signer
 * of the trust list), its ledger proof against the provider's log key from the directory, and it
 * must be of the type asked for. Anything but VALID is refused.
 */
import { createHash } from 'node:crypto';
import type { CertificateBundle } from '../../verify/bundle.ts';
import { canonicalJson } from '../../verify/document.ts';
import { statusEvidenceFromCredentials } from '../../verify/status-credential.ts';
import { verifyCertificate, type TrustAnchors, type VerificationResult } from '../../verify/verify-certificate.ts';
import type { EvidenceDocument } from './cross-evidence.tables.ts';

export function evidenceDigest(document: EvidenceDocument): string {
  return createHash('sha256').update(canonicalJson(document)).digest('hex');
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The document as the provider's message carries it, or null when it is not shaped like one. */
export function parseEvidenceDocument(value: unknown): EvidenceDocument | null {
  if (!isRecord(value) || !isRecord(value.bundle) || !Array.isArray(value.statusLists)) return null;
  const { bundle } = value;
  if (typeof bundle.payload !== 'string' || typeof bundle.signature !== 'string' || !Array.isArray(bundle.disclosures)) return null;
  if (value.statusLists.length > 4) return null;
  return { bundle: bundle as unknown as CertificateBundle, statusLists: value.statusLists };
}

export async function verifyEvidence(input: {
  document: EvidenceDocument;
  evidenceType: string;
  trust: TrustAnchors;
  /** The provider's log key from the directory (absent: an inclusion proof cannot be checked and is left out). */
  providerLogVkey?: string;
  at: Date;
}): Promise<VerificationResult> {
  const { bundle } = input.document;
  const { ledger, ...withoutLedger } = bundle;
  const trust: TrustAnchors = { ...input.trust };
  delete trust.ledger;
  if (input.providerLogVkey) trust.ledger = { vkey: input.providerLogVkey };
  const checked = input.providerLogVkey && ledger ? bundle : withoutLedger;
  const status = await statusEvidenceFromCredentials(bundle.payload, input.document.statusLists, trust, input.at);
  const result = verifyCertificate(checked, trust, { at: input.at, status });
  if (result.verdict === 'VALID' && result.certificate?.type !== input.evidenceType)
    return {
      verdict: 'INVALID',
      checks: [...result.checks, { check: 'format', result: 'fail', reason: 'MALFORMED', detail: `type ${result.certificate?.type}` }],
    };
  return result;
}
