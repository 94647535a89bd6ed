import type { Static } from '@sinclair/typebox';
import type { Disclosure, CertificateDocument, SignedPayload } from '../../verify/document.ts';
import type { CertificateBundle } from '../../verify/bundle.ts';
import { notFound } from '../../core/errors.ts';
import { isUuid } from '../../core/values.ts';
import type { Db } from '../../db/database.ts';
import { requireResidentScope, type Principal } from '../identity/index.ts';
import { actsForAnOrg, can } from '../identity/index.ts';
import * as repo from './certificates.repository.ts';
import type { CertificateViewSchema } from './certificates.schemas.ts';
import { createPdfRenditionCache } from './pdf/pdf-cache.ts';
import { createStatusLists } from './status-lists.ts';
import { createStatusCredentials } from './status-credentials.ts';
import type { CertificatesDeps } from './ports.ts';

/** A certificate as its holder and its issuer see it (the `Certificate` response). */
export type CertificateView = Static<typeof CertificateViewSchema>;

/** A certificate as evidence (免证明): its identifier, issue and issuer, and its disclosed field values. */
export interface LicenceEvidence {
  identifier: string;
  issuedAt: string;
  issuerName: string;
  validUntil: string | null;
  fields: Record<string, string>;
}

/** What the parts of the certificates service share. */
export type CertificatesContext = ReturnType<typeof createCertificatesContext>;

export function createCertificatesContext(deps: CertificatesDeps) {
  const db: Db = deps.db;
  const clock = deps.clock ?? (() => new Date());
  const lists = createStatusLists(deps.publicUrl, deps.statusLists);
  const statusCredentials = createStatusCredentials({
    publicUrl: deps.publicUrl,
    signer: () => deps.statusKeys.signer(),
    sizeOf: (list) => lists.sizeOf(db, list),
    indexes: (list, purpose) => repo.statusIndexes(db, list, purpose === 'revocation' ? 'revoked' : 'suspended'),
    clock,
    ...(deps.statusCredentials ? { options: deps.statusCredentials } : {}),
  });
  /** A row's disclosures in clear: only in memory, for the view, document, PDF or licence asked for. */
  const disclosuresOf = (row: repo.CertificateRow): Disclosure[] => deps.vault.open(row.identifier, row.disclosures);

  function toView(row: repo.CertificateRow, type: repo.CertificateTypeRow | undefined, fieldsShown?: readonly string[]): CertificateView {
    const payload = JSON.parse(row.payload) as SignedPayload;
    const labels = new Map((type?.fields ?? []).map((f) => [f.name, f]));
    const shown = fieldsShown ? new Set(fieldsShown) : null;
    return {
      id: row.id,
      identifier: row.identifier,
      type: row.typeCode,
      typeName: payload.typeName,
      issuer: { code: payload.issuer.code, name: payload.issuer.name },
      holder: payload.holder,
      issuedAt: payload.issuedAt,
      validUntil: payload.validUntil,
      status: row.status,
      statusReason: row.statusReason,
      fields: disclosuresOf(row)
        .filter((d) => (shown ? shown.has(d.name) : d.name !== 'residentId'))
        .map((d) => ({
          name: d.name,
          labelZh: labels.get(d.name)?.labelZh ?? d.name,
          labelEn: labels.get(d.name)?.labelEn ?? d.name,
          value: d.value,
        })),
      caseId: row.caseId,
      ledgerEntryId: row.ledgerEntryId,
    };
  }

  async function loadVisible(principal: Principal, id: string): Promise<repo.CertificateRow> {
    if (!isUuid(id)) throw notFound('certificate');
    const row = await repo.findById(db, id);
    if (!row) throw notFound('certificate');
    // The holder, a helper acting for them, or a system actor acting for them (a cross-province case's certificate).
    if (!actsForAnOrg(principal)) {
      let holderId: string | null = null;
      try {
        holderId = requireResidentScope(principal, 'certificates.view');
      } catch {
        holderId = null;
      }
      if (holderId !== row.holderId) throw notFound('certificate');
    } else if (!can(principal, 'certificate.view', { orgPath: row.issuerOrgPath })) {
      throw notFound('certificate');
    }
    return row;
  }

  // PDFs are rendered on demand and kept while their certificate's status stays the same.
  const pdfCache = createPdfRenditionCache();

  async function withEvidence(doc: CertificateDocument, row: repo.CertificateRow): Promise<CertificateBundle> {
    const bundle: CertificateBundle = { ...doc };
    const key = await deps.keys.getPublicKey(row.keyId);
    if (key) bundle.seal = { certificate: key.certificatePem, chain: key.chainPem };
    const checkpoint = await deps.proofs.latestCheckpoint();
    // No proof while the entry waits for the sequencer (well under a second) or its checkpoint.
    const index = (await deps.proofs.indexesOf([row.ledgerEntryId])).get(row.ledgerEntryId);
    if (index !== undefined && checkpoint.size > index) {
      const proof = await deps.proofs.inclusionProof(index, checkpoint.size);
      bundle.ledger = { index, proof: proof.hashes.map((h) => Buffer.from(h).toString('base64')), checkpoint: checkpoint.note };
    }
    return bundle;
  }

  return { deps, db, clock, lists, statusCredentials, disclosuresOf, toView, loadVisible, pdfCache, withEvidence };
}
