import type { Static } from '@sinclair/typebox';
import { notFound } from '../../core/errors.ts';
import { isUuid } from '../../core/values.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { requireResidentScope, type Principal } from '../identity/index.ts';
import type { CertificateDocument, SignedPayload } from '../../verify/document.ts';
import type { CertificateBundle } from '../../verify/bundle.ts';
import * as repo from './certificates.repository.ts';
import type { CertificatePageSchema } from './certificates.schemas.ts';
import type { CertificatesContext, CertificateView, LicenceEvidence } from './context.ts';

/** A certificate as its holder and its issuer see it: view, signed document, bundle, PDF, licence. */
export function createRenditionFunctions(ctx: CertificatesContext) {
  const { deps, db, clock, disclosuresOf, toView, loadVisible, pdfCache, withEvidence, lists, statusCredentials } = ctx;

  const renditions = {
    async get(principal: Principal, id: string): Promise<CertificateView> {
      const row = await loadVisible(principal, id);
      return toView(row, await repo.findType(db, row.typeCode));
    },

    async getByCase(principal: Principal, caseId: string): Promise<CertificateView> {
      const row = isUuid(caseId) ? await repo.findByCase(db, caseId) : null;
      if (!row) throw notFound('certificate');
      return renditions.get(principal, row.id);
    },

    /** The signed document (payload, signature, disclosures) for export and verification. */
    async document(principal: Principal, id: string, fields?: readonly string[]): Promise<CertificateDocument> {
      const row = await loadVisible(principal, id);
      const keep = fields ? new Set(fields) : null;
      return { payload: row.payload, signature: row.signature, disclosures: disclosuresOf(row).filter((d) => !keep || keep.has(d.name)) };
    },

    /** The document with its evidence — seal chain and ledger inclusion — so that it verifies on its own. */
    async bundle(principal: Principal, id: string, fields?: readonly string[]): Promise<CertificateBundle> {
      const doc = await renditions.document(principal, id, fields);
      const row = await repo.findById(db, id);
      if (!row) throw notFound('certificate');
      return withEvidence(doc, row);
    },

    /** A view and bundle limited to `fields`, for a share link already checked by the caller. */
    async sharedView(
      row: repo.CertificateRow,
      fields: readonly string[],
    ): Promise<{ certificate: CertificateView; bundle: CertificateBundle }> {
      const keep = new Set(fields);
      const doc: CertificateDocument = {
        payload: row.payload,
        signature: row.signature,
        disclosures: disclosuresOf(row).filter((d) => keep.has(d.name)),
      };
      return { certificate: toView(row, await repo.findType(db, row.typeCode), fields), bundle: await withEvidence(doc, row) };
    },

    /** The signed A4 PDF: template text, seal, the reviewer's registered signature, QR, embedded bundle. */
    async pdf(principal: Principal, id: string, fields?: readonly string[]): Promise<{ identifier: string; bytes: Uint8Array }> {
      const row = await loadVisible(principal, id);
      const shown = fields ?? row.disclosures.map((d) => d.name).filter((n) => n !== 'residentId');
      // The names are stored in clear; values are opened only for the rendering below.
      const bytes = await pdfCache.get({ certificateId: row.id, status: row.status, fields: shown }, async () => {
        const [type, bundle, signingKey, reviewerSignature] = await Promise.all([
          repo.findType(db, row.typeCode),
          withEvidence(
            { payload: row.payload, signature: row.signature, disclosures: disclosuresOf(row).filter((d) => shown.includes(d.name)) },
            row,
          ),
          deps.pdfKey(),
          repo.activeSignatureImage(db, row.reviewerId),
        ]);
        if (!type) throw notFound('certificate');
        // pdf-lib and the rest of the PDF code load with the first rendering, not with every
        // process that never renders one (the CLI, the hospital process, the background role).
        const { renderCertificatePdf } = await import('./pdf/render-certificate-pdf.ts');
        return renderCertificatePdf({
          certificate: toView(row, type, shown),
          template: type.template,
          bundle,
          signingKey,
          publicUrl: deps.publicUrl,
          sealBottomText: '电子证明专用章',
          ...(reviewerSignature ? { reviewerSignature } : {}),
        });
      });
      return { identifier: row.identifier, bytes };
    },

    async listMine(principal: Principal, page: { after?: string; limit?: number }): Promise<Static<typeof CertificatePageSchema>> {
      const holderId = requireResidentScope(principal, 'certificates.view');
      const limit = page.limit ?? 20;
      const before = page.after ? Number(decodeCursor(page.after, 1)[0]) : undefined;
      const rows = await repo.listByHolder(db, holderId, before, limit);
      const types = new Map((await repo.listTypes(db)).map((t) => [t.code, t]));
      const last = rows.at(-1);
      return {
        items: rows.map((r) => toView(r, types.get(r.typeCode))),
        next: rows.length === limit && last ? encodeCursor([last.serial]) : null,
      };
    },

    /**
     * Internal (the e-licence library in sharing): the holder's newest active, unexpired
     * certificate of a type, as evidence a consumer can cite and verify by its identifier. A
     * revoked, suspended or expired certificate is no evidence: null. The caller checks access.
     */
    async findLicence(holderId: string, typeCode: string): Promise<LicenceEvidence | null> {
      if (!isUuid(holderId)) return null;
      const row = await repo.findCurrentOfType(db, holderId, typeCode, clock());
      if (!row) return null;
      const payload = JSON.parse(row.payload) as SignedPayload;
      return {
        identifier: row.identifier,
        issuedAt: payload.issuedAt,
        issuerName: payload.issuer.name,
        validUntil: payload.validUntil,
        fields: Object.fromEntries(disclosuresOf(row).map((d) => [d.name, d.value])),
      };
    },

    /**
     * Internal (evidence for another province, federation): the holder's newest active, unexpired
     * certificate of a type as a bundle that verifies on its own — every field but the full ID
     * number — with its signed status lists, so that a verifier elsewhere checks its status too.
     * Null when there is none. The caller checks access.
     */
    async licenceBundle(holderId: string, typeCode: string): Promise<{ bundle: CertificateBundle; statusLists: unknown[] } | null> {
      if (!isUuid(holderId)) return null;
      const row = await repo.findCurrentOfType(db, holderId, typeCode, clock());
      if (!row) return null;
      const type = await repo.findType(db, row.typeCode);
      const full = new Set((type?.fields ?? []).filter((f) => f.source === 'holder.residentId').map((f) => f.name));
      const doc: CertificateDocument = {
        payload: row.payload,
        signature: row.signature,
        disclosures: disclosuresOf(row).filter((d) => !full.has(d.name)),
      };
      const list = lists.listOf((JSON.parse(row.payload) as SignedPayload).status.list);
      const statusLists = list
        ? (await Promise.all([statusCredentials.credential(list, 'revocation'), statusCredentials.credential(list, 'suspension')])).filter(
            (c) => c !== null,
          )
        : [];
      return { bundle: await withEvidence(doc, row), statusLists };
    },
  };
  return renditions;
}
