import type { Static } from '@sinclair/typebox';
import { message } from '../../core/messages.ts';
import { AppError, notFound } from '../../core/errors.ts';
import type { Principal } from '../identity/index.ts';
import { actsForAnOrg, can } from '../identity/index.ts';
import { canonicalJson, parsePayload } from '../../verify/document.ts';
import type { CertificateBundle } from '../../verify/bundle.ts';
import { verifyCertificate, type TrustAnchors, type VerificationResult } from '../../verify/verify-certificate.ts';
import type { StatusListCredential } from '../../verify/status-credential.ts';
import * as repo from './certificates.repository.ts';
import type { StatusListEntrySchema } from './verification.schemas.ts';
import type { CertificateStatus } from './certificates.tables.ts';
import type { CertificatesContext, CertificateView } from './context.ts';

/** Trust anchors, status lists and verification, and changing a certificate's status. */
export function createStatusFunctions(
  ctx: CertificatesContext,
  views: { get(principal: Principal, id: string): Promise<CertificateView> },
) {
  const { deps, db, clock, lists, statusCredentials, loadVisible } = ctx;

  const status = {
    /** The configured public base URL (links in certificates, status lists and the JSON-LD context). */
    publicUrl: deps.publicUrl,

    /**
     * The anchors a verifier pins: root certificates, the ledger's key and the status list keys;
     * on a federated node also the national root, the cross-signed province roots and their status
     * list keys (its own come first and win).
     */
    async trustAnchors(): Promise<TrustAnchors> {
      const [own, foreign] = await Promise.all([status.ownTrustAnchors(), deps.foreignTrust?.() ?? null]);
      if (!foreign) return own;
      const roots = [...own.roots, ...foreign.roots.filter((r) => !own.roots.includes(r))];
      return {
        ...own,
        roots,
        ...(foreign.intermediates.length > 0 ? { intermediates: foreign.intermediates } : {}),
        statusSigners: { ...foreign.statusSigners, ...own.statusSigners },
      };
    },

    /** This deployment's own anchors only (what a federation member tells its hub). */
    async ownTrustAnchors(): Promise<TrustAnchors> {
      // The status key exists before its certificate is published (created on first use).
      await deps.statusKeys.signer();
      const [roots, vkey, statusKeys] = await Promise.all([deps.keys.getTrustAnchors(), deps.proofs.vkey(), deps.statusKeys.published()]);
      return {
        version: 1,
        roots: roots.map((r) => r.certificatePem),
        ledger: { vkey },
        statusSigners: Object.fromEntries(
          statusKeys.map((k) => [k.keyId, { certificate: k.certificatePem, ...(k.chainPem ? { chain: k.chainPem } : {}) }]),
        ),
      };
    },

    /** The signed status list credential of a list, null when there is no such list. */
    async statusListCredential(list: string, purpose: 'revocation' | 'suspension'): Promise<StatusListCredential | null> {
      return statusCredentials.credential(list, purpose);
    },

    /** The lists that exist, with their credentials' URLs (so that verifiers fetch only those). */
    async statusListIndex(): Promise<Static<typeof StatusListEntrySchema>[]> {
      return (await repo.listStatusLists(db)).map((id) => ({
        id: String(id),
        revocation: `${lists.url(String(id))}/revocation`,
        suspension: `${lists.url(String(id))}/suspension`,
      }));
    },

    /**
     * Verification with this deployment's anchors and current status lists; another federation
     * member's certificate with that member's signed lists and log key (the federation's port).
     */
    async verify(bundle: CertificateBundle, options: { at?: Date } = {}): Promise<VerificationResult> {
      const payload = parsePayload(bundle.payload);
      // The payload's own list, when it is one of this deployment's; otherwise its issuer's, or no status evidence.
      const list = payload ? lists.listOf(payload.status.list) : null;
      const [trust, revocation, suspension, foreign] = await Promise.all([
        status.trustAnchors(),
        list ? status.statusBits(list, 'revocation') : null,
        list ? status.statusBits(list, 'suspension') : null,
        payload && !list && deps.foreignStatus ? deps.foreignStatus(bundle.payload) : null,
      ]);
      if (!foreign) return verifyCertificate(bundle, trust, { ...options, status: { revocation, suspension } });
      // Its inclusion proof is in the issuer's ledger: checked with the issuer's log key, left out without one.
      const { ledger, ...withoutLedger } = bundle;
      const { ledger: _own, ...anchors } = trust;
      return foreign.ledgerVkey && ledger
        ? verifyCertificate(bundle, { ...anchors, ledger: { vkey: foreign.ledgerVkey } }, { ...options, status: foreign.status })
        : verifyCertificate(withoutLedger, anchors, { ...options, status: foreign.status });
    },

    /** The decoded bitstring of a list, null when there is no such list. */
    async statusBits(list: string, purpose: 'revocation' | 'suspension'): Promise<Uint8Array | null> {
      const size = await lists.sizeOf(db, list);
      if (size === null) return null;
      const bits = new Uint8Array(size / 8);
      for (const i of await status.statusListIndexes(list, purpose)) bits[i >> 3]! |= 0x80 >> (i & 7);
      return bits;
    },

    /** Revoke, suspend or reinstate: by staff covering the issuer, with a reason, on the ledger. */
    async changeStatus(principal: Principal, id: string, to: CertificateStatus, reason: string): Promise<CertificateView> {
      // Staff in their own name, or a system actor at the issuer (a cancelled settlement's statement).
      if (!actsForAnOrg(principal)) throw notFound('certificate');
      const visible = await loadVisible(principal, id);
      if (!can(principal, 'certificate.changeStatus', { orgPath: visible.issuerOrgPath })) throw new AppError('FORBIDDEN');
      const why = reason.trim();
      if (!why) throw new AppError('VALIDATION_FAILED', { detail: message('certificates.reasonRequired') });
      await db.transaction(async (tx) => {
        const current = await repo.lockById(tx, id);
        if (!current) throw notFound('certificate');
        const allowed = current.status === 'revoked' ? false : to !== current.status && (to !== 'active' || current.status === 'suspended');
        if (!allowed) {
          throw new AppError('CONFLICT', {
            detail: message('certificates.statusChange', { from: current.status, to }),
          });
        }
        const at = clock();
        const leaf = canonicalJson({
          kind: `certificate.${to === 'active' ? 'reinstated' : to}`,
          id: current.identifier,
          at: at.toISOString(),
        });
        const { id: ledgerEntryId } = await deps.ledger.appendInTx(tx, { kind: `certificate.${to}`, data: new TextEncoder().encode(leaf) });
        await repo.setStatus(tx, id, { status: to, reason: why, actorId: principal.accountId, at });
        await repo.insertStatusEvent(tx, {
          certificateId: id,
          fromStatus: current.status,
          toStatus: to,
          reason: why,
          actorId: principal.accountId,
          ledgerEntryId,
        });
        const changed = { topic: 'certificate.status_changed', payload: { certificateId: id, from: current.status, to } };
        // A revocation is final: those who only care about it (a benefit stopping) subscribe to its own topic.
        await deps.events.enqueueMany(
          tx,
          to === 'revoked' ? [changed, { topic: 'certificate.revoked', payload: { certificateId: id } }] : [changed],
        );
      });
      return views.get(principal, id);
    },

    /** The number of entries of a status list, null when there is no such list. */
    async statusListSize(list: string): Promise<number | null> {
      return lists.sizeOf(db, list);
    },

    /** The list a certificate's payload names (`status.list`), when it is one of this deployment's. */
    statusListOf(url: string): string | null {
      return lists.listOf(url);
    },

    /** The indexes set in a published status list (revocation or suspension). */
    async statusListIndexes(list: string, purpose: 'revocation' | 'suspension'): Promise<number[]> {
      return repo.statusIndexes(db, list, purpose === 'revocation' ? 'revoked' : 'suspended');
    },
  };
  return status;
}
