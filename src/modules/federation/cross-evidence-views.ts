import { parsePayload } from '../../verify/document.ts';
import type { federationEvidence } from './cross-evidence.tables.ts';

export type EvidenceRow = typeof federationEvidence.$inferSelect;

/** What the certificate says, from its signed payload and disclosed fields (the full ID number is never among them). */
function contentOf(row: EvidenceRow) {
  const bundle = row.document?.bundle;
  const payload = typeof bundle?.payload === 'string' ? parsePayload(bundle.payload) : null;
  if (!payload) return null;
  const disclosures: { name?: unknown; value?: unknown }[] = Array.isArray(bundle?.disclosures) ? bundle.disclosures : [];
  return {
    identifier: payload.id,
    typeName: payload.typeName,
    issuerName: payload.issuer.name,
    holderName: payload.holder.name,
    holderIdMasked: payload.holder.residentIdMasked,
    issuedAt: payload.issuedAt,
    validUntil: payload.validUntil,
    fields: disclosures
      .filter((d) => typeof d.name === 'string' && typeof d.value === 'string')
      .map((d) => ({ name: String(d.name), value: String(d.value) })),
  };
}

/** A requester's evidence as its resident (or, once attached, the case's staff) sees it; content only when asked for. */
export function evidenceView(row: EvidenceRow, options: { withContent?: boolean } = {}) {
  return {
    id: row.id,
    caseId: row.caseRef,
    evidenceType: row.evidenceType,
    provider: row.peer,
    state: row.state,
    digest: row.digest,
    reason: row.reason,
    verification: row.verification,
    content: options.withContent ? contentOf(row) : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export type EvidenceView = ReturnType<typeof evidenceView>;
