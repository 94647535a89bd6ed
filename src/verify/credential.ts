/**
 * W3C Verifiable Credential 2.0 form of a certificate. The proof is a Data Integrity proof whose
 * cryptosuite (`yiban-sm2-sd-2026`, or `yiban-ed25519-sd-2026`) is this platform's: the seal signs
 * the canonical payload, and `proof.yiban` carries that payload, the disclosures and the evidence,
 * so the credential verifies with the same pinned anchors as the QR and the PDF.
 */
import type { CertificateBundle } from './bundle.ts';
import { fieldDigest, parsePayload } from './document.ts';
import yibanContextV1 from './yiban-context-v1.json' with { type: 'json' };

export const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
/** Where a deployment serves its JSON-LD context (versioned: a change of meaning is a v2, never an edit). */
export const YIBAN_CONTEXT_PATH = '/contexts/yiban/v1';

/** The context URL of the deployment at `publicUrl`. */
export function yibanContextUrl(publicUrl: string): string {
  return `${publicUrl}${YIBAN_CONTEXT_PATH}`;
}

/**
 * Yiban's JSON-LD context as served at `yibanContextUrl(publicUrl)`: the terms of
 * `yiban-context-v1.json` (protected), in the vocabulary `<context URL>#`, so that every term
 * of the export expands to an absolute IRI under the issuing platform.
 */
export function yibanContext(publicUrl: string): { '@context': Record<string, unknown> } {
  const { '@version': version, '@protected': protect, ...terms } = yibanContextV1['@context'];
  return { '@context': { '@version': version, '@protected': protect, yb: `${yibanContextUrl(publicUrl)}#`, ...terms } };
}

/** The deployment that issued a payload: its status list URL is `<public URL>/api/status-lists/<n>`. */
function publicUrlOf(statusList: string): string {
  return statusList.replace(/\/api\/status-lists\/[^/]*$/, '');
}

export function toVerifiableCredential(bundle: CertificateBundle, options: { publicUrl?: string } = {}): Record<string, unknown> {
  const payload = parsePayload(bundle.payload);
  if (!payload) throw new TypeError('not a Yiban certificate payload');
  const signed = new Set(payload.fields);
  const subject: Record<string, string> = { name: payload.holder.name, residentIdMasked: payload.holder.residentIdMasked };
  for (const d of bundle.disclosures) if (signed.has(fieldDigest(d))) subject[d.name] = d.value;
  const entry = (purpose: 'revocation' | 'suspension') => ({
    id: `${payload.status.list}/${purpose}#${payload.status.index}`,
    type: 'BitstringStatusListEntry',
    statusPurpose: purpose,
    statusListIndex: String(payload.status.index),
    statusListCredential: `${payload.status.list}/${purpose}`,
  });
  return {
    '@context': [VC_V2_CONTEXT, yibanContextUrl(options.publicUrl ?? publicUrlOf(payload.status.list))],
    id: `urn:gbt36904:${payload.id}`,
    type: ['VerifiableCredential', 'YibanCertificate'],
    name: payload.typeName.zh,
    description: payload.typeName.en,
    issuer: { id: `urn:uscc:${payload.issuer.creditCode}`, name: payload.issuer.name },
    validFrom: payload.issuedAt,
    ...(payload.validUntil ? { validUntil: payload.validUntil } : {}),
    credentialSubject: subject,
    credentialStatus: [entry('revocation'), entry('suspension')],
    proof: {
      type: 'DataIntegrityProof',
      cryptosuite: payload.alg === 'SM2' ? 'yiban-sm2-sd-2026' : 'yiban-ed25519-sd-2026',
      verificationMethod: `urn:yiban:key:${payload.keyId}`,
      proofPurpose: 'assertionMethod',
      created: payload.issuedAt,
      proofValue: bundle.signature,
      yiban: bundle,
    },
  };
}
