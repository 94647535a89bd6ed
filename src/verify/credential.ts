/**
 * W3C Verifiable Credential 2.0 form of a certificate. The proof is a Data Integrity proof whose
 * cryptosuite (`yiban-sm2-sd-2026`, or `yiban-ed25519-sd-2026`) is this platform's: the seal signs
 * the canonical payload, and `proof.yiban` carries that payload, the disclosures and the evidence,
 * so the credential verifies with the same pinned anchors as the QR and the PDF.
 */
import type { CertificateBundle } from './bundle.ts';
import { fieldDigest, parsePayload } from './document.ts';

export function toVerifiableCredential(bundle: CertificateBundle): Record<string, unknown> {
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
    '@context': ['https://www.w3.org/ns/credentials/v2'],
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
